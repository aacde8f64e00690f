"""Shape and data movement: reshapes, transposes, joins. All linear.

Each adjoint moves ``g`` back to the input's layout; the tangent of a linear
function is the function applied to the tangent, so none is written here.
"""

import numpy as np

from ..runtime import unbroadcast
from .registry import Operand, defrule

defrule(np.reshape, "a, shape=None, order='C'", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.ravel, "a, order='C'", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.squeeze, "a, axis=None", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.expand_dims, "a, axis", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.atleast_1d, "a", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.atleast_2d, "a", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.transpose, "a, axes=None", linear=True,
        vjp={"a": "np.transpose(g) if axes is None else np.transpose(g, np.argsort(axes))"})
defrule(np.swapaxes, "a, axis1, axis2", linear=True, vjp={"a": "np.swapaxes(g, axis1, axis2)"})
defrule(np.moveaxis, "a, source, destination", linear=True,
        vjp={"a": "np.moveaxis(g, destination, source)"})
defrule(np.copy, "a", linear=True, vjp={"a": "g"})
defrule(np.asarray, "a, dtype=None", linear=True, vjp={"a": "g"})
defrule(np.array, "object, dtype=None", linear=True, vjp={"object": "g"})
defrule(np.negative, "x", linear=True, vjp={"x": "-g"})
defrule(np.flip, "m, axis=None", linear=True, vjp={"m": "np.flip(g, axis)"})


def _sum_back(array, ans):
    """g summed over the axes broadcasting added to array (exactly those, where the shapes are known)"""
    to_shape = array.shape if isinstance(array, Operand) else np.shape(array)
    from_shape = getattr(ans, "shape", None)
    if to_shape is None or from_shape is None:
        return "unbroadcast(g, array)"
    if tuple(to_shape) == tuple(from_shape):
        return "g"
    if not to_shape:
        return "np.sum(g)"
    lead = len(from_shape) - len(to_shape)
    kept = tuple(lead + i for i, n in enumerate(to_shape) if n == 1 and from_shape[lead + i] != 1)
    axes = tuple(range(lead)) + kept
    axis = str(axes[0]) if len(axes) == 1 else str(axes)
    if not kept:
        return f"np.sum(g, axis={axis})"
    if not lead:
        return f"np.sum(g, axis={axis}, keepdims=True)"
    return f"np.reshape(np.sum(g, axis={axis}), {tuple(to_shape)})"


defrule(np.broadcast_to, "array, shape", linear=True, vjp={"array": _sum_back},
        namespace={"unbroadcast": unbroadcast})

# joins: the adjoint of a list argument is a list, one adjoint per element
defrule(np.concatenate, "arrays: seq, axis=0", linear=True,
        vjp={"arrays": "np.split(g, np.cumsum([a.shape[axis] for a in arrays[:-1]]), axis)"})
defrule(np.stack, "arrays: seq, axis=0", linear=True,
        vjp={"arrays": "np.moveaxis(g, axis, 0)"})
