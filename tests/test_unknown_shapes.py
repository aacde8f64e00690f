"""Shapes the probe cannot trust (rows picked by a mask, index arrays that change from pass to pass):
the derivative is written for any rank there, and must follow NumPy's semantics for the ranks that come.
An array of integers, though, picks by its shape, not its values: what it selects has a known shape."""

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close


def masked_rows_times_vector(W, X):
    rows = X[X[:, 0] > 0]            # as many rows as the mask picks: a matrix of unknown shape
    return np.sum((rows @ W) ** 2)


def vector_times_masked_rows(v, X):
    rows = X[X[:, 0] > 0]
    return np.sum(np.sin(v @ rows.T))


def minibatches_by_index(W, X, y):
    total = 0.0
    for idx in np.array_split(np.arange(len(y)), 3):
        p = 1 / (1 + np.exp(-(X[idx] @ W)))
        total = total - np.sum(y[idx] * np.log(p) + (1 - y[idx]) * np.log(1 - p))
    return total / len(y)


def stack_times_a_vector_of_unknown_ranks(a):
    x = a
    if np.sum(x) > 100.0:       # not taken here; on that path x has another rank, so the probe trusts neither
        x = x[None]
    S = np.stack([x, x])        # a stack of matrices when it runs
    v = np.cumsum(x)[:3]        # a vector when it runs
    return np.sum(np.sin(S @ v)) + np.sum(np.cos(v @ S))


def test_a_stack_times_a_vector_when_neither_rank_is_known(rng):
    a = rng.normal(size=(3, 3))
    grads = [s2sgrad.grad(stack_times_a_vector_of_unknown_ranks)(a)]
    assert_grads_close(stack_times_a_vector_of_unknown_ranks, grads, (a,), (0,))


@pytest.mark.parametrize("func", [masked_rows_times_vector, vector_times_masked_rows, minibatches_by_index])
def test_a_vector_times_an_array_of_unknown_rank(func, rng):
    X = rng.normal(size=(9, 3))
    X[:, 0] = np.where(np.arange(9) % 2 == 0, 1.0, -1.0)
    args = (rng.normal(size=3), X) + (((rng.random(9) > 0.5) * 1.0,) if func is minibatches_by_index else ())
    grads = s2sgrad.grad(func, wrt=(0, 1))(*args)
    assert_grads_close(func, grads, args, (0, 1))
    tangents = (rng.normal(size=3), rng.normal(size=X.shape))
    _, tangent = s2sgrad.jvp(func, wrt=(0, 1))(*args, tangents)
    np.testing.assert_allclose(tangent, sum(np.sum(g * t) for g, t in zip(grads, tangents)), rtol=1e-7, atol=1e-9)


def picks_by_label(W, X, y):
    logits = X @ W
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(y)), y])


def test_an_integer_index_array_selects_a_known_shape(rng):
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(6, 3))
    gradient = s2sgrad.grad(picks_by_label)
    for y in (np.array([0, 1, 3, 3, 2, 0]), np.array([3, 3, 3, 1, 0, 2])):   # one specialization, new labels
        grads = [gradient(W, X, y)]
        assert_grads_close(picks_by_label, grads, (W, X, y), (0,))
    assert "unbroadcast" not in gradient.source and "1.0 / 6.0" in gradient.source, gradient.source


def masked_mean(x):
    picked = x[x > 0]
    return np.sum(picked ** 2) / len(picked)


def test_a_mask_selecting_another_count_with_the_same_shapes_is_still_right(rng):
    gradient = s2sgrad.grad(masked_mean)
    for x in (np.array([1.0, -2.0, 3.0, 0.5]), np.array([1.0, 2.0, -3.0, -0.5])):   # 3 then 2 picked
        assert_grads_close(masked_mean, [gradient(x)], (x,), (0,))
