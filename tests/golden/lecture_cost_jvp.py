def jvp_cost(X, Y, W, V, *, dX, dW, dV):
    Q = np.dot(X, V)
    dQ = np.dot(dX, V) + np.dot(X, dV)
    Z = logistic(Q)
    dZ = dQ * (Z * (1 - Z))
    U = np.dot(Z, W)
    dU = np.dot(dZ, W) + np.dot(Z, dW)
    t3 = logsumexp(U)
    nll = -np.mean(np.sum(U * Y, 1) - t3)
    dnll = -np.mean(np.sum(dU * Y, 1) - np.sum(dU * np.exp(U - t3), axis=1)[:, None])
    return nll, dnll
