"""Where the program generator's decisions come from: Hypothesis, a seed, or a replayed list.

The generator (:mod:`fuzz_programs`) asks only for small integers. Under pytest
they come from Hypothesis (``draw(st.integers(lo, hi))``), which shrinks a
failing program by itself. The long campaign (``scripts/fuzz_campaign.py``)
draws them from a seeded ``random.Random`` and records them, so that a failure
can be replayed from that list and shrunk by :func:`shrink`, which deletes and
lowers entries the way Hypothesis does. Every decision is written so that the
smallest value is the simplest choice, and a replayed list that runs out yields
the smallest value: any list of integers is a valid program.
"""

import random


class Chooser:
    """The decisions a generator makes, all reduced to ``integer(lo, hi)``."""

    def integer(self, lo, hi):
        raise NotImplementedError

    def pick(self, options):
        """One of ``options``; the first is what shrinking moves towards."""
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent):
        """True with about ``percent`` % probability; shrinks to False."""
        return self.integer(0, 99) >= 100 - percent


class HypothesisChooser(Chooser):
    def __init__(self, draw):
        from hypothesis import strategies as st
        self._draw = draw
        self._st = st

    def integer(self, lo, hi):
        return self._draw(self._st.integers(lo, hi))


class RandomChooser(Chooser):
    """Seeded random decisions, recorded in ``self.record`` for replay and shrinking."""

    def __init__(self, seed):
        self._random = random.Random(seed)
        self.record = []

    def integer(self, lo, hi):
        value = self._random.randint(lo, hi)
        self.record.append(value - lo)
        return value


class ReplayChooser(Chooser):
    """Decisions read back from a list (offsets from ``lo``); past its end, the smallest."""

    def __init__(self, record):
        self._record = list(record)
        self._at = 0
        self.record = []

    def integer(self, lo, hi):
        raw = self._record[self._at] if self._at < len(self._record) else 0
        self._at += 1
        value = lo + raw % (hi - lo + 1)
        self.record.append(value - lo)
        return value


def shrink(record, still_fails, budget=400):
    """A shorter/smaller decision list for which ``still_fails(list)`` holds.

    Greedy passes in Hypothesis's spirit: delete chunks, then zero entries,
    then halve them, until nothing helps or ``budget`` replays are spent.
    """
    best = list(record)
    tries = 0

    def attempt(candidate):
        nonlocal best, tries
        if tries >= budget or candidate == best:
            return False
        tries += 1
        if still_fails(candidate):
            best = candidate
            return True
        return False

    improved = True
    while improved and tries < budget:
        improved = False
        for size in (16, 8, 4, 2, 1):
            i = len(best) - size
            while i >= 0:
                if attempt(best[:i] + best[i + size:]):
                    improved = True
                i -= size if size > 1 else 1
                i = min(i, len(best) - size)
        for i in range(len(best)):
            if i < len(best) and best[i] and attempt(best[:i] + [0] + best[i + 1:]):
                improved = True
        for i in range(len(best)):
            if i < len(best) and best[i] > 1 and attempt(best[:i] + [best[i] // 2] + best[i + 1:]):
                improved = True
    return best
