"""The few helpers generated code may call, kept standalone.

Generated code normally spells out the reduction a broadcast needs
(``np.sum(g, axis=0)``), because it is specialized to its arguments' shapes.
Only where shapes are not known when the code is generated (the CLI without
example shapes, the first ``.source`` of a gradient) does it call
:func:`unbroadcast`. The adjoint of an integer-array index calls :func:`add_at`
(``np.add.at`` that also runs where arrays have no in-place scatter: Dask),
that of a trace :func:`eye_like` (``np.eye`` made from an array, so CuPy and
Dask get one of their own). A written-out module carries these functions'
source text, so it never imports s2sgrad.
"""

import numpy as np


def unbroadcast(value, like):
    """Sum ``value`` over the axes NumPy broadcasting added to ``like``'s shape."""
    shape = getattr(like, "shape", ())
    if getattr(value, "shape", ()) == shape:
        return value
    lead = np.ndim(value) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and value.shape[lead + i] != 1)
    return np.reshape(np.sum(value, axis=axes), shape)


def add_at(array, index, values):
    """``np.add.at(array, index, values)`` as an expression, for array libraries without ``ufunc.at`` too.

    NumPy, and CuPy through dispatch, add in place into ``array`` (generated
    code passes a fresh ``np.zeros_like``). Dask arrays have no ``ufunc.at``:
    there an integer index into the first axis is summed by a one-hot product,
    lazily like the rest of the graph.
    """
    try:
        np.add.at(array, index, values)
        return array
    except TypeError:
        if isinstance(array, np.ndarray) or getattr(getattr(index, "dtype", None), "kind", "") not in ("i", "u"):
            raise
    onehot = np.expand_dims(index % array.shape[0], -1) == np.arange(array.shape[0])
    axes = list(range(np.ndim(index)))
    return array + np.tensordot(onehot.astype(array.dtype), values, axes=(axes, axes))


def eye_like(a, k=0):
    """``np.eye(n, m, k, dtype=a.dtype)`` for an n x m ``a``, made from ``a`` so it is an array of its library.

    ``np.eye`` makes a NumPy array, which CuPy will not combine with its own;
    counting positions along each axis of ``a`` instead gives the same ones on
    the diagonal as a CuPy array for CuPy arguments and a lazy one for Dask.
    """
    ones = np.ones_like(a)
    return (np.cumsum(ones, axis=-1) - np.cumsum(ones, axis=-2) == k).astype(a.dtype)


HELPERS = {"unbroadcast": unbroadcast, "add_at": add_at, "eye_like": eye_like}
