"""Plain-text tables for the benchmark's results.

The runner's output is meant to be pasted into issues and compared by eye
between runs, so every row has the same columns in the same place, skipped
and failed systems keep their row (with the reason in place of numbers), and
no row is ever wider than the reason needs.
"""

from dataclasses import dataclass
from typing import Optional

_MESSAGE_WIDTH = 110


@dataclass
class Row:
    """One system's result on one workload. ``status`` is "ok", "skipped" or "failed"."""

    system: str
    status: str
    median_s: Optional[float] = None
    number: Optional[int] = None
    repeats: Optional[int] = None
    check: str = ""
    compile_s: Optional[float] = None
    message: str = ""

    def ratio(self, other: Optional["Row"]):
        if self.median_s is None or other is None or not other.median_s:
            return None
        return self.median_s / other.median_s


def one_line(exc):
    """An exception as one short line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return text if len(text) <= _MESSAGE_WIDTH else text[: _MESSAGE_WIDTH - 3] + "..."


def _ratio(x):
    return f"{x:.2f}x" if x is not None else "-"


def format_table(title, rows, reference, primal):
    """The table for one workload: median per call, ratios to hand-written and to the primal."""
    by_name = {r.system: r for r in rows}
    ref, prim = by_name.get(reference), by_name.get(primal)
    width = max(len(r.system) for r in rows)
    header = f"  {'system':<{width}}  {'median us':>12}  {'vs hand':>8}  {'vs primal':>9}  {'loops':>7}  notes"
    lines = [title, header, "  " + "-" * (len(header) - 2)]
    for r in rows:
        if r.status != "ok":
            lines.append(f"  {r.system:<{width}}  {r.status}: {r.message}")
            continue
        notes = [r.check] if r.check else []
        if r.compile_s is not None:
            notes.append(f"compile {r.compile_s * 1e3:.1f} ms")
        lines.append(
            f"  {r.system:<{width}}  {r.median_s * 1e6:>12.1f}  {_ratio(r.ratio(ref)):>8}  "
            f"{_ratio(r.ratio(prim)):>9}  {r.number:>7}  {'; '.join(notes)}".rstrip()
        )
    return "\n".join(lines)


def format_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
