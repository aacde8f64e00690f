"""User functions that bring derivative rules of their own (read by tests/test_custom_rules.py).

The rules live in this file because s2sgrad reads a rule's body as source.
"""

import numpy as np

import s2sgrad


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return np.logaddexp(0.0, x)


@s2sgrad.adjoint(softplus)
def _(x, g):                 # g: the adjoint of softplus(x); x is softplus's own parameter
    dx = g * sigmoid(x)  # noqa: F841


@s2sgrad.tangent(softplus)
def _(x, dx):                # dx: the tangent of x
    dans = dx * sigmoid(x)  # noqa: F841


def scaled_sum(x, w, axis=None):
    return np.sum(x * w, axis=axis)


@s2sgrad.adjoint(scaled_sum)
def _(x, w, axis=None, *, g):
    gx = g if axis is None else np.expand_dims(g, axis)
    dx = gx * w  # noqa: F841
    dw = gx * x  # noqa: F841


@s2sgrad.tangent(scaled_sum)
def _(x, w, axis=None, *, dx, dw):
    dans = np.sum(dx * w, axis=axis) + np.sum(x * dw, axis=axis)  # noqa: F841


def loss(W, X, y):
    return np.mean(softplus(-y * (X @ W)))


def weighted(x, w):
    return np.sum(scaled_sum(x, w, axis=1) ** 2)
