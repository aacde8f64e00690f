"""Rules for the helpers generated code itself may call, so generated code can be differentiated again."""

import numpy as np

from ..runtime import (add_at, add_each, eye_like, last_writes, real_arrays_only, sum_copies, unbroadcast,
                       zeros_like_each)
from .registry import Operand, defrule, nondifferentiable


def _spread_back(value, ans):
    """np.broadcast_to(g, np.shape(value)): g spread over the axes unbroadcast summed"""
    shape = value.shape if isinstance(value, Operand) else np.shape(value)
    if shape is not None and shape == getattr(ans, "shape", None):
        return "g"                    # nothing was summed (shapes known when the code is generated)
    return "np.broadcast_to(g, np.shape(value))"


defrule(unbroadcast, "value, like", linear=True, vjp={"value": _spread_back}, name="unbroadcast")
defrule(add_at, "array, index, values", name="add_at", namespace={"add_at": add_at},
        vjp={"array": "g", "values": "g[index]"},
        jvp={"array": "darray", "values": "add_at(np.zeros_like(array), index, dvalues)"})
nondifferentiable(eye_like, zeros_like_each, last_writes, real_arrays_only)
defrule(add_each, "first, second", linear=True, name="add_each", vjp={"first": "g", "second": "g"})
defrule(sum_copies, "adjoints, n", linear=True, name="sum_copies", vjp={"adjoints": "list(g) * (len(adjoints) // n)"})
