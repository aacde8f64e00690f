"""Products and linear algebra.

The adjoints of products are written for the ranks they meet: ``g @ b.T`` when
``b`` is a matrix, ``np.outer(g, b)`` when it is a vector. When the ranks are
known (generated code is specialized to its arguments' shapes) only the right
branch is kept.
"""

import numpy as np

from ..runtime import eye_like
from .registry import defrule

_PRODUCT_VJP = {
    "a": "g @ b.T if b.ndim == 2 else (np.outer(g, b) if a.ndim == 2 else g * b)",
    "b": "a.T @ g if a.ndim == 2 else (np.outer(a, g) if b.ndim == 2 else g * a)",
}
defrule(np.dot, "a, b", vjp=_PRODUCT_VJP, jvp={"a": "np.dot(da, b)", "b": "np.dot(a, db)"})
defrule(np.matmul, "a, b", vjp={
    "a": f"({_PRODUCT_VJP['a']}) if a.ndim <= 2 and b.ndim <= 2 else g @ np.swapaxes(b, -1, -2)",
    "b": f"({_PRODUCT_VJP['b']}) if a.ndim <= 2 and b.ndim <= 2 else np.swapaxes(a, -1, -2) @ g"},
    jvp={"a": "da @ b", "b": "a @ db"})
defrule(np.outer, "a, b",
        vjp={"a": "np.reshape(g @ np.ravel(b), a.shape)", "b": "np.reshape(np.ravel(a) @ g, b.shape)"},
        jvp={"a": "np.outer(da, b)", "b": "np.outer(a, db)"})
defrule(np.trace, "a, offset=0", linear=True, namespace={"eye_like": eye_like},
        vjp={"a": "g * eye_like(a) if offset == 0 else g * eye_like(a, offset)"})

# the 2-norm of vectors and the Frobenius norm of matrices (ord=None, 2 on vectors, "fro"),
# and the 1-norm of vectors
_GX = "(g if axis is None or keepdims else np.expand_dims(g, axis))"
_ANSX = "(ans if axis is None or keepdims else np.expand_dims(ans, axis))"
defrule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False",
        vjp={"x": f"{_GX} * np.sign(x) if ord == 1 else {_GX} * x / {_ANSX}"},
        jvp={"x": "np.sum(dx * np.sign(x), axis=axis, keepdims=keepdims) if ord == 1 "
                  "else np.sum(x * dx, axis=axis, keepdims=keepdims) / ans"})
