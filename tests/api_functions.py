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


def layer_with_params(params, x):
    """Parameters passed together in a dict, as people pass a model's."""
    h = np.tanh(x @ params["W"] + params["b"])
    return np.sum(h ** 2)


def sines_of_a_pair(pair, x):
    """Used only by a check_grad test that patches np.sin's rule: no cached derivative to reuse."""
    a, b = pair
    return np.sum(np.sin(a * x) * b)
