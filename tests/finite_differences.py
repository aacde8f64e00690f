"""Central finite differences in float64: what every gradient test compares against."""

import numpy as np


def numerical_grad(f, args, index, eps=1e-6):
    """Central finite differences of scalar ``f`` with respect to ``args[index]``."""
    args = list(args)
    x = np.array(args[index], dtype=np.float64)
    scalar = np.ndim(args[index]) == 0
    out = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        for sign in (1, -1):
            xp = x.copy()
            xp[i] += sign * eps
            args[index] = float(xp) if scalar else xp
            out[i] += sign * float(np.sum(f(*args))) / (2 * eps)
    return float(out) if scalar else out


def assert_grads_close(f, grads, args, wrt_indices, rtol=1e-5, atol=1e-7):
    for g, i in zip(grads, wrt_indices):
        expected = numerical_grad(f, args, i)
        assert np.shape(g) == np.shape(expected), (np.shape(g), np.shape(expected))
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol)


def jacobian_by_differences(f, args, index, eps=1e-6):
    """Central differences of any f, one column per element of args[index]: output shape + input shape."""
    x = args[index]
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step.reshape(-1)[i] = eps
        up, down = list(args), list(args)
        up[index], down[index] = x + step, x - step
        columns.append((f(*up) - f(*down)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(columns[0]) + x.shape)
