"""Small user functions for the API tests."""

import numpy as np

from s2sgrad import grad


def loss(x, w, b=0.5):
    return np.sum(np.tanh(x @ w + b) ** 2)


@grad
def decorated(x):
    return np.sum(np.sin(x))


@grad(wrt=("w", "b"))
def decorated_wrt(x, w, b):
    return np.sum((x * w + b) ** 2)


def vector_valued(x, w):
    return np.tanh(x * w)


def not_scalar(x):
    return x * 2.0


def sum_of_sines(x):
    """Used only by the check_grad test, which patches np.sin's rule: no cached derivative to reuse."""
    return np.sum(np.sin(x))
