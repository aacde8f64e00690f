"""Functions reading attributes and methods of module-level arrays (test_outside_array_attributes.py).

The derivatives written out of this module import ``G`` from it, so it must stay importable by name.
"""

import types

import numpy as np

G = np.linspace(-1.0, 1.0, 6).reshape((2, 3))
SCALE = np.float64(0.75)       # a NumPy scalar has the array's attributes and methods


class Config:
    W = np.arange(6.0).reshape(3, 2) / 4
    LAM = 0.5


SETTINGS = types.SimpleNamespace(scale=np.arange(3.0) + 1.0, offset=0.25)


def transposed(a):
    return np.sum(np.sin((G.T @ G) * a))


def clipped(x):
    return np.sum(np.sin(G.clip(-0.5, 0.5) * x))


def clipped_in_a_loop(a):
    for _ in a:
        a = G.clip(-0.5, 0.5) * a
    return np.sum(np.sin(a))


def summed_and_reshaped(x):
    return np.sum(np.cos(G.sum(axis=0) * x)) + G.T.reshape(-1)[1] * x[1] ** 2


def shaped(x):
    return np.sum(np.sin(x) * G.shape[1]) + np.sum((np.zeros(G.shape) + G) * x ** 2)


def of_a_numpy_scalar(x):
    return np.sum(np.float_power(np.cosh(SCALE.copy()), x)) + np.sum(SCALE.T * x ** 2) + SCALE.clip(0, 0.5) * x[0]


def through_a_class_and_a_namespace(x):
    return np.sum(np.tanh(Config.W.T @ x)) * Config.LAM + np.sum(SETTINGS.scale.sum() * x ** 2) + SETTINGS.offset
