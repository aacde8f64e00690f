"""Functions whose gradients the identities of s2sgrad.rules.identities rewrite (see test_identities.py)."""

import numpy as np


def logistic_loss(w, X, y):
    s = X @ w
    return np.mean(np.logaddexp(0, s) - y * s)


def logaddexp_first(a, b):
    return np.sum(np.logaddexp(a, b) * 2.0)
