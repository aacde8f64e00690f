def value_and_grad_branch_on_value(x, w):
    s = np.sum(x * w)
    t2 = s > 0
    if t2:
        t3 = x * w
        out = np.sum(np.sin(t3))
    else:
        t5 = s > -1
        if t5:
            t7 = np.sum(w ** 2)
            out = t7 * s
        else:
            out = np.sum(x)
    if t2:
        dt3 = np.cos(t3)
        dx = dt3 * w
        dw = dt3 * x
        ds = np.zeros_like(s)
    elif t5:
        ds = np.sum(t7)
        dw = 2 * s * w
        dx = np.zeros_like(x)
    else:
        dx = np.full_like(x, 1.0)
        ds = np.zeros_like(s)
        dw = np.zeros_like(w)
    dt1 = ds
    dx = dx + dt1 * w
    dw = dw + dt1 * x
    return out, (dx, dw)


def grad_branch_on_value(x, w):
    """The gradients of value_and_grad_branch_on_value, once its value is checked to be one number."""
    value, grads = value_and_grad_branch_on_value(x, w)
    if np.size(value) != 1:
        raise ValueError(f'grad needs a scalar output, but branch_on_value returned an array of shape {np.shape(value)}')
    return grads
