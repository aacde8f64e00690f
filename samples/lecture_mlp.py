"""The lecture's one-hidden-layer classifier, written as a NumPy user writes it.

This module is the single copy of the model: ``samples/mlp_iris.py`` trains it,
``bench/`` times its gradient and ``tests/`` checks gradients against it. The
functions are deliberately plain NumPy with no helpers or annotations, because
what s2sgrad must handle is code as people write it, not code written for a
tool. Every function looks NumPy up through the module global ``np``; the
benchmark relies on that to re-run the same functions on ``autograd.numpy``
or ``jax.numpy``.

Shapes: X is N x D (bias column included), Y is N x C one-hot, V is D x M and
W is M x C.
"""

import numpy as np


def logistic(z):
    return 1 / (1 + np.exp(-z))


def logsumexp(Z):                       # N x C -> N x 1, numerically stable
    Zmax = np.max(Z, axis=1)[:, None]
    return Zmax + np.log(np.sum(np.exp(Z - Zmax), axis=1))[:, None]


def softmax(Z):                         # N x C -> N x C, rows sum to 1
    return np.exp(Z - logsumexp(Z))


def cost(X, Y, W, V):
    Q = np.dot(X, V)                    # N x M
    Z = logistic(Q)                     # N x M
    U = np.dot(Z, W)                    # N x C
    # The lecture's broadcasting quirk, kept on purpose: np.sum(U * Y, 1) has
    # shape (N,) and logsumexp(U) has shape (N, 1), so their difference
    # broadcasts to N x N with entry [i, j] = s[j] - lse[i]. Its mean is
    # mean(s) - mean(lse), which is exactly the intended negative
    # log-likelihood, so value and gradient are right; only time and memory
    # grow as N**2.
    nll = -np.mean(np.sum(U * Y, 1) - logsumexp(U))
    return nll


def cost_rowwise(X, Y, W, V):
    """The same loss as ``cost`` without the N x N intermediate.

    Identical value and gradient (see the comment in ``cost``); it exists for
    large N, where the quirk would allocate N**2 floats (3.2 GB at N = 20000)
    and turn an MLP benchmark into a broadcasting benchmark.
    """
    Q = np.dot(X, V)                    # N x M
    Z = logistic(Q)                     # N x M
    U = np.dot(Z, W)                    # N x C
    nll = -np.mean(np.sum(U * Y, 1)[:, None] - logsumexp(U))
    return nll


def predict(X, W, V):
    """Class scores U (N x C); ``argmax`` over axis 1 gives the predicted class."""
    return np.dot(logistic(np.dot(X, V)), W)
