"""The lecture's model, exactly as the seed example writes it (used by several tests)."""

import numpy as np


def logistic(z):
    return 1 / (1 + np.exp(-z))


def logsumexp(Z):                       # N x C -> N x 1, numerically stable
    Zmax = np.max(Z, axis=1)[:, None]
    return Zmax + np.log(np.sum(np.exp(Z - Zmax), axis=1))[:, None]


def cost(X, Y, W, V):
    Q = np.dot(X, V)                    # N x M
    Z = logistic(Q)                     # N x M
    U = np.dot(Z, W)                    # N x C
    nll = -np.mean(np.sum(U * Y, 1) - logsumexp(U))
    return nll


def make_data(rng, N=7, D=3, M=4, C=3):
    X = rng.normal(size=(N, D))
    Y = np.eye(C)[rng.integers(0, C, N)]
    W = rng.normal(size=(M, C))
    V = rng.normal(size=(D, M))
    return X, Y, W, V
