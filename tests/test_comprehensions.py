"""List comprehensions and generator expressions, written out as loops: their derivatives, checked
numerically in both modes, and the loop a reader finds in the generated code."""

import numpy as np
import pytest

from s2sgrad import grad, jvp

import comprehension_functions as cf
from finite_differences import assert_grads_close


def _cases(rng):
    return [
        (cf.assigned, (rng.normal(size=4), 0.7), (0, 1)),
        (cf.generator_in_calls, (rng.normal(size=4),), (0,)),
        (cf.filtered, (rng.normal(size=5),), (0,)),
        (cf.two_generators, (rng.normal(size=(3, 3)), rng.normal(size=3)), (0, 1)),
        (cf.variable_named_like_a_parameter, (rng.normal(size=3),), (0,)),
        (cf.inside_a_loop, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
        (cf.stacked, (rng.normal(size=(3, 2)), rng.normal(size=(2, 2))), (0, 1)),
        (cf.over_enumerate_and_zip, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
        (cf.calls_the_helper, (rng.normal(size=4),), (0,)),
        (cf.reads_its_own_target, (rng.normal(size=4),), (0,)),
    ]


@pytest.mark.parametrize("k", range(10), ids=lambda k: _cases(np.random.default_rng(0))[k][0].__name__)
def test_reverse_mode_matches_finite_differences(k):
    f, args, wrt = _cases(np.random.default_rng(k))[k]
    grads = grad(f, wrt=wrt)(*args)
    assert_grads_close(f, grads, args, wrt)


@pytest.mark.parametrize("k", range(10), ids=lambda k: _cases(np.random.default_rng(0))[k][0].__name__)
def test_forward_mode_matches_reverse_mode(k):
    rng = np.random.default_rng(k)
    f, args, wrt = _cases(rng)[k]
    grads = grad(f, wrt=wrt)(*args)
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in wrt)
    _, tangent = jvp(f, wrt=wrt)(*args, tangents)
    expected = sum(float(np.sum(g * t)) for g, t in zip(grads, tangents))
    np.testing.assert_allclose(tangent, expected, rtol=1e-9, atol=1e-12)


def test_the_comprehension_reads_as_the_loop_it_stands_for():
    source = grad(cf.assigned, wrt=(0, 1)).source_for(np.ones(3), 0.5)
    assert "ys = []" in source and "ys.append(" in source       # the list it assigns, filled in place
    assert "for v in" not in source.replace("for v_", "")         # its variable renamed: the user's v is untouched


def test_the_comprehension_variable_does_not_leak():
    x = np.array([0.5, -1.0, 2.0])
    g = grad(cf.variable_named_like_a_parameter)(x)
    np.testing.assert_allclose(g, 2.0 + 2 * x)


def test_a_list_of_arrays_of_different_shapes():
    """Nothing the shape probe learns has a fixed shape here (the list's items differ), but the parameter is
    a list: the derivative is built for that, not taken from the code for arguments of any kind, which
    took it for an array (np.zeros_like of the list failed)."""
    rng = np.random.default_rng(5)
    ws = [rng.normal(size=3), rng.normal(size=(2, 2))]
    grads = grad(cf.over_a_list_of_weights)(ws)
    for g, w in zip(grads, ws):
        np.testing.assert_allclose(g, 2 * w + np.cos(w), rtol=1e-12)
