"""Calls with several results (``a, b, c = np.split(x, [2, 5])``, ``w, V = np.linalg.eigh(S)``): a result
whose adjoint is one number standing for an array (``np.sum(a)`` passes the same value to every element)
reaches the rule's template as the array it stands for."""

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close


def pieces_summed(x):
    a, b, c = np.split(x, [2, 5])
    return np.sum(a) * np.sum(b ** 2) + np.sum(np.sin(c))


def piece_summed_alone(x):
    a, b = np.array_split(x, 2)
    return np.sum(a) + np.sum(b)


def eigenvalues_summed(A):
    w, V = np.linalg.eigh(A + A.T)
    return np.sum(w) + np.sum(V[:, 0] ** 2)


@pytest.mark.parametrize("func, shape", [(pieces_summed, (8,)), (piece_summed_alone, (5,)),
                                         (eigenvalues_summed, (3, 3))])
def test_each_result_adjoint_is_an_array(func, shape, rng):
    x = rng.normal(size=shape)
    assert_grads_close(func, [s2sgrad.grad(func)(x)], (x,), (0,))
    v = rng.normal(size=shape)
    _, tangent = s2sgrad.jvp(func)(x, v)
    np.testing.assert_allclose(tangent, np.sum(s2sgrad.grad(func)(x) * v), rtol=1e-7, atol=1e-9)
