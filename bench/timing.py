"""timeit-style timing: warm up, size the inner loop, repeat, take the median.

Calls here range from microseconds (chain30 on 1e3 elements) to about a
second (mlp-large), so a fixed loop count would either drown in timer noise
or take minutes. Like ``timeit.Timer.autorange`` we grow the inner loop until
one repeat lasts ``target_s``; unlike it we report the median over repeats,
which is robust to the odd slow repeat on a shared two-core machine.
"""

import statistics
import timeit
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    median_s: float        # per call
    number: int            # calls per repeat
    repeats: int


def measure(fn, target_s=0.2, repeats=5, warmup=2):
    """Median seconds per call of ``fn()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    timer = timeit.Timer(fn)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target_s or number >= 1_000_000:
            break
        # Aim a little past the target so one more try usually suffices.
        number = max(number * 2, int(number * 1.2 * target_s / max(elapsed, 1e-9)))
    per_call = [t / number for t in timer.repeat(repeat=repeats, number=number)]
    return Timing(statistics.median(per_call), number, repeats)


def time_once(fn):
    """Seconds for a single call (for one-off costs such as compilation)."""
    return timeit.Timer(fn).timeit(1)
