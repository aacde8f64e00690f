"""Helpers defined inside the differentiated function (``def`` or ``name = lambda``), inlined at their calls."""

import numpy as np
import pytest

import s2sgrad
from s2sgrad import grad, jvp

import local_function_cases as lf
from finite_differences import assert_grads_close

CASES = [
    (lf.relu_lambda, [(5,)]),
    (lf.square_def, [(4,)]),
    (lf.reads_the_enclosing_function, [(3, 3), (2, 3)]),
    (lf.called_in_a_loop, [(4,), (4,)]),
    (lf.parameter_shadows_a_local, [(3,), (3,)]),
    (lf.writes_into_the_enclosing_array, [(4,)]),
    (lf.returns_a_tuple, [(6,)]),
    (lf.helpers_calling_each_other, [(2, 3), (3, 3)]),
    (lf.a_helper_reads_the_definers_names_not_its_callers, [(2, 3), (3,)]),
]


@pytest.mark.parametrize("func, shapes", CASES, ids=[f.__name__ for f, _ in CASES])
def test_gradient_matches_finite_differences(func, shapes, rng):
    args = [rng.normal(size=s) for s in shapes]
    wrt = tuple(range(len(args)))
    grads = grad(func, wrt=wrt)(*args)
    assert_grads_close(func, grads, args, wrt)


@pytest.mark.parametrize("func, shapes", CASES, ids=[f.__name__ for f, _ in CASES])
def test_forward_mode_agrees_with_reverse_mode(func, shapes, rng):
    args = [rng.normal(size=s) for s in shapes]
    tangent = rng.normal(size=shapes[0])
    _, forward = jvp(func)(*args, tangent)
    reverse = grad(func)(*args)
    np.testing.assert_allclose(forward, np.sum(reverse * tangent), rtol=1e-10)


def test_the_enclosing_names_are_read_when_the_helper_is_called(rng):
    W, X = rng.normal(size=(3, 3)), rng.normal(size=(2, 3))
    expected = np.sum(np.tanh(np.tanh(X @ W) @ (2.0 * W)) ** 2)
    assert lf.reads_the_enclosing_function(W, X) == pytest.approx(expected)
    value, _ = s2sgrad.value_and_grad(lf.reads_the_enclosing_function)(W, X)
    assert value == pytest.approx(expected)


def test_the_gradient_reads_as_if_the_helper_were_at_module_level(rng):
    x = rng.normal(size=5)
    local = grad(lf.relu_lambda).source_for(x)
    module_level = grad(lf.relu_module_level).source_for(x)
    assert local.replace("grad_relu_lambda", "f") == module_level.replace("grad_relu_module_level", "f")


def test_a_helper_called_for_its_effect_leaves_no_bare_statement_behind(rng):
    source = grad(lf.writes_into_the_enclosing_array).source_for(rng.normal(size=4))
    assert "None" not in [line.strip() for line in source.splitlines()], source


def test_a_helper_called_by_another_reads_the_defining_functions_names(rng):
    x, w = rng.normal(size=(2, 3)), rng.normal(size=3)
    expected = np.sum((2.0 * x * w + 2.0 * x) ** 2)
    assert lf.a_helper_reads_the_definers_names_not_its_callers(x, w) == pytest.approx(expected)
    value, _ = s2sgrad.value_and_grad(lf.a_helper_reads_the_definers_names_not_its_callers, wrt=(0, 1))(x, w)
    assert value == pytest.approx(expected)
