def jvp_cost(X, Y, W, V, *, dX, dW, dV):
    Q = np.dot(X, V)
    dQ = np.dot(dX, V) + np.dot(X, dV)
    t2 = np.exp(-Q)
    t3 = 1 + t2
    Z = 1 / t3
    dZ = dQ * t2 * (Z / t3)
    U = np.dot(Z, W)
    dU = np.dot(dZ, W) + np.dot(Z, dW)
    t7 = np.max(U, axis=1)
    at_extremum = U == np.expand_dims(t7, 1)
    Zmax = t7[:, None]
    dZmax = (np.sum(dU * at_extremum, axis=1) / np.sum(at_extremum, axis=1, dtype=U.dtype))[:, None]
    t9 = np.exp(U - Zmax)
    t10 = np.sum(t9, axis=1)
    nll = -np.mean(np.sum(U * Y, 1) - (Zmax + np.log(t10)[:, None]))
    dnll = -np.mean(np.sum(dU * Y, 1) - (dZmax + (np.sum((dU - dZmax) * t9, axis=1) / t10)[:, None]))
    return nll, dnll
