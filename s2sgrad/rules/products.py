"""Products and running products (``prod``, ``nanprod``, ``cumprod``, ``cumulative_prod``), zeros included.

The textbook rule ``g * ans / a`` divides by the input and gives NaN where an
element is 0, although the derivative is defined there: the derivative of a
product in one of its factors is the product of the others. These rules count
the zeros instead of dividing by them:

* no zero in the product: the others' product is ``ans / a``, as usual;
* one zero: only the zero element has a non-zero derivative, the product of
  the non-zero elements;
* two zeros or more: every derivative is 0.

The adjoints are written so that their own derivatives are right at zeros too
(generated gradients are differentiated again, for Hessians): a factor that
is 0 stays in them as the zeros' sum (``held``), which is 0 but changes with
that zero, rather than as a constant 0 that would not.

A running product along an axis is 0 from its first zero on. Before that zero
``ans / a`` holds; at it, the derivative of each later running product is the
running product with that zero taken as 1; after it every derivative is 0
(each later running product still holds the first zero as a factor).
"""

import numpy as np

from .reductions import GX
from .registry import RuleError, defrule

# the elements as factors: NaNs count as 1 in np.nanprod and receive no derivative
_FACTORS = {False: "a", True: "np.where(np.isnan(a), 1.0, a)"}


def _others(nan):
    """Statements giving ``others``: for each element, the product of the other elements of its reduction."""
    return f"""
factors = {_FACTORS[nan]}
zero = factors == 0
nonzero = np.where(zero, 1.0, factors)
zeros = np.sum(zero, axis=axis, keepdims=True)
rest = np.prod(nonzero, axis=axis, keepdims=True)
held = np.sum(np.where(zero, factors, 0.0), axis=axis, keepdims=True)
others = np.where(zero, rest * ((zeros == 1) + (zeros == 2) * (held - factors)),
                  rest / nonzero * ((zeros == 0) + (zeros == 1) * held))
"""


def _product_vjp(nan):
    def vjp():
        return _others(nan) + (f"da = np.where(np.isnan(a), 0.0, {GX} * others)" if nan else f"da = {GX} * others")
    vjp.__doc__ = "g times the product of the other elements (counting zeros, never dividing by one)"
    return vjp


def _product_jvp(nan):
    def jvp():
        tangent = "np.where(np.isnan(a), 0.0, da)" if nan else "da"
        return _others(nan) + f"dans = np.sum({tangent} * others, axis=axis, keepdims=keepdims)"
    jvp.__doc__ = "the sum of da times the product of the other elements"
    return jvp


defrule(np.prod, "a, axis=None, dtype=None, keepdims=False",
        vjp={"a": _product_vjp(False)}, jvp={"a": _product_jvp(False)})
defrule(np.nanprod, "a, axis=None, dtype=None, keepdims=False",
        vjp={"a": _product_vjp(True)}, jvp={"a": _product_jvp(True)})


def _scan_axis(axis, a, flatten_none=True):
    """The axis the running product runs along, and whether ``a`` is flattened first (``axis=None``, or 0-d;
    None where the rank is not known when the code is generated) (``flatten_none``: whether ``axis=None``
    flattens, as in np.cumprod, or means the only axis)."""
    if axis is None:
        return 0, flatten_none
    if not isinstance(axis, int):
        raise RuleError("the axis of a running product must be a constant")
    ndim = getattr(a, "ndim", None)
    return axis, None if ndim is None else ndim == 0


def _flat(name, flat):
    """``name``, flattened where the scan flattens it."""
    if flat is None:
        return f"(np.ravel({name}) if np.ndim({name}) == 0 else {name})"
    return f"np.ravel({name})" if flat else name


def _reversed_scan(v, ax):
    return f"np.flip(np.cumsum(np.flip({v}, {ax}), {ax}), {ax})"


def _running_vjp(param, flatten_none):
    def vjp(axis, **arguments):
        ax, flat = _scan_axis(axis, arguments[param], flatten_none)
        x = _flat(param, flat)
        weighed = lambda v: _reversed_scan(f"w * {v}", ax)
        result = (f"np.where(zero, {weighed('((count == 1) + (count == 2) * held)')} - x * {weighed('(count == 2)')}, "
                  f"{weighed('((count == 0) + (count == 1) * held)')} / nonzero)")
        return f"""
x = {x}
zero = x == 0
count = np.cumsum(zero, axis={ax})
nonzero = np.where(zero, 1.0, x)
held = np.cumsum(np.where(zero, x, 0.0), axis={ax})
w = g * np.cumprod(nonzero, axis={ax})
d{param} = {result if flat is False else f'np.reshape({result}, np.shape({param}))'}
"""
    vjp.__doc__ = "the reversed running sum of g * ans / a before the first zero, of g * (ans with it as 1) at it"
    return vjp


def _running_jvp(param, flatten_none):
    def jvp(axis, **arguments):
        ax, flat = _scan_axis(axis, arguments[param], flatten_none)
        x, t = _flat(param, flat), _flat(f"d{param}", flat)
        return f"""
x = {x}
t = {t}
zero = x == 0
count = np.cumsum(zero, axis={ax})
nonzero = np.where(zero, 1.0, x)
held = np.cumsum(np.where(zero, x, 0.0), axis={ax})
before = np.cumsum(np.where(zero, 0.0, t) / nonzero, axis={ax})
at = np.cumsum(np.where(zero, t, 0.0), axis={ax})
dans = np.cumprod(nonzero, axis={ax}) * (((count == 0) + (count == 1) * held) * before
                                        + ((count == 1) + (count == 2) * held) * at
                                        - (count == 2) * np.cumsum(np.where(zero, t * x, 0.0), axis={ax}))
"""
    # (the vjp's transpose, counting zeros as it does: its own derivatives are right at zeros too)
    jvp.__doc__ = "ans times the running sum of da / a before the first zero; the zero's da times the rest after"
    return jvp


defrule(np.cumprod, "a, axis=None, dtype=None",
        vjp={"a": _running_vjp("a", True)}, jvp={"a": _running_jvp("a", True)})
if hasattr(np, "cumulative_prod"):      # NumPy 2.1's array-API scan: the axis may only be omitted for 1-D
    defrule(np.cumulative_prod, "x, *, axis=None, dtype=None",
            vjp={"x": _running_vjp("x", False)}, jvp={"x": _running_jvp("x", False)})
