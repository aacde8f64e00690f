"""A wall-clock limit on running candidate code, so that generating or checking a program never hangs.

The generator executes every candidate statement on the program's arguments
(:mod:`fuzz_programs`). A candidate ``while`` loop may never end: a loop that
reuses its counter's name in an inner loop, a bound that grows with the body, a
counter rebound to a float. The generator then rejects the candidate like one
that raises. The limit is a ``SIGALRM`` timer, so it interrupts pure-Python and
NumPy loops alike; where no such timer exists (Windows, a thread other than the
main one) the code runs without a limit, as before.
"""

import contextlib
import signal
import threading

CANDIDATE_SECONDS = 2.0     # a generated statement runs in milliseconds; this is only a backstop


class TimeLimitExceeded(Exception):
    """The candidate code ran longer than its limit."""


_active = False


@contextlib.contextmanager
def time_limit(seconds=CANDIDATE_SECONDS):
    """Raise :class:`TimeLimitExceeded` in the block if it runs longer than ``seconds``.

    Nested uses keep the outer limit (one timer at a time), which is the
    tighter one for the generator: a statement is evaluated inside the
    candidate that contains it.
    """
    global _active
    if _active or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f"candidate code ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    _active = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _active = False
