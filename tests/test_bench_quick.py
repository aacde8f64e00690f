"""The benchmark runs end to end and keeps going when a system cannot be used.

``bench/run.py --quick --only mlp-iris`` is run exactly as a person would
run it, in a subprocess from the repository root. The test must pass both
before and after s2sgrad can differentiate the lecture MLP: the benchmark's
job is to print a "failed" line for a system it cannot use and carry on, so
the s2sgrad rows are accepted either timed or failed. Everything else is
asserted on the real output: the reference row is timed and checked, peers
that ran agree with it, and the closing sections are printed.
"""

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"\d+(?:\.\d+)?"


def _row(output, system):
    """The table line for one system (the first column is the system name)."""
    match = re.search(rf"^  {re.escape(system)}  .*$", output, re.M)
    assert match, f"no row for {system!r} in:\n{output}"
    return match.group(0)


def test_quick_benchmark_prints_a_table_and_survives_s2sgrad_failures():
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--only", "mlp-iris"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{proc.stderr}"

    assert "mlp-iris" in out and "hand-written" in out
    assert re.search(rf"\s{NUMBER}\s+1\.00x\s+{NUMBER}x\s+\d+\s+ok$", _row(out, "hand-written"))
    assert re.search(rf"\s{NUMBER}\s+{NUMBER}x\s+1\.00x\s+\d+$", _row(out, "numpy primal"))

    # Timed (and then checked) once the core lands, or a one-line failure until then.
    for system in ("s2sgrad grad", "s2sgrad value_and_grad"):
        row = _row(out, system)
        assert re.search(rf"\s{NUMBER}\s+{NUMBER}x\s", row) or "failed: " in row, row

    # Optional peers: skipped when absent, otherwise timed and agreeing with the reference.
    for system in ("autograd", "jax eager", "jax jit", "torch eager"):
        row = _row(out, system)
        assert "skipped: " in row or row.rstrip().endswith(("ok", "ms")), row
        assert "MISMATCH" not in row and "failed" not in row, row

    assert "build time, mlp-iris" in out
    assert "peak extra memory of one call (tracemalloc), mlp-iris" in out
    assert re.search(r"^  hand-written\s+\d+(?:\.\d)? (?:B|KiB|MiB|GiB)$", out, re.M)
