"""What a gradient returns: each derivative under its own name (``return dx, dW``), and in an array of
its own, never the caller's input array or a view of it, which the caller may change in place."""

import numpy as np

import s2sgrad
from finite_differences import assert_grads_close


def parameter_passed_straight_on(x, W):
    r = W + x                # dW is dr: returned as dW, not as dr
    return np.sum(np.tanh(r))


def gradient_is_an_input(x, y):
    return np.sum(x * y)     # dx is y, dy is x


def gradient_is_a_view_of_an_input(x, y):
    return np.sum(x * y.T)   # dx is y.T


def gradient_is_a_number(a, x):
    return a * 2.0 + np.sum(np.sin(x))      # da is 2.0


def test_a_parameters_gradient_keeps_its_name(rng):
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    d = s2sgrad.grad(parameter_passed_straight_on, wrt=(0, 1))
    grads = d(x, W)
    assert "dW = 1 - np.tanh(r) ** 2" in d.source and "return dx, dW" in d.source, d.source
    assert_grads_close(parameter_passed_straight_on, grads, (x, W), (0, 1))


def test_a_gradient_is_never_an_input_array(rng):
    x, y = rng.normal(size=3), rng.normal(size=3)
    d = s2sgrad.grad(gradient_is_an_input, wrt=(0, 1))
    dx, dy = d(x, y)
    assert "return dx, dy" in d.source, d.source
    np.testing.assert_array_equal(dx, y)
    assert not np.shares_memory(dx, y) and not np.shares_memory(dy, x)
    dx *= 0.0                # a caller may change its gradient in place (dW *= mask, total += dW)
    assert np.all(y != 0.0)


def test_a_gradient_is_never_a_view_of_an_input(rng):
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    dx, dy = s2sgrad.grad(gradient_is_a_view_of_an_input, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, y.T)
    assert not np.shares_memory(dx, y) and not np.shares_memory(dy, x)


def test_a_number_gradient_is_named_too(rng):
    x = rng.normal(size=3)
    d = s2sgrad.grad(gradient_is_a_number, wrt=(0, 1))
    da, dx = d(1.5, x)
    assert "da = 2.0" in d.source and "return da, dx" in d.source, d.source
    assert da == 2.0
    assert_grads_close(gradient_is_a_number, (da, dx), (1.5, x), (0, 1))
