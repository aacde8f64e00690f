"""Functions that define their helpers inside themselves, as people write them (see test_local_functions.py)."""

import numpy as np


def relu_lambda(x):
    relu = lambda z: np.maximum(z, 0.1 * z)  # noqa: E731
    return np.sum(relu(x) ** 2)


def square_def(x):
    def square(v):
        return v * v
    return np.sum(square(x) + square(2.0 * x))


def reads_the_enclosing_function(W, X):
    def layer(A):
        return np.tanh(A @ W)
    H = layer(X)
    W = W * 2.0            # a closure reads W when called: the second layer sees the doubled W
    return np.sum(layer(H) ** 2)


def called_in_a_loop(x, w):
    def step(h, k):
        if k % 2 == 0:
            return np.tanh(h * w)
        return np.sin(h) + w
    h = x
    for k in range(4):
        h = step(h, k)
    return np.sum(h ** 2)


def parameter_shadows_a_local(x, y):
    def scaled(x):
        return x * y
    return np.sum(scaled(3.0 * x) * x)


def writes_into_the_enclosing_array(x):
    out = np.zeros_like(x)

    def put(i, v):
        out[i] = v
    for i in range(len(x)):
        put(i, np.sin(x[i]) * x[i])
    return np.sum(out ** 2)


def returns_a_tuple(x):
    def moments(v):
        return np.mean(v), np.mean(v ** 2)
    m1, m2 = moments(x)
    return m2 - m1 ** 2


def helpers_calling_each_other(x, W):
    act = lambda z: np.tanh(z)  # noqa: E731

    def layer(A):
        return act(A @ W)
    return np.sum(layer(layer(x)) ** 2)


def a_helper_reads_the_definers_names_not_its_callers(x, w):
    def scale(z):
        return z * w            # the function's w, also when apply, with a w of its own, calls it
    def apply(w):
        return scale(w) + w
    return np.sum(apply(2.0 * x) ** 2)


def leaky(z):
    return np.maximum(z, 0.1 * z)


def relu_module_level(x):
    return np.sum(leaky(x) ** 2)
