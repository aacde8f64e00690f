"""PyTorch versions of the benchmark primals, written by hand line for line.

PyTorch's API differs from NumPy's (``dim=``, ``.values`` from ``max``), so
unlike autograd and JAX it cannot reuse the NumPy functions through
``bench/numpy_swap.py``. Each function mirrors its NumPy twin operation for
operation, including the lecture's N x N broadcast in ``cost``, so that
eager PyTorch is timed on the same computation. Imported only when torch is
installed; keyed by the NumPy primal's name in ``BY_PRIMAL``.
"""

import torch


def logistic(z):
    return 1 / (1 + torch.exp(-z))


def logsumexp(Z):
    Zmax = torch.max(Z, dim=1).values[:, None]
    return Zmax + torch.log(torch.sum(torch.exp(Z - Zmax), dim=1))[:, None]


def cost(X, Y, W, V):
    Q = X @ V
    Z = logistic(Q)
    U = Z @ W
    return -torch.mean(torch.sum(U * Y, 1) - logsumexp(U))     # N x N, as in the lecture


def cost_rowwise(X, Y, W, V):
    Q = X @ V
    Z = logistic(Q)
    U = Z @ W
    return -torch.mean(torch.sum(U * Y, 1)[:, None] - logsumexp(U))


def logreg_cost(w, X, y, lam):
    s = X @ w
    return torch.mean(torch.logaddexp(torch.zeros_like(s), s) - y * s) + lam * torch.sum(w ** 2)


def rnn_cost(x, target, Wx, Wh, b, Wy):
    h = torch.zeros((x.shape[1], Wh.shape[0]), dtype=x.dtype)
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ Wx + h @ Wh + b)
    return torch.mean((h @ Wy - target) ** 2)


def chain30(x):
    t1 = torch.sin(x)
    t2 = t1 * x
    t3 = torch.tanh(t2)
    t4 = t3 + x
    t5 = t4 ** 2
    t6 = -t5
    t7 = torch.exp(t6)
    t8 = t7 * t1
    t9 = torch.cos(t8)
    t10 = t9 + 2.0
    t11 = torch.log(t10)
    t12 = t11 * t4
    t13 = torch.sin(t12)
    t14 = t13 * t13
    t15 = t14 + 1.0
    t16 = torch.sqrt(t15)
    t17 = t3 / t16
    t18 = torch.tanh(t17)
    t19 = t18 - t1
    t20 = t19 * 0.5
    t21 = torch.exp(t20)
    t22 = t21 * t7
    t23 = torch.cos(t22)
    t24 = t23 ** 2
    t25 = t24 + t11
    t26 = torch.tanh(t25)
    t27 = t26 * t21
    t28 = t27 + t8
    t29 = torch.sin(t28)
    t30 = t29 * x
    return torch.sum(t30)


BY_PRIMAL = {f.__name__: f for f in (cost, cost_rowwise, logreg_cost, rnn_cost, chain30)}
