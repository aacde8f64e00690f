"""Calls a rule covers only in part are refused, at the user's line, never differentiated wrongly."""

import numpy as np
import pytest

import s2sgrad


def interp_with_a_fill_value(x, fp):
    return np.sum(np.interp(x, np.linspace(0.0, 1.0, 4), fp, left=0.0))


def interp_over_varying_knots(x, xp):
    return np.sum(np.interp(x, np.cumsum(np.exp(xp)), np.arange(4.0)))


def sparse_grid(a, b):
    A, B = np.meshgrid(a, b, sparse=True)
    return np.sum(A * B)


def pad_by_the_mean(x):
    return np.sum(np.pad(x, 2, mode="mean") ** 2)


def covariance_with_weights(X, w):
    return np.trace(np.cov(X, aweights=w))


@pytest.mark.parametrize("f, args, words", [
    (interp_with_a_fill_value, (np.linspace(-0.5, 1.5, 5), np.arange(4.0)), "left="),
    (interp_over_varying_knots, (np.linspace(0.0, 3.0, 5), np.zeros(4)), "knots xp"),
    (sparse_grid, (np.ones(2), np.ones(3)), "sparse=True"),
    (pad_by_the_mean, (np.ones(3),), "mode='mean'"),
    (covariance_with_weights, (np.arange(8.0).reshape(2, 4) ** 2, np.ones(4)), "aweights="),
])
def test_refused_with_the_users_line(f, args, words):
    with pytest.raises(s2sgrad.GradError) as info:
        s2sgrad.grad(f, wrt=(0, 1) if len(args) > 1 else 0)(*args)
    message = str(info.value)
    assert words in message and "test_rule_refusals.py:" in message, message
