"""Rules for the helpers generated code itself may call, so generated code can be differentiated again."""

from ..runtime import unbroadcast
from .registry import defrule

defrule(unbroadcast, "value, like", linear=True, vjp={"value": "np.broadcast_to(g, value.shape)"},
        name="unbroadcast")
