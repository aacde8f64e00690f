"""Checking gradients against central finite differences."""

import numpy as np

from .api import Gradient, _cached, program_of, resolve_wrt
from .errors import public


def numerical_gradient(func, args, index, eps=1e-6):
    """Central differences of scalar ``func`` with respect to ``args[index]`` (float64); for a dict,
    list or tuple of arrays (parameters passed together), one such gradient per item, in the same container."""
    value = args[index]
    if isinstance(value, (dict, list, tuple)):
        keys = list(value) if isinstance(value, dict) else range(len(value))
        found = {}
        for key in keys:
            def moving_one_item(item, key=key):
                changed = dict(value) if isinstance(value, dict) else list(value)
                changed[key] = item
                changed = changed if isinstance(value, (dict, list)) else tuple(changed)
                return func(*args[:index], changed, *args[index + 1:])
            found[key] = numerical_gradient(moving_one_item, [value[key]], 0, eps)
        return found if isinstance(value, dict) else type(value)(found[k] for k in keys)
    args = list(args)
    if np.iscomplexobj(value):     # dL/dx - i dL/dy, the convention of docs/complex.md
        return _differences(func, args, index, eps, 1.0) - 1j * _differences(func, list(args), index, eps, 1j)
    return _differences(func, args, index, eps)


def _differences(func, args, index, eps, direction=None):
    """Central differences along each element of ``args[index]``, moved by ``eps`` times ``direction``
    (None: a real argument, moved as float64; 1.0 or 1j: a complex one, along its real or imaginary axis)."""
    value = args[index]
    x = np.array(value, dtype=np.float64 if direction is None else np.complex128)
    step = eps if direction is None else eps * direction
    out = np.zeros(x.shape)
    flat, grad_flat = x.reshape(-1), out.reshape(-1)
    scalar = float if direction is None else complex
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + step
        args[index] = x.copy() if x.ndim else scalar(flat[i])
        up = float(np.real(func(*args)))
        flat[i] = saved - step
        args[index] = x.copy() if x.ndim else scalar(flat[i])
        down = float(np.real(func(*args)))
        flat[i] = saved
        grad_flat[i] = (up - down) / (2 * eps)
    args[index] = value
    return out if x.ndim else float(out)


@public
def check_grad(func, args, wrt=0, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Compare s2sgrad's gradient of ``func`` at ``args`` with central finite differences.

    Returns the largest absolute difference; raises AssertionError with a
    report naming the argument (and item, for a dict or list of arrays) and
    the worst element on mismatch.
    """
    program = program_of(func)
    names, single = resolve_wrt(program, wrt)
    grads = _cached(Gradient, func, wrt)(*args)
    grads = (grads,) if single else grads
    worst = 0.0
    for name, analytic in zip(names, grads):
        numeric = numerical_gradient(func, args, program.params.index(name), eps)
        worst = max(worst, _compare(func, name, analytic, numeric, rtol, atol))
    return worst


def _compare(func, name, analytic, numeric, rtol, atol):
    """The largest absolute difference between two gradients of ``name`` (AssertionError on mismatch)."""
    if isinstance(numeric, (dict, list, tuple)):
        keys = list(numeric) if isinstance(numeric, dict) else range(len(numeric))
        kind = dict if isinstance(numeric, dict) else (list, tuple)
        if not isinstance(analytic, kind) or len(analytic) != len(numeric):
            raise AssertionError(f"gradient with respect to {name} is {type(analytic).__name__}, but {name} is "
                                 f"a {type(numeric).__name__} of {len(numeric)} items")
        return max((_compare(func, f"{name}[{k!r}]", analytic[k], numeric[k], rtol, atol) for k in keys),
                   default=0.0)
    analytic = np.asarray(analytic, dtype=np.complex128 if np.iscomplexobj(numeric) else np.float64)
    if np.shape(analytic) != np.shape(numeric):
        raise AssertionError(f"gradient with respect to {name} has shape {np.shape(analytic)}, "
                             f"but {name} has shape {np.shape(numeric)}")
    error = np.abs(analytic - numeric)
    if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
        at = np.unravel_index(np.argmax(error - rtol * np.abs(numeric)), np.shape(error)) if error.ndim else ()
        raise AssertionError(
            f"gradient of {func.__name__} with respect to {name} differs from finite differences: "
            f"at index {at}, s2sgrad gives {np.asarray(analytic)[at]!r}, finite differences give "
            f"{np.asarray(numeric)[at]!r} (max abs error {error.max():.3g})")
    return float(error.max()) if error.size else 0.0
