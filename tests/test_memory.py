"""Memory: a gradient holds no more large arrays at its peak than a hand-written one, and
nothing s2sgrad caches outlives the function it was made for.

The peak is measured with ``tracemalloc`` (NumPy reports its buffers to it),
so it is exact and does not depend on the machine's load. The lecture MLP is
sized so that its N x M arrays are above :data:`s2sgrad.release.MIN_ELEMENTS`.
"""

import gc
import linecache
import tracemalloc
import weakref

import numpy as np

import s2sgrad
import s2sgrad.api
from s2sgrad.optimize import disabled as optimizer_disabled
from s2sgrad.release import MIN_ELEMENTS
from samples.lecture_mlp import cost_rowwise

import control_flow_functions as cf
from lecture import make_data
from bench.handwritten import mlp_cost_grad


def peak_extra_bytes(fn):
    fn()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak - before


def big_lecture_data():
    N, M = 1200, 128                      # N x M = 153600 elements, above MIN_ELEMENTS
    assert N * M >= MIN_ELEMENTS
    return make_data(np.random.default_rng(0), N=N, D=20, M=M, C=4)


def test_the_lecture_gradient_peaks_no_higher_than_the_hand_written_one():
    args = big_lecture_data()
    g = s2sgrad.grad(cost_rowwise, wrt=("W", "V"))
    hand = peak_extra_bytes(lambda: mlp_cost_grad(*args))
    generated = peak_extra_bytes(lambda: g(*args))
    assert generated <= 1.05 * hand, (generated, hand, g.source)


def test_a_large_value_only_the_forward_sweep_reads_is_released_before_the_backward_sweep():
    args = big_lecture_data()
    g = s2sgrad.grad(cost_rowwise, wrt=("W", "V"))
    source = g.source_for(*args)
    lines = [line.strip() for line in source.splitlines()]
    assert "del Q" in lines                          # Q feeds only Z = logistic(Q)
    assert lines.index("del Q") < min(i for i, line in enumerate(lines) if line.startswith("dU"))
    assert not any(line.startswith("del") and "Z" in line for line in lines)   # the backward sweep reads Z
    with optimizer_disabled():
        plain = s2sgrad.grad(cost_rowwise, wrt=("W", "V"))(*args)
    for a, b in zip(g(*args), plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_small_values_and_functions_that_return_their_value_keep_their_plain_look():
    small = make_data(np.random.default_rng(0), N=7, D=3, M=4, C=3)
    assert "del " not in s2sgrad.grad(cost_rowwise, wrt=("W", "V")).source_for(*small)
    big = big_lecture_data()
    assert "del " not in s2sgrad.value_and_grad(cost_rowwise, wrt=("W", "V")).source_for(*big)


def test_values_kept_alive_under_another_name_are_not_released(rng):
    # tuple_from_helper has pair = s, c: deleting s and c would free nothing
    args = (rng.random(MIN_ELEMENTS) + 0.1, rng.random(MIN_ELEMENTS) + 0.1)
    g = s2sgrad.grad(cf.tuple_from_helper, wrt=(0, 1))
    assert "del " not in g.source_for(*args)
    with optimizer_disabled():
        plain = s2sgrad.grad(cf.tuple_from_helper, wrt=(0, 1))(*args)
    for a, b in zip(g(*args), plain):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_compiling_leaves_no_syntax_tree_to_the_cycle_collector():
    """Compiling creates hundreds of thousands of tree nodes; each phase's tree must be freed as soon as the
    phase is done with it (by reference counting), not kept in a reference cycle (a closure that calls
    itself, say) until the next collection, which would then have to trace them all."""
    import gc

    import gast

    rng = np.random.default_rng(0)
    calls = [(cf.array_writes, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),            # aliasing, tape
             (cf.loop_over_zip_and_enumerate, rng.normal(size=(4, 3)), rng.normal(size=4)),   # indexed loops
             (cf.branch_on_value, rng.normal(size=3), rng.normal(size=3))]
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for func, *args in calls:
            s2sgrad.grad(func, wrt=(0, 1))(*args)
        gc.collect()
        nodes = [type(o).__name__ for o in gc.garbage if isinstance(o, gast.AST)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert nodes == []


def closure_over(data):
    def loss(w):
        return np.sum(np.tanh(w * data))
    return loss


def test_a_function_dropped_after_its_gradient_is_freed_with_what_its_closure_holds():
    # a loss made per batch, as a training loop writes it: the cache must not keep each one
    # (and its batch) alive; only the last few derivatives asked for are kept, for grad(f)(x) in a loop
    made = s2sgrad.api._RECENT_KEPT + 3
    functions, batches, sources = [], [], []
    for k in range(made):
        batch = np.full(3, float(k))
        loss = closure_over(batch)
        g = s2sgrad.grad(loss)
        np.testing.assert_allclose(g(np.ones(3)), batch * (1 - np.tanh(batch) ** 2))
        sources.append(g._latest.function.__code__.co_filename)
        functions.append(weakref.ref(loss))
        batches.append(weakref.ref(batch))
        del batch, loss, g
    gc.collect()
    assert [f() is None for f in functions] == [True] * 3 + [False] * (made - 3)
    assert [b() is None for b in batches] == [True] * 3 + [False] * (made - 3)
    assert [s in linecache.cache for s in sources] == [False] * 3 + [True] * (made - 3)


def test_a_derivative_asked_for_again_is_the_cached_one_even_when_nobody_kept_it():
    loss = closure_over(np.arange(3.0))
    first = weakref.ref(s2sgrad.grad(loss))
    gc.collect()
    assert s2sgrad.grad(loss) is first()
