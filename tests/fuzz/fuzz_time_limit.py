"""A wall-clock limit on running candidate code, so that generating or checking a program never hangs.

The generator executes every candidate statement on the program's arguments
(:mod:`fuzz_programs`). A candidate ``while`` loop may never end: a loop that
reuses its counter's name in an inner loop, a bound that grows with the body, a
counter rebound to a float. The generator then rejects the candidate like one
that raises. The limit is a ``SIGALRM`` timer, so it interrupts pure-Python and
NumPy loops alike; where no such timer exists (Windows, a thread other than the
main one) the code runs without a limit, as before. The campaign puts a
limit on each whole program around these (``scripts/fuzz_campaign.py``), so
that a derivative that never ends is counted as a failure, not waited for.
"""

import contextlib
import signal
import threading
import time

CANDIDATE_SECONDS = 2.0     # a generated statement runs in milliseconds; this is only a backstop


class TimeLimitExceeded(Exception):
    """The candidate code ran longer than its limit."""


_deadlines = []           # the limits in force, innermost last (monotonic seconds)
_previous_handler = []


def _expire(signum, frame):
    raise TimeLimitExceeded("candidate code ran out of time")


@contextlib.contextmanager
def time_limit(seconds=CANDIDATE_SECONDS):
    """Raise :class:`TimeLimitExceeded` in the block if it runs longer than ``seconds``.

    Limits nest: the inner one ends no later than the outer one (a campaign's
    limit per program around the generator's limit per candidate statement),
    and on leaving it the outer one's remaining time is armed again.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    now = time.monotonic()
    deadline = min([now + seconds] + _deadlines[-1:])
    if not _deadlines:
        _previous_handler.append(signal.signal(signal.SIGALRM, _expire))
    _deadlines.append(deadline)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 1e-4))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _deadlines.pop()
        if _deadlines:      # the outer limit goes on (if it has run out meanwhile, it fires at once)
            signal.setitimer(signal.ITIMER_REAL, max(_deadlines[-1] - time.monotonic(), 1e-4))
        else:
            signal.signal(signal.SIGALRM, _previous_handler.pop())
