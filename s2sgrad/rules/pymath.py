"""Python's ``math`` module and the builtins that compute (``max``, ``min``, ``sum``, ``pow``).

The same partial derivatives as their NumPy counterparts (:mod:`s2sgrad.rules.ufuncs`),
for code that works on Python numbers: ``math.exp(x)`` differentiates as
``np.exp(x)`` does. ``abs`` is mapped onto ``np.abs`` by normalization.
"""

import builtins
import math

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

# ties go to the first argument, as max(a, b) returns a when neither is larger
elementwise(builtins.max, "a, b", a="a >= b", b="a < b")
elementwise(builtins.min, "a, b", a="a <= b", b="a > b")


def sum_vjp(iterable):
    """(g, g, ...): every term gets the adjoint of the sum"""
    if getattr(iterable, "shape", None) is not None:  # sum(x) of an array: its rows are the terms
        return "np.broadcast_to(g, np.shape(iterable))"
    if not isinstance(iterable, (list, tuple)):      # a list built earlier (xs.append(x))
        return "[g] * len(iterable)"
    return "(" + "g, " * len(iterable) + ")"


def sum_jvp(iterable):
    """the sum of the terms' tangents"""
    if not isinstance(iterable, (list, tuple)):      # a list built earlier: its tangent is a list too
        return "sum(diterable)"
    return "(" + "".join(f"diterable[{i}], " for i in range(len(iterable))) + ")"


defrule(builtins.sum, "iterable: seq, start=0", vjp={"iterable": sum_vjp, "start": "g"},
        jvp={"iterable": sum_jvp, "start": "dstart"}, rows=("iterable",))      # sum(x) of an array too

nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
                  math.factorial, math.comb, math.perm, math.gcd)
