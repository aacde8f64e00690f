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


defrule(transpose_attribute, "a", linear=True, vjp={"a": "g.T"}, name=".T")
defrule(builtins.float, "x", vjp={"x": "g"}, jvp={"x": "dx"}, name="float")
defrule(builtins.sum, "iterable: seq, start=0", linear=True, vjp={"iterable": "[g] * len(iterable)"},
        name="sum")

nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round,
                  builtins.print, builtins.isinstance, builtins.enumerate, builtins.zip,
                  builtins.str, builtins.repr, builtins.type, operator.not_)

defmethod("astype", "self, dtype", linear=True, vjp={"self": "g"})
defmethod("copy", "self", linear=True, vjp={"self": "g"})
