"""``np.unique``: its values are elements of its input, so they carry the input's derivatives.

The values are the sorted distinct elements; each is read from the input at
its first occurrence (``return_index``), and that element gets its adjoint.
Where equal elements merge into one value, the value's derivative is not one
element's: like JAX, whose ``unique`` reads the first of the equal elements
after a stable sort, the first occurrence takes it all and the others none.
The index, inverse and count results are integers and carry no derivative.
"""

import numpy as np

from .registry import RuleError, defrule

_FLAGS = ("return_index", "return_inverse", "return_counts")


def unique_outputs(return_index, return_inverse, return_counts):
    count = 1 + sum(bool(f) for f in (return_index, return_inverse, return_counts))
    return None if count == 1 else count


def _check(axis, flags):
    if axis is not None:
        raise RuleError("axis= is not supported by the derivative rule; call np.unique on the flattened array")
    if any(not isinstance(f, bool) for f in flags):
        raise RuleError(f"{', '.join(_FLAGS)} must be constants")


# the first occurrence of each element's value: where the element's index is its value's first index
_FIRST = """
_, index, inverse = np.unique(ar, return_index=True, return_inverse=True)
inverse = np.ravel(inverse)
first = np.arange(np.size(ar)) == index[inverse]
"""


def unique_vjp(g, ar, axis, return_index, return_inverse, return_counts):
    """g of each value to the first element holding it"""
    flags = (return_index, return_inverse, return_counts)
    _check(axis, flags)
    several = unique_outputs(*flags) is not None
    if several and g[0] is None:
        return None
    gv = "g0" if several else "g"
    return _FIRST + f"dar = np.reshape(np.where(first, {gv}[inverse], 0.0), np.shape(ar))"


def unique_jvp(ar, axis, return_index, return_inverse, return_counts):
    """the tangent of the first element holding each value"""
    flags = (return_index, return_inverse, return_counts)
    _check(axis, flags)
    tangent = "np.ravel(dar)[np.unique(ar, return_index=True)[1]]"
    count = unique_outputs(*flags)
    return tangent if count is None else "(" + ", ".join([tangent] + ["None"] * (count - 1)) + ")"


defrule(np.unique, "ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, "
                   "equal_nan=True", outputs=unique_outputs, vjp={"ar": unique_vjp}, jvp={"ar": unique_jvp})
