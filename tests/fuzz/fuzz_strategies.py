"""Hypothesis strategies over the program generator: Hypothesis makes every decision, and shrinks."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import fuzz_programs
from fuzz_choices import HypothesisChooser


def programs(features=fuzz_programs.STRAIGHT, max_statements=8):
    """Random valid programs (:class:`fuzz_programs.Program`) with the given features."""

    @st.composite
    def strategy(draw):
        return fuzz_programs.generate(HypothesisChooser(draw), features, max_statements)

    return strategy()


def ci_settings(max_examples):
    """A fixed, reproducible budget: the same programs on every run, no time limit per example."""
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
