"""Rules for the helpers generated code itself may call, so generated code can be differentiated again."""

import numpy as np

from ..runtime import unbroadcast
from .registry import Operand, defrule


def _spread_back(value, ans):
    """np.broadcast_to(g, np.shape(value)): g spread over the axes unbroadcast summed"""
    shape = value.shape if isinstance(value, Operand) else np.shape(value)
    if shape is not None and shape == getattr(ans, "shape", None):
        return "g"                    # nothing was summed (shapes known when the code is generated)
    return "np.broadcast_to(g, np.shape(value))"


defrule(unbroadcast, "value, like", linear=True, vjp={"value": _spread_back}, name="unbroadcast")
