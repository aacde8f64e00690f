"""Reading parts of arrays: ``x[i]``, slices, ``x[:, None]``, fancy and boolean indexes.

Indexing is written as functions here only so that it can carry rules; the
generated code keeps the subscript syntax. Which rule applies is decided from
the index's form (see :func:`s2sgrad.reverse`): a basic index (ints, slices,
``None``) selects each element at most once, so its adjoint can be assigned;
an advanced index may repeat elements, so its adjoint must be added with
``np.add.at`` (through :func:`s2sgrad.runtime.add_at`, which also runs on Dask).
"""

from ..runtime import add_at
from .registry import defrule


def index_basic(x, index):
    """``x[index]`` with ints, slices, ``None`` and ``...`` only."""
    return x[index]


def index_advanced(x, index):
    """``x[index]`` with integer or boolean arrays in the index."""
    return x[index]


def index_newaxis(x, index, restore):
    """``x[index]`` where the index only adds axes (``x[:, None]``): ``restore`` drops them again."""
    return x[index]


defrule(index_basic, "x, index", vjp={"x": "dx = np.zeros_like(x)\ndx[index] = g"},
        jvp={"x": "dx[index]"}, name="x[...]")
defrule(index_advanced, "x, index", vjp={"x": "add_at(np.zeros_like(x), index, g)"},
        jvp={"x": "dx[index]"}, name="x[array]", namespace={"add_at": add_at})
defrule(index_newaxis, "x, index, restore", vjp={"x": "g[restore]"}, jvp={"x": "dx[index]"},
        name="x[:, None]")
