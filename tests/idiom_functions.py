"""Helpers written as users write them, several of them the bodies of idioms (rules/idioms.py)."""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def sigmoid_of_exp(a):
    return np.exp(a) / (1 + np.exp(a))


def softplus(v):
    return np.log(1 + np.exp(v))


def softplus_log1p(v):
    return np.log1p(np.exp(v))


def lse(S):
    top = np.max(S, axis=1, keepdims=True)
    return top + np.log(np.sum(np.exp(S - top), axis=1, keepdims=True))


def lse_last(S):
    top = np.max(S, axis=-1, keepdims=True)
    return top + np.log(np.sum(np.exp(S - top), axis=-1, keepdims=True))


def softmax(S):
    """The row softmax, stable."""
    e = np.exp(S - np.max(S, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_last(S):
    e = np.exp(S - np.max(S, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def steep_sigmoid(a):
    """Not an idiom (the 2): inlined."""
    return 1 / (1 + np.exp(-2 * a))


HELPERS = [sigmoid, sigmoid_of_exp, softplus, softplus_log1p, lse, lse_last, softmax, softmax_last, steep_sigmoid]


def loss_of(helper):
    def loss(S, R):
        return np.sum(helper(S) * R)
    return loss


def sigmoid_loss(S, R):
    return np.sum(sigmoid(S) * R)


def softplus_loss(S, R):
    return np.sum(softplus(S) * R)
