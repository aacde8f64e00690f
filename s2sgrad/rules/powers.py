"""Powers (``x ** y``, ``np.power``, ``np.float_power``, ``math.pow``, ``pow``), at a zero base too.

The textbook partial in the base, ``y * x ** (y - 1)``, is ``0 * 0 ** -1`` at
``x = 0, y = 0``: NaN for arrays, a ZeroDivisionError for Python floats,
where the derivative of ``x ** 0 = 1`` is 0. An exponent that is the constant
0 sends nothing back; an exponent that varies is moved off -1 where it is 0
at a zero base (the factor ``y`` makes that term 0), and only there, so that
the partial's own derivatives (in a Hessian) stay those of ``y * x ** (y - 1)``.
The partial in the exponent, ``ans * log(x)``, takes the logarithm of 1 at a
zero base (where ``ans`` is 0 or 1, and the derivative 0 for ``y > 0``).
"""

import builtins
import math

import numpy as np

from .registry import defrule


def _base_partial(base, exp):
    """The partial in the base, as text, for a constant exponent or one that varies (None for the constant 0)."""
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return None if exp == 0 else f"{exp} * {base} ** ({exp} - 1)"
    return f"{exp} * {base} ** np.where(({base} == 0) & ({exp} == 0), 1.0, {exp} - 1)"


def power_rule(func, base, exp, name=None):
    """Register ``func(base, exp)``, the power, under those parameter names."""
    log = f"ans * np.log(np.where({base}, {base}, 1))"

    def partial(**arguments):
        value = arguments[exp]
        return _base_partial(base, exp if _varies(value) else value)

    def base_vjp(**arguments):
        text = partial(**arguments)
        return None if text is None else f"g * ({text})"

    def base_jvp(**arguments):
        text = partial(**arguments)
        return None if text is None else f"d{base} * ({text})"

    base_vjp.__doc__ = f"g * {exp} * {base} ** ({exp} - 1), 0 where {exp} is 0"
    base_jvp.__doc__ = f"d{base} * {exp} * {base} ** ({exp} - 1), 0 where {exp} is 0"
    defrule(func, f"{base}, {exp}", broadcasts=True, name=name,
            vjp={base: base_vjp, exp: f"g * ({log})"}, jvp={base: base_jvp, exp: f"d{exp} * ({log})"})


def _varies(value):
    """Whether a factory's argument is not a constant number (an Operand, an outside array)."""
    return not isinstance(value, (int, float)) or isinstance(value, bool)


power_rule(np.power, "x1", "x2")
power_rule(np.float_power, "x1", "x2")
power_rule(math.pow, "x", "y")
power_rule(builtins.pow, "base", "exp")
