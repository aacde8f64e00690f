"""Benchmark s2sgrad's gradients against hand-written NumPy and other AD systems.

Usage (from anywhere):

    python bench/run.py [--quick] [--json out.json] [--only NAME ...]

Every system runs in this one process, on the same float64 arrays, one
workload at a time, so their times are directly comparable; each is reported
as the median per call and as a ratio to the hand-written NumPy gradient
measured in the same run (the bar a gradient compiler should approach) and
to the primal alone. Gradients are checked against the hand-written ones
before they are timed. Peers that are not installed get a "skipped" line,
and an s2sgrad that fails to import or compile gets a "failed" line; the run
always goes on. After the tables come the time for ``s2sgrad.grad`` to build
the lecture MLP's gradient (cold, first call and cached) and the peak extra
memory of one gradient call.

``--quick`` uses fewer, shorter repeats and skips the large sizes (under a
minute); ``--only`` picks workloads by name (``--only`` also runs large ones
in ``--quick`` mode).
"""

import argparse
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))      # bench/, samples/ and this checkout's s2sgrad

import numpy as np  # noqa: E402

from bench import compile_time, memory, report, systems  # noqa: E402
from bench.timing import measure  # noqa: E402
from bench.workloads import BY_NAME, WORKLOADS  # noqa: E402

SETTINGS = {
    "full": dict(target_s=0.2, repeats=7, warmup=2, cold_repeats=5),
    "quick": dict(target_s=0.02, repeats=3, warmup=1, cold_repeats=3),
}
RTOL = 1e-6                             # gradients agree to this relative error, else MISMATCH
MEMORY_SYSTEMS = ("numpy primal", "hand-written", "s2sgrad grad", "autograd")
PEERS = ("autograd", "jax", "jaxlib", "torch")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, skip large sizes (< 1 min)")
    p.add_argument("--json", metavar="OUT", help="also write all results to this JSON file")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=list(BY_NAME),
                   help="run only these workloads: " + ", ".join(BY_NAME))
    return p.parse_args(argv)


def environment():
    """Versions and machine facts that a reader needs to compare two runs."""
    env = dict(python=platform.python_version(), numpy=np.__version__, platform=platform.platform(),
               cpus=os.cpu_count(), s2sgrad=_s2sgrad_status())
    for name in PEERS:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            env[name] = None
    return env


def _s2sgrad_status():
    """Where s2sgrad comes from, or why it cannot be imported (the run goes on either way)."""
    try:
        import s2sgrad
    except Exception as e:
        return "import failed: " + report.one_line(e)
    where = Path(getattr(s2sgrad, "__file__", None) or list(s2sgrad.__path__)[0]).resolve()
    source = "this checkout" if REPO_ROOT in where.parents else str(where.parent)
    return f"{getattr(s2sgrad, '__version__', 'unknown version')} from {source}"


def check(prepared, result, ref_grads, ref_value):
    """"ok" when the gradients (and value, if any) match the hand-written ones, else why not."""
    if prepared.to_grads is None:
        return ""
    grads = prepared.to_grads(result)
    if len(grads) != len(ref_grads):
        return f"MISMATCH: {len(grads)} gradients, expected {len(ref_grads)}"
    worst = 0.0
    for g, r in zip(grads, ref_grads):
        g = np.asarray(g)
        if g.shape != np.shape(r):
            return f"MISMATCH: shape {g.shape}, expected {np.shape(r)}"
        worst = max(worst, float(np.max(np.abs(g - r))) / max(float(np.max(np.abs(r))), 1e-300))
    if worst > RTOL:
        return f"MISMATCH: relative error {worst:.1e}"
    if prepared.to_value is not None:
        value = float(prepared.to_value(result))
        if abs(value - ref_value) > RTOL * max(1.0, abs(ref_value)):
            return f"MISMATCH: value {value!r}, expected {ref_value!r}"
    return "ok"


def run_system(name, prepare, workload, args, ref_grads, ref_value, settings):
    """One table row: prepare the system, check its answer, then time it; never raises."""
    try:
        prepared = prepare(workload, args)
    except systems.Skipped as e:
        return report.Row(name, "skipped", message=str(e))
    except Exception as e:  # a peer or s2sgrad that cannot handle this workload
        return report.Row(name, "failed", message="could not build the gradient: " + report.one_line(e))
    try:
        verdict = check(prepared, prepared.call(), ref_grads, ref_value)
        t = measure(prepared.call, settings["target_s"], settings["repeats"], settings["warmup"])
    except Exception as e:
        return report.Row(name, "failed", message="call failed: " + report.one_line(e))
    return report.Row(name, "ok", t.median_s, t.number, t.repeats, verdict, prepared.compile_s)


def run_workload(workload, settings):
    args = workload.data()
    ref_grads = workload.hand_grad(*args)
    ref_value = float(workload.primal(*args))
    rows = [run_system(name, prepare, workload, args, ref_grads, ref_value, settings)
            for name, prepare in systems.SYSTEMS]
    print(report.format_table(workload.describe(), rows, systems.REFERENCE, systems.PRIMAL), flush=True)
    print(flush=True)
    return dict(name=workload.name, sizes=workload.sizes, wrt=list(workload.wrt),
                results=[_row_json(r, rows) for r in rows])


def _row_json(row, rows):
    by_name = {r.system: r for r in rows}
    d = dict(vars(row))
    d["median_us"] = row.median_s * 1e6 if row.median_s is not None else None
    d["vs_hand"] = row.ratio(by_name.get(systems.REFERENCE))
    d["vs_primal"] = row.ratio(by_name.get(systems.PRIMAL))
    return d


def run_grad_build_time(workload, settings):
    """Time for s2sgrad.grad to build the lecture MLP's gradient, cold and cached, and its first call."""
    print(f"s2sgrad.grad({workload.primal.__name__}, wrt={workload.wrt}) build time, {workload.name}")
    try:
        r = compile_time.grad_build_times(workload.primal, workload.wrt, workload.data(),
                                          cold_repeats=settings["cold_repeats"])
    except Exception as e:
        print(f"  failed: {report.one_line(e)}\n", flush=True)
        return dict(status="failed", message=report.one_line(e))
    how = r["cache_cleared_with"] or "a fresh import of its module (no cache-clearing API found)"
    print(f"  cold        {r['cold_median_s'] * 1e3:10.2f} ms  median of {r['cold_samples']}"
          f" (min {r['cold_min_s'] * 1e3:.2f} ms); a fresh function each time, via {how}")
    print(f"  first call  {r['first_call_median_s'] * 1e3:10.2f} ms  cold result's first call"
          f" (specializes to the argument shapes)")
    print(f"  cached      {r['cached_median_s'] * 1e6:10.2f} us  same function object again\n", flush=True)
    return dict(status="ok", workload=workload.name, **r)


def run_memory(workload):
    """Peak extra memory of one call per NumPy-based system, for one workload."""
    print(f"peak extra memory of one call (tracemalloc), {workload.name}")
    args = workload.data()
    out = {}
    for name, prepare in systems.SYSTEMS:
        if name not in MEMORY_SYSTEMS:
            continue
        try:
            peak = memory.peak_extra_bytes(prepare(workload, args).call)
        except systems.Skipped as e:
            print(f"  {name:<14}  skipped: {e}")
            out[name] = dict(status="skipped", message=str(e))
            continue
        except Exception as e:
            print(f"  {name:<14}  failed: {report.one_line(e)}")
            out[name] = dict(status="failed", message=report.one_line(e))
            continue
        print(f"  {name:<14}  {report.format_bytes(peak):>12}")
        out[name] = dict(status="ok", peak_bytes=peak)
    print("  (JAX and PyTorch allocate outside tracemalloc's view and are not measured)\n", flush=True)
    return dict(workload=workload.name, systems=out)


def main(argv=None):
    opts = parse_args(argv)
    mode = "quick" if opts.quick else "full"
    settings = SETTINGS[mode]
    if opts.only:
        selected = [BY_NAME[n] for n in dict.fromkeys(opts.only)]
    else:
        selected = [w for w in WORKLOADS if w.quick or not opts.quick]

    env = environment()
    print(f"s2sgrad benchmark ({mode}): median time per call, ratios to hand-written NumPy and to the primal")
    for group in (("python", "numpy", "cpus", "platform"), ("s2sgrad",) + PEERS):
        print("  " + ", ".join(f"{k} {env[k] if env[k] is not None else 'not installed'}" for k in group))
    print(flush=True)

    results = dict(mode=mode, settings=settings, environment=env,
                   workloads=[run_workload(w, settings) for w in selected])

    mlps = [w for w in selected if w.family == "mlp"]
    if mlps:
        results["s2sgrad_grad_build"] = run_grad_build_time(min(mlps, key=lambda w: w.sizes["N"]), settings)
        # The largest MLP selected: mlp-large in a full run, mlp-iris under --quick.
        results["memory"] = run_memory(max(mlps, key=lambda w: w.sizes["N"]))

    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"results written to {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
