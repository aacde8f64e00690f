"""An array the function reads from outside (a module global) has a shape, as an argument has.

A uniform adjoint (the seed of ``np.sum``) met ``x[:, None] * C`` with ``C`` a
module array and took ``C`` for a constant number: the gradient read
``np.full_like(x, C * 3)``, which crashed (or, for other shapes, would have
broadcast). Each case is checked against finite differences, on a first call,
after ``C`` is rebound to another shape, and in forward mode.
"""

import numpy as np
import pytest

import s2sgrad
from finite_differences import numerical_grad

C = np.arange(6.0).reshape(2, 3) + 1.0


def outer_sum(x):
    return np.sum(x[:, None] * C)


def outer_sum_scaled(x):
    return np.sum(2.0 * C * x[:, None])


def outer_mean(x):
    return np.mean(C * x[:, None]) + np.sum(x[:, None] - C)


CASES = [outer_sum, outer_sum_scaled, outer_mean]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_an_outside_array_broadcast_against_an_argument(f):
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(s2sgrad.grad(f)(x), numerical_grad(f, [x], 0), rtol=1e-6, atol=1e-8)
    t = np.array([0.3, 0.7])
    _, tangent = s2sgrad.jvp(f)(x, t)
    np.testing.assert_allclose(tangent, numerical_grad(f, [x], 0) @ t, rtol=1e-6, atol=1e-8)


def test_the_outside_arrays_shape_is_read_again_when_it_is_rebound():
    global C
    saved = C
    d = s2sgrad.grad(outer_sum)
    x = np.array([1.0, 2.0])
    try:
        np.testing.assert_allclose(d(x), C.sum(axis=1))
        for new in (np.ones((2, 5)), np.arange(1.0, 3.0)[:, None], np.array([4.0])):
            C = new
            np.testing.assert_allclose(d(x), numerical_grad(outer_sum, [x], 0), rtol=1e-6, atol=1e-8)
    finally:
        C = saved
