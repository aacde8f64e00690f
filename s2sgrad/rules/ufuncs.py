"""Elementwise functions (NumPy ufuncs and their kin), one line each: the partial derivatives.

``elementwise(f, x1="...", x2="...")`` gives d f / d x_i in terms of the
arguments and ``ans`` (the result). The adjoint is ``g * partial``, reduced over
the axes broadcasting added; the tangent is ``dx_i * partial``.
"""

import numpy as np

from .registry import defrule, elementwise, nondifferentiable

# arithmetic (Python's operators map onto these; see rules/operators.py)
elementwise(np.add, x1="1", x2="1")
elementwise(np.subtract, x1="1", x2="-1")
elementwise(np.multiply, x1="x2", x2="x1")
elementwise(np.divide, x1="1 / x2", x2="-ans / x2")
# (powers: rules/powers.py)
elementwise(np.negative, x="-1")
elementwise(np.positive, x="1")
elementwise(np.reciprocal, x="-ans ** 2")
elementwise(np.square, x="2 * x")
elementwise(np.sqrt, x="0.5 / ans")
elementwise(np.cbrt, x="1 / (3 * ans ** 2)")
elementwise(np.absolute, x="np.sign(x)")
elementwise(np.fabs, x="np.sign(x)")
elementwise(np.mod, x1="1", x2="-np.floor_divide(x1, x2)")
elementwise(np.fmod, x1="1", x2="-np.trunc(x1 / x2)")

# exponentials and logarithms
elementwise(np.exp, x="ans")
elementwise(np.exp2, x="ans * np.log(2)")
elementwise(np.expm1, x="ans + 1")
elementwise(np.log, x="1 / x")
elementwise(np.log2, x="1 / (x * np.log(2))")
elementwise(np.log10, x="1 / (x * np.log(10))")
elementwise(np.log1p, x="1 / (1 + x)")
elementwise(np.logaddexp, x1="np.exp(x1 - ans)", x2="np.exp(x2 - ans)")
elementwise(np.logaddexp2, x1="np.exp2(x1 - ans)", x2="np.exp2(x2 - ans)")

# trigonometric and hyperbolic
elementwise(np.sin, x="np.cos(x)")
elementwise(np.cos, x="-np.sin(x)")
elementwise(np.tan, x="1 + ans ** 2")
elementwise(np.arcsin, x="1 / np.sqrt(1 - x ** 2)")
elementwise(np.arccos, x="-1 / np.sqrt(1 - x ** 2)")
elementwise(np.arctan, x="1 / (1 + x ** 2)")
elementwise(np.arctan2, x1="x2 / (x1 ** 2 + x2 ** 2)", x2="-x1 / (x1 ** 2 + x2 ** 2)")
elementwise(np.hypot, x1="x1 / ans", x2="x2 / ans")
elementwise(np.sinh, x="np.cosh(x)")
elementwise(np.cosh, x="np.sinh(x)")
elementwise(np.tanh, x="1 - ans ** 2")
elementwise(np.arcsinh, x="1 / np.sqrt(x ** 2 + 1)")
elementwise(np.arccosh, x="1 / np.sqrt(x ** 2 - 1)")
elementwise(np.arctanh, x="1 / (1 - x ** 2)")
elementwise(np.deg2rad, x="np.pi / 180")
elementwise(np.rad2deg, x="180 / np.pi")
elementwise(np.radians, x="np.pi / 180")
elementwise(np.degrees, x="180 / np.pi")
elementwise(np.sinc, x="np.where(x == 0, 0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1, x))")

# comparisons that select: where the two arguments tie, each gets half (the central difference there,
# and what np.max does with ties); np.fmax and np.fmin pass over a NaN to the other argument
_AHEAD = "(x1 > x2) + 0.5 * (x1 == x2)"
_BEHIND = "(x1 < x2) + 0.5 * (x1 == x2)"
elementwise(np.maximum, x1=_AHEAD, x2=_BEHIND)
elementwise(np.minimum, x1=_BEHIND, x2=_AHEAD)
elementwise(np.fmax, x1=_AHEAD + " + np.isnan(x2)", x2=_BEHIND + " + np.isnan(x1)")
elementwise(np.fmin, x1=_BEHIND + " + np.isnan(x2)", x2=_AHEAD + " + np.isnan(x1)")
# a bound that ties with a gets half of its adjoint, as in np.maximum
elementwise(np.clip, "a, a_min=None, a_max=None", aliases={"min": "a_min", "max": "a_max"},     # (NumPy 2.1's spelling)
            a="(1 if a_min is None else (a > a_min) + 0.5 * (a == a_min))"
              " * (1 if a_max is None else (a < a_max) + 0.5 * (a == a_max))",
            a_min="(a < a_min) + 0.5 * (a == a_min)", a_max="(a > a_max) + 0.5 * (a == a_max)")
defrule(np.where, "condition, x, y", broadcasts=True,
        vjp={"x": "np.where(condition, g, 0)", "y": "np.where(condition, 0, g)"},
        jvp={"x": "np.where(condition, dx, 0)", "y": "np.where(condition, 0, dy)"})

# a sign taken from the second argument, a power of two from an integer, NaN and infinities replaced
elementwise(np.copysign, "x1, x2", x1="np.where(np.signbit(x1) == np.signbit(x2), 1.0, -1.0)")
elementwise(np.ldexp, "x1, x2", x1="np.ldexp(1.0, x2)")
elementwise(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None", x="np.isfinite(x)")

# real inputs: the real part is the value, the conjugate the value itself
defrule(np.real, "val", linear=True, vjp={"val": "np.real(g)"})
defrule(np.conjugate, "x", linear=True, vjp={"x": "np.conj(g)"})

# piecewise-constant functions: their derivative is zero wherever it exists
nondifferentiable(np.sign, np.floor, np.ceil, np.trunc, np.rint, np.round, np.around, np.fix,
                  np.floor_divide, np.heaviside, np.isnan, np.isinf, np.isfinite, np.signbit,
                  np.isneginf, np.isposinf, np.isreal, np.iscomplex, np.spacing, np.nextafter,
                  np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                  np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
                  np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
                  np.gcd, np.lcm)
