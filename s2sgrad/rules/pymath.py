"""Python's ``math`` module and the builtins that compute (``max``, ``min``, ``sum``, ``pow``).

The same partial derivatives as their NumPy counterparts (:mod:`s2sgrad.rules.ufuncs`),
for code that works on Python numbers: ``math.exp(x)`` differentiates as
``np.exp(x)`` does. ``abs`` is mapped onto ``np.abs`` by normalization.
"""

import builtins
import math

import numpy as np

from ..runtime import unbroadcast
from .registry import defrule, elementwise, nondifferentiable

elementwise(math.exp, x="np.exp(x)")
elementwise(math.expm1, x="np.exp(x)")
elementwise(math.log, "x", x="1 / x")
elementwise(math.log1p, x="1 / (1 + x)")
elementwise(math.log2, x="1 / (x * np.log(2))")
elementwise(math.log10, x="1 / (x * np.log(10))")
elementwise(math.sqrt, x="0.5 / np.sqrt(x)")
elementwise(math.sin, x="np.cos(x)")
elementwise(math.cos, x="-np.sin(x)")
elementwise(math.tan, x="1 + np.tan(x) ** 2")
elementwise(math.asin, x="1 / np.sqrt(1 - x ** 2)")
elementwise(math.acos, x="-1 / np.sqrt(1 - x ** 2)")
elementwise(math.atan, x="1 / (1 + x ** 2)")
elementwise(math.atan2, "y, x", y="x / (x ** 2 + y ** 2)", x="-y / (x ** 2 + y ** 2)")
elementwise(math.sinh, x="np.cosh(x)")
elementwise(math.cosh, x="np.sinh(x)")
elementwise(math.tanh, x="1 - np.tanh(x) ** 2")
elementwise(math.asinh, x="1 / np.sqrt(x ** 2 + 1)")
elementwise(math.acosh, x="1 / np.sqrt(x ** 2 - 1)")
elementwise(math.atanh, x="1 / (1 - x ** 2)")
elementwise(math.hypot, "x, y", x="x / np.hypot(x, y)", y="y / np.hypot(x, y)")
elementwise(math.fabs, x="np.sign(x)")
elementwise(math.erf, x="2 / np.sqrt(np.pi) * np.exp(-x ** 2)")
elementwise(math.erfc, x="-2 / np.sqrt(np.pi) * np.exp(-x ** 2)")
elementwise(math.degrees, x="180 / np.pi")
elementwise(math.radians, x="np.pi / 180")

# ties share the adjoint, as np.maximum's do (normalization writes max(a, b) as np.maximum(a, b) anyway)
elementwise(builtins.max, "a, b", a="(a > b) + 0.5 * (a == b)", b="(a < b) + 0.5 * (a == b)")
elementwise(builtins.min, "a, b", a="(a < b) + 0.5 * (a == b)", b="(a > b) + 0.5 * (a == b)")


def _shape_of(value):
    return () if isinstance(value, (int, float)) else getattr(value, "shape", None)


def _reaches_whole(term, shapes):
    """Whether ``term`` has the shape of the sum (known where the code is written), so that g needs no
    summing back over the axes broadcasting added to it."""
    if any(s is None for s in shapes):
        return False
    try:
        return _shape_of(term) == np.broadcast_shapes(*shapes)
    except ValueError:
        return False


def sum_vjp(iterable, start):
    """(g, g, ...): every term gets the adjoint of the sum (summed back to its shape, where it broadcasts)"""
    if getattr(iterable, "shape", None) is not None:  # sum(x) of an array: its rows are the terms
        return "np.broadcast_to(g, np.shape(iterable))"
    if not isinstance(iterable, (list, tuple)):      # a list built earlier (xs.append(x))
        return "[g] * len(iterable)"
    shapes = [_shape_of(t) for t in iterable] + [_shape_of(start)]
    return "(" + "".join("g, " if _reaches_whole(t, shapes) else f"unbroadcast(g, iterable[{i}]), "
                         for i, t in enumerate(iterable)) + ")"


def sum_jvp(iterable):
    """the sum of the terms' tangents"""
    if not isinstance(iterable, (list, tuple)):      # a list built earlier: its tangent is a list too
        return "sum(diterable)"
    return "(" + "".join(f"diterable[{i}], " for i in range(len(iterable))) + ")"


# sum(x) of an array too; a start broadcast against the terms gets g summed back to its shape
defrule(builtins.sum, "iterable: seq, start=0", vjp={"iterable": sum_vjp, "start": "unbroadcast(g, start)"},
        jvp={"iterable": sum_jvp, "start": "dstart"}, rows=("iterable",), namespace={"unbroadcast": unbroadcast})

nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
                  math.factorial, math.comb, math.perm, math.gcd)
