"""The seed lecture's MLP: exact gradients, broadcasting quirk included, and the code users see."""

import sys

import numpy as np
import pytest

import s2sgrad
from s2sgrad import grad, value_and_grad

from finite_differences import assert_grads_close
from lecture import cost, make_data


def test_gradient_matches_finite_differences(rng):
    X, Y, W, V = make_data(rng)
    dW, dV = grad(cost, wrt=("W", "V"))(X, Y, W, V)
    assert_grads_close(cost, (dW, dV), (X, Y, W, V), (2, 3))


def test_value_and_grad_returns_the_value(rng):
    args = make_data(rng)
    value, (dW, dV) = value_and_grad(cost, wrt=("W", "V"))(*args)
    assert value == pytest.approx(cost(*args))
    assert dW.shape == args[2].shape and dV.shape == args[3].shape


def test_every_argument_and_shape(rng):
    for N, D, M, C in [(1, 2, 3, 2), (6, 1, 1, 4), (10, 3, 16, 3)]:
        args = make_data(rng, N, D, M, C)
        grads = grad(cost, wrt=(0, 1, 2, 3))(*args)
        assert_grads_close(cost, grads, args, (0, 1, 2, 3))


def test_the_broadcast_in_the_lecture_is_reproduced(rng):
    # np.sum(U * Y, 1) is (N,), logsumexp(U) is (N, 1): NumPy broadcasts to N x N
    X, Y, W, V = make_data(rng, N=5)
    dW = grad(cost, wrt="W")(X, Y, W, V)
    assert_grads_close(cost, (dW,), (X, Y, W, V), (2,))


def test_only_the_wrt_adjoints_are_computed(rng):
    args = make_data(rng)
    g = grad(cost, wrt=("W", "V"))
    g(*args)
    assert "dX" not in g.source and "dY" not in g.source


def test_generic_and_specialized_code_agree(rng):
    args = make_data(rng)
    g = grad(cost, wrt=("W", "V"))
    namespace = dict(vars(sys.modules[cost.__module__]))    # the generic code calls logistic, logsumexp
    exec(g.generic_source, namespace)
    generic = namespace["grad_cost"](*args)     # what grad(cost) returns (s2sgrad/convention.py)
    for a, b in zip(generic, g(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_check_grad_agrees_with_finite_differences(rng):
    args = make_data(rng)
    assert s2sgrad.check_grad(cost, args, wrt=("W", "V")) < 1e-6
