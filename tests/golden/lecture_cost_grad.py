def grad_cost(X, Y, W, V):
    Q = np.dot(X, V)
    t2 = np.exp(-Q)
    t3 = 1 + t2
    Z = 1 / t3
    U = np.dot(Z, W)
    t7 = np.max(U, axis=1)
    Zmax = t7[:, None]
    t9 = np.exp(U - Zmax)
    dt14 = -1.0 / 25.0
    dZmax = -(dt14 * 5)
    dU = np.expand_dims(dZmax / np.sum(t9, axis=1), 1) * t9
    dZmax = dZmax - np.sum(dU, axis=1, keepdims=True)
    at_extremum = U == np.expand_dims(t7, 1)
    dU = dU + at_extremum * (np.expand_dims(dZmax[:, 0], 1) / np.sum(at_extremum, axis=1, keepdims=True, dtype=U.dtype))
    dU = dU + dt14 * 5 * Y
    dZ = dU @ W.T
    dW = Z.T @ dU
    dQ = dZ * (Z / t3) * t2
    dV = X.T @ dQ
    return dW, dV
