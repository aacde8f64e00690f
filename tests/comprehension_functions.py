"""User functions with list comprehensions and generator expressions (for test_comprehensions.py)."""

import numpy as np


def assigned(x, w):
    ys = [np.sin(v) * w for v in x]
    return np.sum(ys)


def generator_in_calls(x):
    return sum(v ** 2 for v in x) + max(np.cos(v) for v in x)


def filtered(x):
    return sum([v * 3.0 for v in x if v > 0])


def two_generators(X, w):
    return sum(X[i, j] * w[j] for i in range(X.shape[0]) for j in range(X.shape[1]) if i != j)


def variable_named_like_a_parameter(x):
    doubled = np.sum([x * 2.0 for x in x])    # the comprehension's x is its own
    return doubled + np.sum(x ** 2)


def inside_a_loop(x, w):
    total = 0.0
    for k in range(3):
        parts = [w[k] * v for v in x]
        total = total + sum(parts) * k
    return total


def stacked(x, W):
    H = np.stack([np.tanh(W @ x[t]) for t in range(x.shape[0])])
    return np.sum(H ** 2)


def over_enumerate_and_zip(x, w):
    return sum(i * a * b for i, (a, b) in enumerate(zip(x, w)))


def helper_with_a_comprehension(v):
    return np.array([np.exp(-u) for u in v])


def calls_the_helper(x):
    return np.sum(helper_with_a_comprehension(x) * x)


def reads_its_own_target(xs):
    xs = [v * 2.0 for v in xs]     # reads the old xs: filled into a list of its own, then assigned
    return sum(xs)


def over_a_list_of_weights(ws):
    return sum(np.sum(w ** 2) for w in ws) + sum([np.sum(np.sin(w)) for w in ws])
