"""Shape and data movement: reshapes, transposes, joins. All linear.

Each adjoint moves ``g`` back to the input's layout; the tangent of a linear
function is the function applied to the tangent, so none is written here.
"""

import numpy as np

from ..runtime import add_at, unbroadcast
from .registry import Operand, RuleError, defrule

defrule(np.reshape, "a, shape=None, order='C'", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.ravel, "a, order='C'", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.squeeze, "a, axis=None", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.expand_dims, "a, axis", linear=True, vjp={"a": "np.reshape(g, a.shape)"})
defrule(np.atleast_1d, "a", linear=True, vjp={"a": "np.reshape(g, np.shape(a))"})
defrule(np.atleast_2d, "a", linear=True, vjp={"a": "np.reshape(g, np.shape(a))"})
defrule(np.transpose, "a, axes=None", linear=True,
        vjp={"a": "np.transpose(g) if axes is None else np.transpose(g, np.argsort(axes))"})
defrule(np.swapaxes, "a, axis1, axis2", linear=True, vjp={"a": "np.swapaxes(g, axis1, axis2)"})
defrule(np.moveaxis, "a, source, destination", linear=True,
        vjp={"a": "np.moveaxis(g, destination, source)"})
defrule(np.copy, "a", linear=True, vjp={"a": "g"})
defrule(np.asarray, "a, dtype=None, order=None", linear=True, vjp={"a": "g"})
defrule(np.array, "object, dtype=None, copy=True, order='K'", linear=True, vjp={"object": "g"})
defrule(np.negative, "x", linear=True, vjp={"x": "-g"})
defrule(np.flip, "m, axis=None", linear=True, vjp={"m": "np.flip(g, axis)"})


def _sum_back(array, ans):
    """g summed over the axes broadcasting added to array (exactly those, where the shapes are known)"""
    return _summed_to(array, "array", ans, "g")


def _summed_to(operand, operand_text, ans, expr):
    """``expr``, shaped like ``ans``, summed over the axes broadcasting added to ``operand``, as text."""
    to_shape = operand.shape if isinstance(operand, Operand) else np.shape(operand)
    from_shape = getattr(ans, "shape", None)
    if to_shape is None or from_shape is None:
        return f"unbroadcast({expr}, {operand_text})"
    if tuple(to_shape) == tuple(from_shape):
        return expr
    if not to_shape:
        return f"np.sum({expr})"
    lead = len(from_shape) - len(to_shape)
    kept = tuple(lead + i for i, n in enumerate(to_shape) if n == 1 and from_shape[lead + i] != 1)
    axes = tuple(range(lead)) + kept
    axis = str(axes[0]) if len(axes) == 1 else str(axes)
    if not kept:
        return f"np.sum({expr}, axis={axis})"
    if not lead:
        return f"np.sum({expr}, axis={axis}, keepdims=True)"
    return f"np.reshape(np.sum({expr}, axis={axis}), {tuple(to_shape)})"


defrule(np.broadcast_to, "array, shape", linear=True, vjp={"array": _sum_back},
        namespace={"unbroadcast": unbroadcast})


# --------------------------------------------------------------------------------------------
# Joins and splits. A join's adjoint is a tuple display with one slice of g per element, so an
# element that needs no adjoint costs nothing; a split's adjoint joins the pieces' adjoints.

def _size(text, known):
    """A length as the generated code will read it: the number where the shapes are known."""
    return str(known) if known is not None else text


def _offsets(sizes):
    """Running starts and ends, as text: ``["0", "n"], ["n", "n + m"]`` (numbers added up where known)."""
    starts, ends, total = [], [], "0"
    for size in sizes:
        starts.append(total)
        if total == "0":
            total = size
        elif total.isdigit() and size.isdigit():
            total = str(int(total) + int(size))
        else:
            total = f"{total} + {size}"
        ends.append(total)
    return starts, ends


def along(expr, axis, lo, hi, ndim=None):
    """``expr[lo:hi]`` along ``axis``, as text: ``g[:, 2:5]``, ``g[..., :3]``, or ``np.take`` where unknown."""
    part = f"{'' if lo == '0' else lo}:{hi}"
    if isinstance(axis, int) and ndim is not None and axis < 0:
        axis += ndim
    if isinstance(axis, int) and axis >= 0:
        return f"{expr}[{':, ' * axis}{part}]"
    if isinstance(axis, int):
        return f"{expr}[..., {part}{', :' * (-axis - 1)}]"
    return f"np.take({expr}, np.arange({lo}, {hi}), axis={axis})"


def _join_pieces(arrays, axis, size, piece=None, param="arrays"):
    """One slice of g per element: ``size(name, element)`` is the element's length along the axis, as text."""
    names = [f"{param}[{i}]" for i in range(len(arrays))]
    starts, ends = _offsets([size(n, a) for n, a in zip(names, arrays)])
    ndim = max((a.ndim for a in arrays if getattr(a, "ndim", None) is not None), default=None)
    pieces = []
    for n, a, lo, hi in zip(names, arrays, starts, ends):
        text = along("g", axis, lo, hi, ndim)
        pieces.append(piece(n, a, text) if piece else text)
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")"


def _dim(a, axis):
    """``a.shape[axis]`` of an Operand where it is known, else None."""
    shape = getattr(a, "shape", None)
    if shape is None or not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        return None
    return shape[axis]


def concatenate_vjp(arrays, axis, param="arrays"):
    """(g[..., :n0], g[..., n0:n0 + n1], ...): each element's slice along the axis"""
    if not isinstance(arrays, (list, tuple)):      # a list built earlier (xs.append(x)): split at run time
        at = axis if isinstance(axis, str) else "axis"     # (np.hstack's own axis comes as text)
        return (f"np.split(g, np.cumsum([a.shape[{at}] for a in {param}[:-1]]), {at})" if axis is not None
                else f"[np.reshape(p, a.shape) for p, a in zip(np.split(g, np.cumsum([a.size for a in {param}[:-1]])), {param})]")
    if axis is None:
        return _join_pieces(arrays, 0, lambda n, a: _size(f"{n}.size", getattr(a, "shape", None) and
                                                          int(np.prod(a.shape))),
                            lambda n, a, text: f"np.reshape({text}, {n}.shape)", param)
    axis_text = axis if isinstance(axis, (int, str)) else "axis"
    return _join_pieces(arrays, axis_text, lambda n, a: _size(f"{n}.shape[{axis_text}]", _dim(a, axis)),
                        param=param)


def stack_vjp(arrays, axis):
    """(g[0], g[1], ...) along the new axis"""
    if not isinstance(arrays, (list, tuple)):      # a list built earlier (xs.append(x))
        return "list(g)" if axis == 0 else "list(np.moveaxis(g, axis, 0))"
    ndim = next((a.ndim + 1 for a in arrays if getattr(a, "ndim", None) is not None), None)
    if isinstance(axis, int) and ndim is not None:
        axis = axis % ndim
    pieces = []
    for i in range(len(arrays)):
        if isinstance(axis, int) and axis >= 0:
            pieces.append(f"g[{':, ' * axis}{i}]")
        else:
            pieces.append(f"np.take(g, {i}, axis=axis)")
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")"


def _promoted(axis, min_ndim):
    """The adjoint of a join that first gives each element ``min_ndim`` dimensions (a vector: one row)."""
    def size(n, a):
        if a.ndim is None:
            return f"({n}.shape[{axis}] if {n}.ndim >= {min_ndim} else 1)"
        return _size(f"{n}.shape[{axis}]", _dim(a, axis)) if a.ndim >= min_ndim else "1"

    def piece(n, a, text):
        return text if a.ndim is not None and a.ndim >= min_ndim else f"np.reshape({text}, {n}.shape)"

    def vjp(tup):
        if not isinstance(tup, (list, tuple)):     # a list built earlier (rows.append(r)): split at run time
            return (f"[np.reshape(p, a.shape) for p, a in zip(np.split(g, np.cumsum("
                    f"[a.shape[{axis}] if np.ndim(a) >= {min_ndim} else 1 for a in tup[:-1]]), {axis}), tup)]")
        return _join_pieces(tup, axis, size, piece, "tup")
    return vjp


def hstack_vjp(tup):
    """(g[:, :n0], g[:, n0:n0 + n1], ...): slices along axis 1, or along axis 0 for vectors"""
    known = tup if isinstance(tup, (list, tuple)) else ()      # (a list built earlier: decided at run time)
    ndim = next((a.ndim for a in known if getattr(a, "ndim", None) is not None), None)
    return concatenate_vjp(tup, "(0 if np.ndim(tup[0]) == 1 else 1)" if ndim is None else 0 if ndim == 1 else 1,
                           "tup")


def vstack_vjp(tup):
    """(g[:n0], g[n0:n0 + n1], ...): slices along axis 0, a vector taking one row"""
    return _promoted(0, 2)(tup)


def dstack_vjp(tup):
    """(g[:, :, :n0], ...): slices along axis 2"""
    return _promoted(2, 3)(tup)


def column_stack_vjp(tup):
    """(g[:, :n0], ...): slices along axis 1, a vector taking one column"""
    return _promoted(1, 2)(tup)


defrule(np.concatenate, "arrays: seq, axis=0", linear=True, vjp={"arrays": concatenate_vjp})
defrule(np.stack, "arrays: seq, axis=0", linear=True, vjp={"arrays": stack_vjp})
defrule(np.hstack, "tup: seq", linear=True, vjp={"tup": hstack_vjp})
defrule(np.vstack, "tup: seq", linear=True, vjp={"tup": vstack_vjp})
defrule(np.dstack, "tup: seq", linear=True, vjp={"tup": dstack_vjp})
defrule(np.column_stack, "tup: seq", linear=True, vjp={"tup": column_stack_vjp})


def _append_vjp(which):
    def vjp(arr, values, axis):
        if axis is None:
            size = _size("arr.size", getattr(arr, "shape", None) and int(np.prod(arr.shape)))
            text = f"g[:{size}]" if which == "arr" else f"g[{size}:]"
            return f"np.reshape({text}, {which}.shape)"
        size = _size(f"arr.shape[{axis}]", _dim(arr, axis)) if isinstance(axis, int) else "arr.shape[axis]"
        lo, hi = ("0", size) if which == "arr" else (size, "")
        return along("g", axis if isinstance(axis, int) else "axis", lo, hi, getattr(arr, "ndim", None))
    vjp.__doc__ = f"the {'first' if which == 'arr' else 'last'} part of g (flattened where axis is None)"
    return vjp


defrule(np.append, "arr, values, axis=None",
        vjp={"arr": _append_vjp("arr"), "values": _append_vjp("values")},
        jvp={"arr": "np.append(darr, np.zeros_like(values), axis)",
             "values": "np.append(np.zeros_like(arr), dvalues, axis)"})


def split_vjp(g, ans, axis):
    """np.concatenate([g0, g1, ...], axis), zeros for the pieces nobody used"""
    pieces = [f"g[{k}]" if gk is not None else f"np.zeros_like(ans[{k}])" for k, gk in enumerate(g)]
    return f"np.concatenate([{', '.join(pieces)}], axis={axis if isinstance(axis, int) else 'axis'})"


def _split_along(axis_text):
    def vjp(g, ans):
        pieces = [f"g[{k}]" if gk is not None else f"np.zeros_like(ans[{k}])" for k, gk in enumerate(g)]
        return f"np.concatenate([{', '.join(pieces)}], axis={axis_text})"
    vjp.__doc__ = f"np.concatenate([g0, g1, ...], axis={axis_text}), zeros for the pieces nobody used"
    return vjp


defrule(np.split, "ary, indices_or_sections, axis=0", linear=True, outputs="*", vjp={"ary": split_vjp})
defrule(np.array_split, "ary, indices_or_sections, axis=0", linear=True, outputs="*", vjp={"ary": split_vjp})
defrule(np.hsplit, "ary, indices_or_sections", linear=True, outputs="*",
        vjp={"ary": _split_along("1 if ary.ndim > 1 else 0")})
defrule(np.vsplit, "ary, indices_or_sections", linear=True, outputs="*", vjp={"ary": _split_along("0")})
defrule(np.dsplit, "ary, indices_or_sections", linear=True, outputs="*", vjp={"ary": _split_along("2")})


# --------------------------------------------------------------------------------------------
# Repetition, padding, rotation

def tile_vjp(A, reps):
    """g folded into (reps, A's shape) pairs of axes and summed over the repetitions"""
    ndim = getattr(A, "ndim", None)
    if ndim is None or not (isinstance(reps, int) or isinstance(reps, tuple) and all(isinstance(r, int) for r in reps)):
        return """
reps_ = (1,) * (A.ndim - np.size(reps)) + tuple(np.atleast_1d(reps))
shape_ = (1,) * (len(reps_) - A.ndim) + A.shape
dA = np.reshape(np.sum(np.reshape(g, [n for pair in zip(reps_, shape_) for n in pair]), axis=tuple(range(0, 2 * len(reps_), 2))), A.shape)
"""
    reps = (reps,) if isinstance(reps, int) else reps
    d = max(ndim, len(reps))
    reps = (1,) * (d - len(reps)) + reps
    dims, axes = [], []
    for i, r in enumerate(reps):
        if r != 1:
            axes.append(len(dims))
            dims.append(str(r))
        j = i - (d - ndim)
        if j >= 0:
            dims.append(_size(f"A.shape[{j}]", _dim(A, j)))
    if not axes:
        return "np.reshape(g, A.shape)"
    axis = str(axes[0]) if len(axes) == 1 else str(tuple(axes))
    shape = dims[0] + "," if len(dims) == 1 else ", ".join(dims)
    summed = f"np.sum(np.reshape(g, ({shape})), axis={axis})"
    return summed if d == ndim else f"np.reshape({summed}, A.shape)"


defrule(np.tile, "A, reps", linear=True, vjp={"A": tile_vjp})


def repeat_vjp(a, repeats, axis):
    """g summed over each element's repeats (np.add.at where the counts differ)"""
    ndim = getattr(a, "ndim", None)
    if isinstance(repeats, int) and axis is None:
        size = _size("a.size", int(np.prod(a.shape)) if ndim is not None else None)
        return f"np.reshape(np.sum(np.reshape(g, ({size}, {repeats})), axis=1), a.shape)"
    if isinstance(repeats, int) and isinstance(axis, int) and ndim is not None:
        axis %= ndim
        dims = [_size(f"a.shape[{j}]", _dim(a, j)) for j in range(ndim)]
        dims.insert(axis + 1, str(repeats))
        return f"np.sum(np.reshape(g, ({', '.join(dims)})), axis={axis + 1})"
    if axis is None:
        return """
da = np.zeros_like(np.ravel(a))
np.add.at(da, np.repeat(np.arange(a.size), repeats), g)
da = np.reshape(da, a.shape)
"""
    return """
da = np.zeros_like(a)
np.add.at(np.moveaxis(da, axis, 0), np.repeat(np.arange(a.shape[axis]), repeats), np.moveaxis(g, axis, 0))
"""


defrule(np.repeat, "a, repeats, axis=None", linear=True, vjp={"a": repeat_vjp})


_PAD_COPIES = ("edge", "reflect", "symmetric", "wrap")    # modes that pad with copies of the array's own elements


def _check_pad_mode(mode):
    if mode != "constant" and mode not in _PAD_COPIES:
        raise RuleError(f"mode={mode!r} has no derivative rule; only the modes 'constant', "
                        f"{', '.join(repr(m) for m in _PAD_COPIES)} do")


def pad_vjp(array, pad_width, mode):
    """g without the padding: g[1:-1, 2:]; where the padding copies elements (mode='edge', 'reflect',
    'symmetric', 'wrap'), each element also gets the g of its copies: np.pad of the element
    numbers says which, np.bincount adds them up"""
    if mode in _PAD_COPIES:
        return (f"np.bincount(np.pad(np.arange(array.size).reshape(array.shape), pad_width, {mode!r}).ravel(), "
                f"weights=g.ravel(), minlength=array.size).reshape(array.shape)")
    _check_pad_mode(mode)
    ndim = getattr(array, "ndim", None)
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim, 2)) if ndim is not None else None
    except (TypeError, ValueError):
        widths = None
    if widths is None:
        return "g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(np.broadcast_to(pad_width, (g.ndim, 2)), g.shape))]"
    parts = [f"{'' if lo == 0 else lo}:{'' if hi == 0 else -hi}" for lo, hi in widths.tolist()]
    while parts and parts[-1] == ":":
        parts.pop()
    return f"g[{', '.join(parts)}]" if parts else "g"


def pad_jvp(mode):
    """np.pad(darray, pad_width) with zeros (the constants do not vary), or padded as the array is"""
    if mode in _PAD_COPIES:
        return f"np.pad(darray, pad_width, {mode!r})"
    _check_pad_mode(mode)
    return "np.pad(darray, pad_width)"


defrule(np.pad, "array, pad_width, mode='constant', constant_values=0", vjp={"array": pad_vjp},
        jvp={"array": pad_jvp})
defrule(np.roll, "a, shift, axis=None", linear=True, vjp={"a": "np.roll(g, -shift, axis)"})
defrule(np.rot90, "m, k=1, axes=(0, 1)", linear=True, vjp={"m": "np.rot90(g, -k, axes)"})
defrule(np.fliplr, "m", linear=True, vjp={"m": "np.fliplr(g)"})
defrule(np.flipud, "m", linear=True, vjp={"m": "np.flipud(g)"})
defrule(np.atleast_3d, "a", linear=True, vjp={"a": "np.reshape(g, np.shape(a))"})
defrule(np.ascontiguousarray, "a, dtype=None", linear=True, vjp={"a": "g"})
defrule(np.asfortranarray, "a, dtype=None", linear=True, vjp={"a": "g"})
if hasattr(np, "matrix_transpose"):
    defrule(np.matrix_transpose, "x", linear=True, vjp={"x": "np.matrix_transpose(g)"})


# --------------------------------------------------------------------------------------------
# Picking elements: take, take_along_axis, sort. Indices may repeat, so adjoints add with add_at.

def take_vjp(a, indices, axis):
    """add_at(np.zeros_like(a), <indices along axis>, g)"""
    if axis is None:
        return "np.reshape(add_at(np.zeros_like(np.ravel(a)), indices, g), a.shape)"
    ndim = getattr(a, "ndim", None)
    if isinstance(axis, int) and (axis >= 0 or ndim is not None):
        k = axis % ndim if ndim is not None else axis
        index = "indices" if k == 0 else f"({'slice(None), ' * k}indices)"
        return f"add_at(np.zeros_like(a), {index}, g)"
    return "add_at(np.zeros_like(a), (slice(None),) * (axis % a.ndim) + (indices,), g)"


defrule(np.take, "a, indices, axis=None", linear=True, vjp={"a": take_vjp}, namespace={"add_at": add_at})
# np.bincount(x, weights) adds each weight into the bin x names: its adjoint reads each weight's bin back
defrule(np.bincount, "x, weights=None, minlength=0", linear=True, vjp={"weights": "g[x]"})


def take_along_axis_vjp(arr, axis):
    """add_at(np.zeros_like(arr), (<positions along the other axes>, indices), g)"""
    ndim = getattr(arr, "ndim", None)
    if axis is None:
        return "np.reshape(add_at(np.zeros_like(np.ravel(arr)), indices, g), arr.shape)"
    if ndim is None or not isinstance(axis, int):
        return ("add_at(np.zeros_like(arr), tuple(indices if j == axis % arr.ndim else np.reshape(np.arange(n), "
                "np.where(np.arange(g.ndim) == j, -1, 1)) for j, n in enumerate(g.shape)), g)")
        # (the shape as an array, not a list comprehension: in a branch of `a if c else b`, that would be
        # refused where the generated gradient is differentiated again)
    axis %= ndim
    parts = []
    for j in range(ndim):
        if j == axis:
            parts.append("indices")
        elif j == ndim - 1:
            parts.append(f"np.arange(g.shape[{j}])")
        else:
            parts.append(f"np.arange(g.shape[{j}])[{', '.join(':' if k == j else 'None' for k in range(j, ndim))}]")
    index = parts[0] if ndim == 1 else f"({', '.join(parts)})"
    return f"add_at(np.zeros_like(arr), {index}, g)"


defrule(np.take_along_axis, "arr, indices, axis", linear=True, vjp={"arr": take_along_axis_vjp},
        namespace={"add_at": add_at})

# sorting permutes: the adjoint goes back through the inverse permutation (argsort of the argsort)
defrule(np.sort, "a, axis=-1, kind=None, order=None",
        vjp={"a": "np.reshape(g[np.argsort(np.argsort(a, axis=None))], a.shape) if axis is None "
                   "else np.take_along_axis(g, np.argsort(np.argsort(a, axis=axis), axis=axis), axis=axis)"},
        jvp={"a": "np.ravel(da)[np.argsort(a, axis=None)] if axis is None "
                  "else np.take_along_axis(da, np.argsort(a, axis=axis), axis=axis)"})


# --------------------------------------------------------------------------------------------
# Diagonals and triangles

def _on_diagonal(a, offset, axis1, axis2, result, array="a", offset_name="offset"):
    """Statements writing g along a diagonal of zeros shaped like ``a``: the adjoint of taking it."""
    ndim = getattr(a, "ndim", None)
    if not isinstance(offset, int):
        rows, cols = f"i + max(-{offset_name}, 0)", f"i + max({offset_name}, 0)"
    else:
        rows = "i" if offset >= 0 else f"i + {-offset}"
        cols = "i" if offset <= 0 else f"i + {offset}"
    known_axes = isinstance(axis1, int) and isinstance(axis2, int)
    plain = ndim == 2 and known_axes and (axis1 % 2, axis2 % 2) == (0, 1)
    shape = getattr(a, "shape", None)
    if plain and offset == 0 and shape is not None and shape[0] == shape[1]:
        return f"{result} = np.diag(g)"        # (np.fill_diagonal would write in place: no derivative of it)
    if plain:
        return f"{result} = np.zeros_like({array})\ni = np.arange(g.shape[-1])\n{result}[{rows}, {cols}] = g"
    axes = f"({axis1}, {axis2})" if known_axes else "(axis1, axis2)"
    return (f"{result} = np.zeros_like(np.moveaxis({array}, {axes}, (-2, -1)))\ni = np.arange(g.shape[-1])\n"
            f"{result}[..., {rows}, {cols}] = g\n{result} = np.moveaxis({result}, (-2, -1), {axes})")


def diagonal_vjp(a, offset, axis1, axis2):
    """da = np.zeros_like(a) with g written along the diagonal"""
    return _on_diagonal(a, offset, axis1, axis2, "da")


def diag_vjp(v, k):
    """np.diag(g, k) for a vector v; g written along the k-th diagonal of zeros for a matrix"""
    if getattr(v, "ndim", None) == 1:
        return "np.diag(g, k)"
    statements = _on_diagonal(v, k, 0, 1, "dv", "v", "k")
    if getattr(v, "ndim", None) == 2:
        return statements
    indented = "\n".join("    " + line for line in statements.splitlines())
    return f"if v.ndim == 1:\n    dv = np.diag(g, k)\nelse:\n{indented}"


defrule(np.diagonal, "a, offset=0, axis1=0, axis2=1", linear=True, vjp={"a": diagonal_vjp})
defrule(np.diag, "v, k=0", linear=True, vjp={"v": diag_vjp})
defrule(np.diagflat, "v, k=0", linear=True, vjp={"v": "np.reshape(np.diagonal(g, k), v.shape)"})
defrule(np.triu, "m, k=0", linear=True, vjp={"m": "np.triu(g, k)"})
defrule(np.tril, "m, k=0", linear=True, vjp={"m": "np.tril(g, k)"})


# --------------------------------------------------------------------------------------------
# Differences, integrals, convolutions: linear maps whose adjoints are their transposes

def diff_vjp(n):
    """-np.diff(g, axis=axis, prepend=0, append=0), n times"""
    if not isinstance(n, int):
        raise RuleError("n must be a constant")
    expr = "g"
    for _ in range(n):
        expr = f"np.diff({expr}, axis=axis, prepend=0, append=0)"
    return f"-{expr}" if n % 2 else expr


defrule(np.diff, "a, n=1, axis=-1", linear=True, vjp={"a": diff_vjp})

if hasattr(np, "trapezoid"):
    # g * dx for every point, halved at the two ends
    defrule(np.trapezoid, "y, x=None, dx=1.0, axis=-1", linear=True, vjp={"y": """
gy = np.moveaxis(np.zeros_like(y) + np.expand_dims(g, axis) * dx, axis, -1)
dy = np.moveaxis(np.concatenate([gy[..., :1] / 2, gy[..., 1:-1], gy[..., -1:] / 2], axis=-1), -1, axis)
"""})


def _full_adjoint(mode):
    """g padded back to the length of the full convolution (what 'same' and 'valid' cut off)."""
    if mode == "full":
        return "g"
    if mode == "valid":                  # (np.size: either operand may be a list, as a kernel often is)
        return "np.pad(g, min(np.size(a), np.size(v)) - 1)"
    if mode == "same":
        return "np.pad(g, ((min(np.size(a), np.size(v)) - 1) // 2, min(np.size(a), np.size(v)) // 2))"
    raise RuleError(f"mode must be a constant: 'full', 'same' or 'valid', not {mode!r}")


def _convolve_vjp(which):
    def vjp(mode):
        other = "v" if which == "a" else "a"
        return f"np.correlate({_full_adjoint(mode)}, {other}, 'valid')"
    vjp.__doc__ = f"np.correlate(g, {'v' if which == 'a' else 'a'}, 'valid'), g padded to the full length"
    return vjp


def _correlate_vjp(which):
    def vjp(mode):
        if which == "a":
            return f"np.correlate({_full_adjoint(mode)}, np.flip(v), 'valid')"
        return f"np.flip(np.correlate({_full_adjoint(mode)}, a, 'valid'))"
    vjp.__doc__ = ("np.correlate(g, np.flip(v), 'valid')" if which == "a"
                   else "np.flip(np.correlate(g, a, 'valid')), g padded to the full length")
    return vjp


defrule(np.convolve, "a, v, mode='full'", vjp={"a": _convolve_vjp("a"), "v": _convolve_vjp("v")},
        jvp={"a": "np.convolve(da, v, mode)", "v": "np.convolve(a, dv, mode)"})
defrule(np.correlate, "a, v, mode='valid'", vjp={"a": _correlate_vjp("a"), "v": _correlate_vjp("v")},
        jvp={"a": "np.correlate(da, v, mode)", "v": "np.correlate(a, dv, mode)"})


# partitioning permutes, as sorting does
defrule(np.partition, "a, kth, axis=-1, kind='introselect', order=None",
        vjp={"a": "np.reshape(g[np.argsort(np.argpartition(a, kth, axis=None))], a.shape) if axis is None "
                  "else np.take_along_axis(g, np.argsort(np.argpartition(a, kth, axis=axis), axis=axis), axis=axis)"},
        jvp={"a": "np.ravel(da)[np.argpartition(a, kth, axis=None)] if axis is None "
                  "else np.take_along_axis(da, np.argpartition(a, kth, axis=axis), axis=axis)"})


def rollaxis_vjp(a, axis, start):
    """g with the axes put back: np.transpose(g, <the inverse permutation>)"""
    ndim = getattr(a, "ndim", None)
    if ndim is None or not isinstance(axis, int) or not isinstance(start, int):
        return "np.moveaxis(g, start % (a.ndim + 1) - (axis % a.ndim < start % (a.ndim + 1)), axis)"
    axes = list(range(ndim))
    axis %= ndim
    start = start % (ndim + 1)
    if axis < start:
        start -= 1
    axes.remove(axis)
    axes.insert(start, axis)
    if axes == list(range(ndim)):
        return "g"
    return f"np.transpose(g, {tuple(int(k) for k in np.argsort(axes))})"


defrule(np.rollaxis, "a, axis, start=0", linear=True, vjp={"a": rollaxis_vjp})
defrule(np.real_if_close, "a, tol=100", linear=True, vjp={"a": "g"})


# --------------------------------------------------------------------------------------------
# Selections and grids: np.select picks each element from the first choice whose condition holds (the
# default where none does); np.interp is linear in the values between two knots; np.meshgrid repeats
# each vector along the other axes.

def select_vjp(choicelist, ans):
    """np.select(condlist, [0.0, g, 0.0], 0.0): g where a choice was picked, for that choice (summed
    over the axes it was broadcast along)"""
    if not isinstance(choicelist, (list, tuple)):
        raise RuleError("choicelist must be a list display ([a, b]) for a derivative")
    n = len(choicelist)
    entries = []
    for k, choice in enumerate(choicelist):
        picked = "np.select(condlist, [" + ", ".join("g" if j == k else "0.0" for j in range(n)) + "], 0.0)"
        entries.append(_summed_to(choice, f"choicelist[{k}]", ans, picked))
    return "(" + ", ".join(entries) + ("," if n == 1 else "") + ")"


defrule(np.select, "condlist, choicelist: seq, default=0", broadcasts=True,
        vjp={"choicelist": select_vjp, "default": "np.select(condlist, [0.0] * len(condlist), g)"},
        jvp={"choicelist": "np.select(condlist, dchoicelist, 0.0)",
             "default": "np.select(condlist, [0.0] * len(condlist), ddefault)"},
        namespace={"unbroadcast": unbroadcast})

# the cell [xp[i], xp[i + 1]] each x falls in (the first or last one outside the knots), and where in it
# (the knots and values as arrays: np.interp(x, [0.0, 1.0], [1.0, 2.0]) is written with lists as often as not)
_INTERP_CELL = """
knots = np.asarray(xp)
i = np.clip(np.searchsorted(knots, x, side='right') - 1, 0, len(knots) - 2)
t = np.clip((x - knots[i]) / (knots[i + 1] - knots[i]), 0.0, 1.0)
"""
# the slope of the cell each x falls in (zero outside the knots); at a knot, the mean of the slopes on either
# side, as central differences give there
_INTERP_SLOPE = """
knots = np.asarray(xp)
j = np.searchsorted(knots, x, side='right')
slopes = np.concatenate([[0.0], np.diff(fp) / np.diff(knots), [0.0]])
slope = np.where(x == knots[np.clip(j - 1, 0, len(knots) - 1)], (slopes[j - 1] + slopes[j]) / 2, slopes[j])
"""


def _interp(template, doc=None):
    def factory(left, right, period):
        if left is not None or right is not None or period is not None:
            raise RuleError("left=, right= and period= have no derivative rule; np.interp without them does")
        return template
    factory.__doc__ = doc or template.strip().splitlines()[-1].split(" = ", 1)[1]
    return factory


def _no_knots(*_):
    raise RuleError("the derivative with respect to the knots xp is not supported; hold them constant")


defrule(np.interp, "x, xp, fp, left=None, right=None, period=None",
        vjp={"x": _interp(_INTERP_SLOPE + "dx = g * slope", "g * the slope of x's cell (at a knot, the mean of the "
                                                             "slopes either side; outside the knots, 0)"),
             "fp": _interp(_INTERP_CELL + "dfp = np.bincount(np.ravel(i), weights=np.ravel(g * (1 - t)), "
                                          "minlength=len(fp)) + np.bincount(np.ravel(i + 1), weights=np.ravel(g * t), "
                                          "minlength=len(fp))"),
             "xp": _no_knots},
        jvp={"x": _interp(_INTERP_SLOPE + "dans = dx * slope", "dx * the slope of x's cell (at a knot, the mean of "
                                                                "the slopes either side)"),
             "fp": _interp("dans = np.interp(x, xp, dfp)"),
             "xp": _no_knots})


def meshgrid_vjp(g, xi, indexing, sparse):
    """(np.sum(g0, axis=0), np.sum(g1, axis=1)) for indexing='xy': each vector gets its grid's g summed
    over the axes it is repeated along"""
    if sparse:
        raise RuleError("sparse=True has no derivative rule; np.meshgrid without it does")
    if not isinstance(xi, (list, tuple)):
        raise RuleError("the vectors must be written out (np.meshgrid(a, b)) for a derivative")
    n = len(xi)
    entries = []
    for k in range(n):
        if g[k] is None:
            entries.append(f"np.zeros_like(xi[{k}])")
            continue
        axis = {0: 1, 1: 0}.get(k, k) if indexing == "xy" and n > 1 else k
        others = tuple(a for a in range(n) if a != axis)
        entries.append(f"np.reshape(np.sum(g[{k}], axis={others}), np.shape(xi[{k}]))")
    return "(" + ", ".join(entries) + ("," if n == 1 else "") + ")"


defrule(np.meshgrid, "*xi, copy=True, sparse=False, indexing='xy'", linear=True, outputs="*",
        vjp={"xi": meshgrid_vjp})
