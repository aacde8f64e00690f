"""The few helpers generated code may call, kept standalone.

Generated code normally spells out the reduction a broadcast needs
(``np.sum(g, axis=0)``), because it is specialized to its arguments' shapes.
Only where shapes are not known when the code is generated (the CLI without
example shapes, the first ``.source`` of a gradient) does it call
:func:`unbroadcast`. The adjoint of an integer-array index calls :func:`add_at`
(``np.add.at`` that also runs where arrays have no in-place scatter: Dask),
that of a write by an index that may repeat masks the writes overwritten
(:func:`last_writes`), that of a trace :func:`eye_like` (``np.eye`` made from an array, so CuPy and
Dask get one of their own). Adjoints of Python lists and dicts use
:func:`zeros_like_each` and :func:`add_each`
(and a repeated list's, :func:`sum_copies`). A written-out module carries these functions'
source text, so it never imports s2sgrad.
"""

import numpy as np


def unbroadcast(value, like):
    """Sum ``value`` over the axes NumPy broadcasting added to ``like``'s shape (or give it back the
    leading axes of length 1 an assignment dropped: ``y[..., 0] = a`` with ``a`` of shape (1,))."""
    shape = getattr(like, "shape", ())
    if getattr(value, "shape", ()) == shape:
        return value
    lead = np.ndim(value) - len(shape)
    if lead < 0:
        return np.reshape(value, shape)
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


def last_writes(array, index):
    """Where ``array[index] = values`` writes for good: True at each position of ``array[index]`` that no
    later position of the same index writes over (``y[[0, 0, 1]] = v`` keeps ``v[1]`` and ``v[2]``).

    NumPy itself says which write wins: each position writes its own number into a scratch array by the
    same index, and the positions that find their number there afterwards are the ones that stayed.
    """
    writer = np.full_like(array, -1, dtype=np.intp)
    shape = np.shape(writer[index])
    order = np.reshape(np.arange(int(np.prod(shape)), like=writer), shape)
    writer[index] = order
    return writer[index] == order


def real_arrays_only(*values):
    """Code written for arguments of any kind takes them for real: refuse a complex one (docs/complex.md)."""
    for value in values:
        if isinstance(value, (list, tuple, dict)):
            real_arrays_only(*(value.values() if isinstance(value, dict) else value))
        elif np.iscomplexobj(value):
            raise TypeError("this derivative is for real arguments: generate it from complex examples for complex ones")


def eye_like(a, k=0):
    """``np.eye(n, m, k, dtype=a.dtype)`` for an n x m ``a``, made from ``a`` so it is an array of its library.

    ``np.eye`` makes a NumPy array, which CuPy will not combine with its own;
    counting positions along each axis of ``a`` instead gives the same ones on
    the diagonal as a CuPy array for CuPy arguments and a lazy one for Dask.
    """
    ones = np.ones_like(a)
    return (np.cumsum(ones, axis=-1) - np.cumsum(ones, axis=-2) == k).astype(a.dtype)


def zeros_like_each(items):
    """A zero adjoint for a list, tuple or dict of arrays: the same container of ``np.zeros_like``,
    nested as the items are (a list of dicts of layer parameters). None for None: a list a loop's body
    builds only on a path no pass has taken yet (nothing reads its adjoint then)."""
    def zeros(item):
        if isinstance(item, dict):
            return {key: zeros(value) for key, value in item.items()}
        if isinstance(item, (list, tuple)) and any(isinstance(v, (dict, list, tuple, np.ndarray)) for v in item):
            return [zeros(value) for value in item]
        return np.zeros_like(item)       # an array (an item that is a list of numbers: one array)
    if items is None:
        return None
    if isinstance(items, dict):
        return {key: zeros(value) for key, value in items.items()}
    if not isinstance(items, (list, tuple)):
        return np.zeros_like(items)      # an array where code for arguments of any kind expected a list
    return [zeros(item) for item in items]


def add_each(first, second):
    """Two lists (or dicts) of adjoints added element by element, nested as they are.

    ``+`` on two lists would concatenate them; ``strict`` makes adjoints of
    different lengths an error rather than a silently truncated sum.
    """
    def add(a, b):
        if isinstance(a, dict):
            return {key: add(a[key], b[key]) for key in a}
        if isinstance(a, list) and isinstance(b, list):
            return [add(x, y) for x, y in zip(a, b, strict=True)]
        return a + b
    return add(first, second)


def sum_copies(adjoints, n):
    """The adjoint of ``a * k`` for a list ``a`` of ``n`` items: each item's adjoint summed over its ``k`` copies."""
    return [sum(adjoints[i::n]) for i in range(n)]


def tensordot_adjoint(g, a, b, axes, which):
    """The adjoint of ``np.tensordot(a, b, axes)`` with respect to ``a`` (which=0) or ``b`` (which=1)."""
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a = [k % a.ndim for k in np.atleast_1d(axes[0])]
        axes_b = [k % b.ndim for k in np.atleast_1d(axes[1])]
    free_a = [k for k in range(a.ndim) if k not in axes_a]
    free_b = [k for k in range(b.ndim) if k not in axes_b]
    if which == 0:
        out = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
        order = free_a + [axes_a[axes_b.index(k)] for k in sorted(axes_b)]
    else:
        out = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
        order = [axes_b[axes_a.index(k)] for k in sorted(axes_a)] + free_b
    return np.transpose(out, np.argsort(order))


HELPERS = {"real_arrays_only": real_arrays_only, "unbroadcast": unbroadcast, "add_at": add_at, "last_writes": last_writes, "eye_like": eye_like, "tensordot_adjoint": tensordot_adjoint,
           "zeros_like_each": zeros_like_each, "add_each": add_each, "sum_copies": sum_copies}
