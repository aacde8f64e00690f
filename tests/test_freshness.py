"""A gradient is of the function as it runs now (issue 19, item 1).

What a derivative took from outside the function when it was compiled (module
globals folded in or bound, closure cells, helpers inlined, the function's own
code) is checked at each call; after ``LAM = 5.0``, ``helper = np.cos`` or a
replaced ``__code__`` it is compiled afresh. A source file edited after import
is not differentiated in place of the code that runs. Each case is checked in
reverse (``grad``, on the derivative held from before and on a fresh
``grad(loss)``) and forward mode (``jvp``) against finite differences of the
function as it is now.
"""

import importlib
import sys

import numpy as np
import pytest

import s2sgrad
from finite_differences import numerical_grad

MODULE = '''
import numpy as np

LAM = 1.0
ARR = np.array([1.0, 2.0, 3.0])
SCALE = 2.0


def helper(x):
    return np.sin(x)


def other_helper(x):
    return np.tanh(x) * 3.0


def scaled(x):
    return x * SCALE


def loss(w):
    return np.sum(LAM * w * w * ARR) + np.sum(helper(w)) + np.sum(scaled(w) ** 2)


def cubic(w):
    return np.sum(w ** 3)


class Model:
    scale = 2.0


model = Model()
rng = np.random.default_rng(0)


def with_attributes(w):
    return np.sum(np.tanh(w) * model.scale) + np.sum(w * rng.normal(size=3) * 0.0)


def scaled_cubic(w):
    return LAM * np.sum(w ** 3)


DF = None      # the test puts grad(scaled_cubic) here


def through_a_gradient(w):
    return np.sum(DF(w) ** 2)


def make(lam):
    def inner(w):
        return np.sum(lam * w ** 3)

    def set_lam(value):
        nonlocal lam
        lam = value
    return inner, set_lam
'''

W = np.array([0.3, -1.2, 0.7])
V = np.array([0.5, 1.0, -2.0])


@pytest.fixture
def module(tmp_path, request):
    """A fresh module of its own per test, written to a file and imported (so its globals may be rebound)."""
    name = "freshness_case_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    path = tmp_path / f"{name}.py"
    path.write_text(MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name), path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


def assert_current(f, held_grad=None, held_jvp=None):
    """The gradient and the jvp of ``f`` are those of ``f`` as it runs now, held derivatives' too."""
    expected = numerical_grad(f, [W], 0)
    for g in [s2sgrad.grad(f)] + ([held_grad] if held_grad is not None else []):
        np.testing.assert_allclose(g(W), expected, rtol=1e-5, atol=1e-7)
    for j in [s2sgrad.jvp(f)] + ([held_jvp] if held_jvp is not None else []):
        value, tangent = j(W, V)
        np.testing.assert_allclose(value, f(W), rtol=1e-12)
        np.testing.assert_allclose(tangent, expected @ V, rtol=1e-5, atol=1e-7)


def rebind_float(mod):
    mod.LAM = 5.0


def rebind_array(mod):
    mod.ARR = np.array([4.0, -1.0, 0.5])


def rebind_array_to_another_shape(mod):
    mod.ARR = np.array([-2.0])


def mutate_array(mod):
    mod.ARR[:] = [7.0, 0.5, -3.0]


def rebind_helper(mod):
    mod.helper = np.cos


def rebind_a_helpers_global(mod):
    mod.SCALE = -3.0


def replace_a_helpers_code(mod):
    mod.helper.__code__ = mod.other_helper.__code__


def replace_the_functions_code(mod):
    mod.loss.__code__ = mod.cubic.__code__


CHANGES = [rebind_float, rebind_array, rebind_array_to_another_shape, mutate_array, rebind_helper,
           rebind_a_helpers_global, replace_a_helpers_code, replace_the_functions_code]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_gradient_sees_what_the_function_reads_when_it_runs(module, change):
    mod, _ = module
    held_grad, held_jvp = s2sgrad.grad(mod.loss), s2sgrad.jvp(mod.loss)
    assert_current(mod.loss, held_grad, held_jvp)
    before = held_grad(W)
    change(mod)
    assert not np.allclose(numerical_grad(mod.loss, [W], 0), before)     # (the change changes the gradient)
    assert_current(mod.loss, held_grad, held_jvp)


def test_a_constant_rebound_to_an_equal_value_keeps_the_compiled_gradient(module):
    mod, _ = module
    g = s2sgrad.grad(mod.loss)
    g(W)
    compiled = g._latest
    mod.LAM = float("1.0")           # another float object, the same literal
    g(W)
    assert g._latest is compiled


def test_an_attribute_rebound_and_a_method_read_again(module):
    mod, _ = module
    g = s2sgrad.grad(mod.with_attributes)
    g(W)
    compiled = g._latest
    g(W)
    assert g._latest is compiled               # rng.normal is a new bound method at each read: the same one
    mod.Model.scale = -5.0
    np.testing.assert_allclose(g(W), -5.0 * (1 - np.tanh(W) ** 2))
    assert_current(mod.with_attributes, g)


def test_a_closure_cell_rebound(module):
    mod, _ = module
    inner, set_lam = mod.make(2.0)
    held_grad, held_jvp = s2sgrad.grad(inner), s2sgrad.jvp(inner)
    assert_current(inner, held_grad, held_jvp)
    set_lam(-4.0)
    np.testing.assert_allclose(held_grad(W), -12.0 * W ** 2)
    assert_current(inner, held_grad, held_jvp)


def test_a_source_file_edited_after_its_gradient_is_still_the_running_functions(module):
    mod, path = module
    assert_current(mod.loss)
    path.write_text(MODULE.replace("LAM * w * w * ARR", "LAM * w * w * w * w * ARR"))
    assert_current(mod.loss)                         # the code that runs, not the file's new text


def test_a_source_file_edited_before_the_first_gradient_is_refused_until_reloaded(module):
    mod, path = module
    path.write_text(MODULE.replace("LAM * w * w * ARR", "LAM * w * w * w * ARR"))
    with pytest.raises(s2sgrad.GradError, match="reload") as info:
        s2sgrad.grad(mod.loss)(W)
    assert "loss" in str(info.value) and str(path) in str(info.value)
    with pytest.raises(s2sgrad.GradError, match="reload"):
        s2sgrad.jvp(mod.loss)(W, V)
    mod = importlib.reload(mod)
    assert_current(mod.loss)
    np.testing.assert_allclose(s2sgrad.grad(mod.loss)(W), numerical_grad(mod.loss, [W], 0), rtol=1e-5)


def test_a_gradient_taken_again_after_a_rebinding_follows_it(module):
    mod, _ = module
    hvp = s2sgrad.hvp(mod.loss)
    first = hvp(W, V)
    mod.LAM = 3.0
    step = 1e-5
    expected = (s2sgrad.grad(mod.loss)(W + step * V) - s2sgrad.grad(mod.loss)(W - step * V)) / (2 * step)
    assert not np.allclose(first, expected)
    np.testing.assert_allclose(hvp(W, V), expected, rtol=1e-5, atol=1e-6)


def test_a_function_calling_a_gradient_follows_a_rebinding_under_it(module):
    mod, _ = module
    mod.DF = s2sgrad.grad(mod.scaled_cubic)
    outer = s2sgrad.grad(mod.through_a_gradient)
    np.testing.assert_allclose(outer(W), 2 * (3 * W ** 2) * 6 * W)
    mod.LAM = 2.0
    np.testing.assert_allclose(outer(W), 2 * (6 * W ** 2) * 12 * W)
    assert_current(mod.through_a_gradient, outer)


def test_clear_cache_compiles_afresh():
    def quartic(w):
        return np.sum(w ** 4)
    g = s2sgrad.grad(quartic)
    g(W)
    compiled = g._latest
    s2sgrad.clear_cache()
    np.testing.assert_allclose(g(W), 4 * W ** 3)
    assert g._latest is not compiled


def test_the_specializations_kept_per_derivative_are_bounded_least_recently_used_first():
    from s2sgrad.api import SPECIALIZATIONS_KEPT

    def squares(w):
        return np.sum(w * w)
    g = s2sgrad.grad(squares)
    kept_in_use = np.arange(1.0, 3.0)
    for n in range(3, 3 + SPECIALIZATIONS_KEPT + 10):
        w = np.arange(float(n))
        np.testing.assert_allclose(g(w), 2 * w)
        np.testing.assert_allclose(g(kept_in_use), 2 * kept_in_use)    # called throughout: never evicted
        assert len(g._specialized) <= SPECIALIZATIONS_KEPT
    compiled = g._latest
    g(kept_in_use)
    assert g._latest is compiled
    np.testing.assert_allclose(g(np.arange(3.0)), 2 * np.arange(3.0))   # evicted long ago: compiled again
    assert len(g._specialized) == SPECIALIZATIONS_KEPT


def test_the_check_is_made_on_a_written_out_source_too(module):
    mod, _ = module
    g = s2sgrad.grad(mod.loss)
    g(W)
    assert "cos" in g.source                   # (the derivative of np.sin)
    mod.helper = np.tanh
    assert "tanh" in g.source and "cos" not in g.source

