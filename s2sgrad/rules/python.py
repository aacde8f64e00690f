"""Python's own operators and builtins, mapped onto the NumPy rules they share.

``a * b`` differentiates as ``np.multiply(a, b)``; ``float(x)`` as the identity.
"""

import builtins
import operator

import gast
import numpy as np

from .registry import defmethod, defrule, nondifferentiable

BINARY_OPERATORS = {
    gast.Add: np.add, gast.Sub: np.subtract, gast.Mult: np.multiply, gast.Div: np.divide,
    gast.Pow: np.power, gast.MatMult: np.matmul, gast.Mod: np.mod, gast.FloorDiv: np.floor_divide,
}
UNARY_OPERATORS = {gast.USub: np.negative, gast.UAdd: np.positive}


def transpose_attribute(a):
    """``a.T``: the attribute spelled as a function so that it can carry a rule."""
    return a.T


# np.transpose(g), not g.T: the adjoint of a Python number's .T (itself) may be a Python number, which has no .T
# (simplification writes g.T, or g, where g's shape is known)
defrule(transpose_attribute, "a", linear=True, vjp={"a": "np.transpose(g)"}, name=".T")
# the array attributes that carry a derivative, by the function whose rule they take (z.real is np.real(z))
ARRAY_ATTRIBUTES = {"T": transpose_attribute, "real": np.real, "imag": np.imag}
defrule(builtins.float, "x", vjp={"x": "g"}, jvp={"x": "dx"}, name="float")
defrule(builtins.sum, "iterable: seq, start=0", linear=True, vjp={"iterable": "[g] * len(iterable)"},
        name="sum")

nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round,
                  builtins.print, builtins.isinstance, builtins.enumerate, builtins.zip,
                  builtins.str, builtins.repr, builtins.type, operator.not_)



def _inexact(dtype):
    """Whether values cast to ``dtype`` keep a derivative (floats do; integers and booleans do not)."""
    try:
        return not np.issubdtype(np.dtype(dtype), np.integer) and np.dtype(dtype) != np.bool_
    except TypeError:
        return True           # not known when the code is generated: taken as a float


def astype_vjp(dtype):
    """g for a cast to floats; nothing for a cast to integers or booleans"""
    return "g" if _inexact(dtype) else None


def astype_jvp(dtype):
    """dself.astype(dtype) for a cast to floats; nothing for a cast to integers or booleans"""
    return "dself.astype(dtype)" if _inexact(dtype) else None


defmethod("astype", "self, dtype", vjp={"self": astype_vjp}, jvp={"self": astype_jvp})
defmethod("copy", "self", linear=True, vjp={"self": "g"})
# x.item(): the one element of x as a Python number (a loss written as PyTorch code would: np.sum(...).item())
defmethod("item", "self", vjp={"self": "np.full_like(self, g)"}, jvp={"self": "np.sum(dself)"})
