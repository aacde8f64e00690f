def grad_cost(X, Y, W, V):
    Q = np.dot(X, V)
    Z = logistic(Q)
    U = np.dot(Z, W)
    t3 = logsumexp(U)
    dt4 = -1.0 / 25.0
    dU = np.full_like(t3, -(dt4 * 5)) * np.exp(U - t3)
    dU = dU + dt4 * 5 * Y
    dZ = dU @ W.T
    dW = Z.T @ dU
    dQ = dZ * (Z * (1 - Z))
    dV = X.T @ dQ
    return dW, dV
