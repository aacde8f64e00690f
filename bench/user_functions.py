"""Benchmark primals, written as a NumPy user writes them.

These are the functions handed to every gradient system. They are kept to the
idioms people actually use (``@``, ``**``, ``np.logaddexp``, a Python ``for``
loop, one operation per line) because a benchmark of code written for the
tool would say nothing about the tool on real code. Like
``samples/lecture_mlp.py``, they reach NumPy only through the module global
``np``, so ``bench/numpy_swap.py`` can rerun them on ``autograd.numpy`` or
``jax.numpy`` unchanged. Their hand-written gradients live in
``bench/handwritten.py``.
"""

import numpy as np


def logreg_cost(w, X, y, lam):
    """Mean log-loss of sigmoid(X @ w) for labels y in {0, 1}, plus lam * |w|^2.

    log(1 + exp(s)) - y*s is the per-sample loss; ``np.logaddexp(0, s)`` is
    how users write log(1 + exp(s)) without overflow.
    """
    s = X @ w
    return np.mean(np.logaddexp(0, s) - y * s) + lam * np.sum(w ** 2)


def rnn_cost(x, target, Wx, Wh, b, Wy):
    """Vanilla RNN over x (T x B x I) as a Python loop; squared error of the last readout."""
    h = np.zeros((x.shape[1], Wh.shape[0]))
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh + b)
    return np.mean((h @ Wy - target) ** 2)


def chain30(x):
    """Thirty elementwise operations, one per line, then a sum.

    Values stay bounded (logs and square roots only see arguments >= 1), so
    any input is safe. The mix of unary functions, products and reuse of
    earlier values is what stresses per-operation overhead and adjoint
    accumulation.
    """
    t1 = np.sin(x)
    t2 = t1 * x
    t3 = np.tanh(t2)
    t4 = t3 + x
    t5 = t4 ** 2
    t6 = -t5
    t7 = np.exp(t6)
    t8 = t7 * t1
    t9 = np.cos(t8)
    t10 = t9 + 2.0
    t11 = np.log(t10)
    t12 = t11 * t4
    t13 = np.sin(t12)
    t14 = t13 * t13
    t15 = t14 + 1.0
    t16 = np.sqrt(t15)
    t17 = t3 / t16
    t18 = np.tanh(t17)
    t19 = t18 - t1
    t20 = t19 * 0.5
    t21 = np.exp(t20)
    t22 = t21 * t7
    t23 = np.cos(t22)
    t24 = t23 ** 2
    t25 = t24 + t11
    t26 = np.tanh(t25)
    t27 = t26 * t21
    t28 = t27 + t8
    t29 = np.sin(t28)
    t30 = t29 * x
    return np.sum(t30)
