"""Tests of the fuzzer itself: its time limit, its complex convention, and that each feature reaches its construct."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fuzz_programs
from fuzz_choices import RandomChooser
from fuzz_oracles import Failure, directional_check


def test_a_candidate_while_loop_that_never_ends_is_rejected():
    """The generator runs candidate statements; one that loops forever is rejected, not waited for."""
    script = textwrap.dedent("""
        import numpy as np
        import fuzz_programs
        from fuzz_choices import RandomChooser
        g = fuzz_programs.Generator(RandomChooser(0), fuzz_programs.ALL)
        g.arguments = []
        body = fuzz_programs.Body(g, {"a": np.ones(3)}, indent=1)
        try:
            body.run("i = 0\\nwhile i < 3:\\n    for i in range(1):\\n        a = a * 1.0\\n    i += 1")
        except fuzz_programs.Rejected:
            print("rejected")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=fuzz_programs.__file__.rsplit("/", 1)[0])
    assert out.stdout.strip() == "rejected", out.stderr


def test_complex_directions_follow_the_autograd_jax_convention():
    """For real f of z = x + iy the gradient is df/dx - i df/dy: for |z|**2 that is 2 conj(z), not 2 z."""
    z = np.array([0.3 + 0.4j, -0.5 + 0.2j])

    def f(z):
        return np.sum(np.abs(z) ** 2)

    assert directional_check(f, (z,), (0,), (2 * np.conj(z),), seed=1) is None
    with pytest.raises(Failure):
        directional_check(f, (z,), (0,), (2 * z,), seed=1)


@pytest.mark.parametrize("feature, tag", [("repeats", "repeated_index_write"), ("names", "reused_loop_name"),
                                          ("global_writes", "global_write"), ("complex", "complex")])
def test_each_new_feature_reaches_its_construct(feature, tag):
    """Each feature of issue 19's classes generates its construct, and only with the feature on."""
    features = fuzz_programs.STRAIGHT | fuzz_programs.CONTROL
    with_it = [fuzz_programs.generate(RandomChooser(seed), features | {feature}) for seed in range(40)]
    without = [fuzz_programs.generate(RandomChooser(seed), features) for seed in range(40)]
    assert sum(tag in p.tags for p in with_it) >= 4
    assert not any(tag in p.tags for p in without)


@pytest.mark.parametrize("form", range(8))
def test_the_returned_expression_runs_on_a_python_float(form):
    """The return line is not simulated: on a Python float it must not call a method (x.mean()); seed 3100075."""
    from fuzz_choices import ReplayChooser
    g = fuzz_programs.Generator(ReplayChooser([]), fuzz_programs.STRAIGHT)
    body = fuzz_programs.Body(g, {"x": 0.5}, indent=1)
    body.c = g.c = ReplayChooser([form])
    body.finish()
    namespace = {"np": np}
    exec("def f(x):\n" + "".join(body.lines), namespace)
    assert np.isfinite(namespace["f"](0.5))


def test_time_limits_nest():
    """An inner limit ends no later than the outer one, and the outer one still holds after it."""
    import time
    from fuzz_time_limit import TimeLimitExceeded, time_limit
    start = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.5):
            try:
                with time_limit(0.2):
                    while True:
                        pass
            except TimeLimitExceeded:
                pass
            while True:      # the outer limit, re-armed
                pass
    assert time.monotonic() - start < 5


def test_a_candidate_that_changes_an_argument_through_a_row_is_rejected_and_undone():
    """`for t1 in x: ... t1 += 1` (a while counter reused as a loop target) changes x's rows in place: the
    simulation must not keep that (it did, and the program then failed on its own arguments: seed 3000544)."""
    g = fuzz_programs.Generator(RandomChooser(0), fuzz_programs.ALL)
    x = np.array([[0.5, -0.5], [0.25, 0.75]])
    g.arguments = [x]
    body = fuzz_programs.Body(g, {"x": x}, indent=1)
    with pytest.raises(fuzz_programs.Rejected):
        body.run("for t1 in x:\n    t1 += 1")
    np.testing.assert_array_equal(x, [[0.5, -0.5], [0.25, 0.75]])
