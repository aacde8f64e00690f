"""Hand-written NumPy gradients: the reference every other system is timed against.

Each function takes the same arguments as its primal in
``samples/lecture_mlp.py`` or ``bench/user_functions.py`` and returns the
tuple of gradients for that workload's ``wrt`` names, in that order. They are
written the way an experienced NumPy user would write them by hand: no N x N
intermediates, activations reused from the forward pass, one pass backwards.
That makes them the bar a gradient compiler should approach, so the benchmark
reports every system as a ratio to them. Their correctness is pinned by
finite differences in ``tests/test_handwritten_gradients.py``.
"""

import numpy as np


def _sigmoid(s):
    """Logistic function that cannot overflow: 1/(1+exp(-s)) = (1+tanh(s/2))/2."""
    return 0.5 * (np.tanh(0.5 * s) + 1.0)


def mlp_cost_grad(X, Y, W, V):
    """d cost / d (W, V) for the lecture MLP (``cost`` and ``cost_rowwise``).

    The lecture's N x N broadcast averages to the ordinary mean NLL, so both
    variants share this gradient: dU = (softmax(U) - Y) / N.
    """
    N = X.shape[0]
    Z = _sigmoid(np.dot(X, V))
    U = np.dot(Z, W)
    P = np.exp(U - U.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dU = (P - Y) / N
    dW = np.dot(Z.T, dU)
    dQ = np.dot(dU, W.T) * Z * (1.0 - Z)
    dV = np.dot(X.T, dQ)
    return dW, dV


def logreg_cost_grad(w, X, y, lam):
    """d cost / d w for L2-regularized logistic regression: X.T (sigmoid(s) - y) / N + 2 lam w."""
    s = X @ w
    return (X.T @ ((_sigmoid(s) - y) / X.shape[0]) + 2.0 * lam * w,)


def rnn_cost_grad(x, target, Wx, Wh, b, Wy):
    """d cost / d (Wx, Wh, b, Wy) for the vanilla RNN, by backpropagation through time.

    The forward pass keeps every hidden state (T + 1 arrays of B x H), which is
    the memory a reverse pass over a Python loop has to pay for.
    """
    T, B = x.shape[0], x.shape[1]
    hs = [np.zeros((B, Wh.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(x[t] @ Wx + hs[-1] @ Wh + b))
    r = hs[-1] @ Wy - target
    dout = 2.0 * r / r.size
    dWy = hs[-1].T @ dout
    dh = dout @ Wy.T
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    for t in range(T - 1, -1, -1):
        da = dh * (1.0 - hs[t + 1] ** 2)
        dWx += x[t].T @ da
        dWh += hs[t].T @ da
        db += da.sum(axis=0)
        dh = da @ Wh.T
    return dWx, dWh, db, dWy


def chain30_grad(x):
    """d chain30 / d x, one reverse line per forward line of ``chain30``.

    ``gK`` is the adjoint of ``tK``; adjoints of values used twice are
    accumulated with ``+=`` in the order their uses are reversed.
    """
    t1 = np.sin(x)
    t2 = t1 * x
    t3 = np.tanh(t2)
    t4 = t3 + x
    t5 = t4 ** 2
    t7 = np.exp(-t5)
    t8 = t7 * t1
    t10 = np.cos(t8) + 2.0
    t11 = np.log(t10)
    t12 = t11 * t4
    t13 = np.sin(t12)
    t16 = np.sqrt(t13 * t13 + 1.0)
    t17 = t3 / t16
    t18 = np.tanh(t17)
    t21 = np.exp((t18 - t1) * 0.5)
    t22 = t21 * t7
    t23 = np.cos(t22)
    t26 = np.tanh(t23 ** 2 + t11)
    t28 = t26 * t21 + t8
    t29 = np.sin(t28)

    gx = t29                                  # t30 = t29 * x, d sum / d t30 = 1
    g28 = x * np.cos(t28)
    g8 = g28.copy()                           # t28 = t27 + t8
    g21 = g28 * t26                           # t27 = t26 * t21
    g25 = g28 * t21 * (1.0 - t26 ** 2)        # t26 = tanh(t25)
    g11 = g25.copy()                          # t25 = t24 + t11
    g22 = -g25 * 2.0 * t23 * np.sin(t22)      # t24 = t23**2, t23 = cos(t22)
    g21 += g22 * t7                           # t22 = t21 * t7
    g7 = g22 * t21
    g19 = g21 * t21 * 0.5                     # t21 = exp(t20), t20 = t19 * 0.5
    g1 = -g19                                 # t19 = t18 - t1
    g17 = g19 * (1.0 - t18 ** 2)              # t18 = tanh(t17)
    g3 = g17 / t16                            # t17 = t3 / t16
    g15 = -g17 * t17 / t16 * 0.5 / t16        # t16 = sqrt(t15)
    g12 = g15 * 2.0 * t13 * np.cos(t12)       # t15 = t14 + 1, t14 = t13*t13, t13 = sin(t12)
    g11 += g12 * t4                           # t12 = t11 * t4
    g4 = g12 * t11
    g8 += -g11 / t10 * np.sin(t8)             # t11 = log(t10), t10 = t9 + 2, t9 = cos(t8)
    g7 += g8 * t1                             # t8 = t7 * t1
    g1 += g8 * t7
    g4 += -g7 * t7 * 2.0 * t4                 # t7 = exp(t6), t6 = -t5, t5 = t4**2
    g3 += g4                                  # t4 = t3 + x
    gx += g4
    g2 = g3 * (1.0 - t3 ** 2)                 # t3 = tanh(t2)
    g1 += g2 * x                              # t2 = t1 * x
    gx += g2 * t1
    gx += g1 * np.cos(x)                      # t1 = sin(x)
    return (gx,)
