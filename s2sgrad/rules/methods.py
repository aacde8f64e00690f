"""Array methods and attributes, mapped onto the NumPy functions whose rules they share.

``U.sum(axis=1)`` is ``np.sum(U, axis=1)``; ``x.reshape(3, 4)`` is
``np.reshape(x, (3, 4))``. Normalization rewrites method calls through this
table, so a method needs no rule of its own.
"""

import numpy as np

# method name -> (NumPy function, how the method's positional arguments map)
#   "args":    x.f(a, b)      -> np.f(x, a, b)
#   "packed":  x.f(a, b)      -> np.f(x, (a, b))   (shape or axes given as varargs)
#   "bounds":  x.clip(lo), x.clip(max=hi) -> np.clip(x, lo, None), np.clip(x, None, hi)  (either bound may go)
ARRAY_METHODS = {
    "sum": (np.sum, "args"),
    "mean": (np.mean, "args"),
    "max": (np.max, "args"),
    "min": (np.min, "args"),
    "prod": (np.prod, "args"),
    "var": (np.var, "args"),
    "std": (np.std, "args"),
    "dot": (np.dot, "args"),
    "reshape": (np.reshape, "packed"),
    "transpose": (np.transpose, "packed"),
    "ravel": (np.ravel, "args"),
    "flatten": (np.ravel, "args"),      # copied: see COPYING_METHODS
    "squeeze": (np.squeeze, "args"),
    "clip": (np.clip, "bounds"),
    "copy": (np.copy, "args"),
    "cumsum": (np.cumsum, "args"),
    "cumprod": (np.cumprod, "args"),
    "swapaxes": (np.swapaxes, "args"),
    "trace": (np.trace, "args"),
    "diagonal": (np.diagonal, "args"),
    "round": (np.round, "args"),
    "argmax": (np.argmax, "args"),
    "argmin": (np.argmin, "args"),
    "argsort": (np.argsort, "args"),
    "any": (np.any, "args"),
    "all": (np.all, "args"),
    "nonzero": (np.nonzero, "args"),
    "conj": (np.conj, "args"),
    "repeat": (np.repeat, "args"),
    "take": (np.take, "args"),
}

# Each mapping keeps what the method shares of the array's memory, so that the
# aliasing check (aliasing.py) reads the NumPy function as the user reads the
# method: x.reshape(...) and np.reshape(x, ...) may both be views, x.sum() and
# np.sum(x) both new arrays. Two methods differ from their functions:
#   x.flatten() always copies, where np.ravel(x) may be a view of x: it becomes np.copy(np.ravel(x));
#   x.conj() of a real array is x itself, where np.conj(x) is always a new array: the copy changes no
#     value the function computes except through a write into x or the result while the other is read
#     later, and aliasing.py refuses exactly those (it reads x.conj() as a possible view of x).
COPYING_METHODS = frozenset({"flatten"})

# attributes that carry no derivative: the primal reads them, the adjoint ignores them
NONDIFFERENTIABLE_ATTRIBUTES = frozenset({"shape", "size", "ndim", "dtype", "itemsize", "nbytes"})

# methods kept as method calls (generated code writes x.astype(float)); see rules/numpy_arrays
KEPT_METHODS = frozenset({"astype", "item", "tolist", "append", "extend", "pop", "insert",
                          "keys", "values", "items", "get", "copy_to"})
