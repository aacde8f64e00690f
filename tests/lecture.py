"""The lecture's model for the tests: the sample's single copy, and random data of any size."""

import numpy as np

from samples.lecture_mlp import cost, logistic, logsumexp  # noqa: F401  (re-exported for the tests)


def make_data(rng, N=7, D=3, M=4, C=3):
    X = rng.normal(size=(N, D))
    Y = np.eye(C)[rng.integers(0, C, N)]
    W = rng.normal(size=(M, C))
    V = rng.normal(size=(D, M))
    return X, Y, W, V
