"""Products and linear algebra.

The adjoints of products are written for the ranks they meet: ``g @ b.T`` when
``b`` is a matrix, ``np.outer(g, b)`` when it is a vector. Generated code is
specialized to its arguments' shapes, so most rules here are template
factories (see :mod:`s2sgrad.rules.registry`) that write the one expression
the ranks call for; where the ranks are not known (the shape-generic code) they
write forms that hold for any rank (``np.swapaxes(x, -1, -2)`` for ``x.T``).

The decompositions (``eigh``, ``svd``, ``qr``, ``cholesky``) follow the
standard results for real matrices (Giles 2008; Murray 2016; Townsend 2016;
Walter and Lehmann 2018). The functions of symmetric matrices (``eigh``,
``eigvalsh``, ``cholesky``) read one triangle of their argument, and their
derivatives are those of that reading: the adjoint of an off-diagonal element
counts for both places it stands for, the other triangle gets none. (autograd
and JAX return the symmetric half of it instead; for an argument built
symmetric, ``B + B.T``, the two agree.)
"""

import numpy as np

from ..runtime import eye_like, tensordot_adjoint, unbroadcast
from .einsum import operand_adjoint
from . import linalg_stacked
from .registry import Operand, RuleError, defrule

RUNTIME = {"eye_like": eye_like, "unbroadcast": unbroadcast, "tensordot_adjoint": tensordot_adjoint}


def _ndim(x):
    """The rank of an argument where it is known when the code is generated, else None."""
    if isinstance(x, Operand):
        return x.ndim
    return np.ndim(x) if isinstance(x, (int, float, np.ndarray, np.generic)) else None   # a global array: its own


def mT(x, ndim):
    """The matrix transpose of ``x``, as text: ``x.T`` for a matrix, the last two axes swapped otherwise."""
    return f"{x}.T" if ndim == 2 else f"np.swapaxes({x}, -1, -2)"


def sum_to(expr, from_shape, to_shape, like):
    """``expr`` (of ``from_shape``) summed over the axes broadcasting added to ``like`` (of ``to_shape``)."""
    if from_shape is None or to_shape is None:
        return f"unbroadcast({expr}, {like})"
    from_shape, to_shape = tuple(from_shape), tuple(to_shape)
    if from_shape == to_shape:
        return expr
    lead = len(from_shape) - len(to_shape)
    kept = tuple(lead + i for i, n in enumerate(to_shape) if n == 1 and from_shape[lead + i] != 1)
    axes = tuple(range(lead)) + kept
    if not axes:
        return expr
    axis = str(axes[0]) if len(axes) == 1 else str(axes)
    if not kept:
        return f"np.sum({expr}, axis={axis})"
    if not lead:
        return f"np.sum({expr}, axis={axis}, keepdims=True)"
    return f"np.reshape(np.sum({expr}, axis={axis}), {like}.shape)"


def _letters_product(nda, ndb, contract_a, contract_b):
    """einsum subscripts for a product contracting axes ``contract_a`` of a with ``contract_b`` of b."""
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(nda)]
    sb = [None] * ndb
    for i, j in zip(contract_a, contract_b):
        sb[j] = sa[i]
    sb = [c if c is not None else next(letters) for c in sb]
    free_a = [c for k, c in enumerate(sa) if k not in contract_a]
    free_b = [c for k, c in enumerate(sb) if k not in contract_b]
    return ["".join(sa), "".join(sb)], "".join(free_a + free_b)


# --------------------------------------------------------------------------- products
def _dot_vjp(which):
    def vjp(a, b):
        na, nb = _ndim(a), _ndim(b)
        if na is None or nb is None:       # ranks unknown: scalars, vectors and matrices, then any rank
            general = (f"tensordot_adjoint(g, a, b, ([np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)]), "
                       f"{0 if which == 'a' else 1})")
            if which == "a":
                return ("np.sum(g * b) if np.ndim(a) == 0 else (g * b if np.ndim(b) == 0 else (g @ b.T if "
                        "np.ndim(b) == 2 and np.ndim(a) <= 2 else (np.outer(g, b) if np.ndim(a) == 2 and "
                        f"np.ndim(b) == 1 else (g * b if np.ndim(a) == 1 and np.ndim(b) == 1 else {general}))))")
            return ("np.sum(g * a) if np.ndim(b) == 0 else (g * a if np.ndim(a) == 0 else (a.T @ g if "
                    "np.ndim(a) == 2 and np.ndim(b) <= 2 else (np.outer(a, g) if np.ndim(b) == 2 and "
                    f"np.ndim(a) == 1 else (g * a if np.ndim(a) == 1 and np.ndim(b) == 1 else {general}))))")
        if na == 0 or nb == 0:
            scalar, other = (a, b) if na == 0 else (b, a)
            if (which == "a") == (na == 0):
                return f"np.sum(g * {'b' if which == 'a' else 'a'})"
            return f"g * {'b' if which == 'a' else 'a'}"
        if na <= 2 and nb <= 2:
            if which == "a":
                return {(1, 1): "g * b", (2, 1): "np.outer(g, b)", (1, 2): "b @ g", (2, 2): "g @ b.T"}[(na, nb)]
            return {(1, 1): "g * a", (2, 1): "g @ a", (1, 2): "np.outer(a, g)", (2, 2): "a.T @ g"}[(na, nb)]
        inputs, output = _letters_product(na, nb, [na - 1], [0 if nb == 1 else nb - 2])
        return operand_adjoint(inputs, output, 0 if which == "a" else 1, ["a", "b"])
    vjp.__doc__ = ("g @ b.T, np.outer(g, b) or g * b, as the ranks require" if which == "a"
                   else "a.T @ g, np.outer(a, g) or g * a, as the ranks require")
    return vjp


defrule(np.dot, "a, b", vjp={"a": _dot_vjp("a"), "b": _dot_vjp("b")},
        jvp={"a": "np.dot(da, b)", "b": "np.dot(a, db)"}, namespace=RUNTIME)


def _matmul_vjp(which):
    def vjp(a, b, ans):
        na, nb = _ndim(a), _ndim(b)
        if na is not None and nb is not None and na <= 2 and nb <= 2:
            return _dot_vjp(which)(a, b)
        if (na == 1 or nb == 1) and (na is None or nb is None):
            return _dot_vjp(which)(a, b)     # a vector's product is np.dot's, whatever rank the other has
        if na == 1 or nb == 1:
            raise RuleError("a vector times a stack of matrices is not supported: make the vector a matrix "
                            "(v[None, :] or v[:, None])")
        if which == "a":
            expr, shape = f"g @ {mT('b', nb)}", getattr(a, "shape", None)
        else:
            expr, shape = f"{mT('a', na)} @ g", getattr(b, "shape", None)
        full = None
        if getattr(ans, "shape", None) is not None and shape is not None:
            full = ans.shape[:-2] + shape[-2:]
        if na is None or nb is None:      # (a vector times a stack is np.dot's product too)
            simple = _dot_vjp(which)(a, b)
            general = f"unbroadcast({expr}, {which})"
            return f"({simple}) if a.ndim <= 2 and b.ndim <= 2 or a.ndim == 1 or b.ndim == 1 else {general}"
        return sum_to(expr, full, shape, which)
    vjp.__doc__ = ("g @ b.T (summed over broadcast stacks)" if which == "a"
                   else "a.T @ g (summed over broadcast stacks)")
    return vjp


defrule(np.matmul, "a, b", vjp={"a": _matmul_vjp("a"), "b": _matmul_vjp("b")},
        jvp={"a": "da @ b", "b": "a @ db"}, namespace=RUNTIME)
defrule(np.outer, "a, b",
        vjp={"a": "np.reshape(g @ np.ravel(b), a.shape)", "b": "np.reshape(np.ravel(a) @ g, b.shape)"},
        jvp={"a": "np.outer(da, b)", "b": "np.outer(a, db)"})
# a polynomial (coefficients highest power first) at x: linear in the coefficients, whose adjoint is
# the powers of x weighted by g; its derivative in x is the derivative polynomial there
defrule(np.polyval, "p, x",
        vjp={"p": "np.vander(np.ravel(x), len(p)).T @ np.ravel(g)", "x": "g * np.polyval(np.polyder(p), x)"},
        jvp={"p": "np.polyval(dp, x)", "x": "dx * np.polyval(np.polyder(p), x)"})


def _inner_vjp(which):
    def vjp(a, b):
        na, nb = _ndim(a), _ndim(b)
        if na == 0 or nb == 0:          # with a number, np.inner is the product
            mine, other = (na, "b") if which == "a" else (nb, "a")
            return f"g * {other}" if mine != 0 else f"np.sum(g * {other})"
        if na is None or nb is None:
            if which == "a":
                return "np.tensordot(g, b, axes=(list(range(a.ndim - 1, np.ndim(g))), list(range(b.ndim - 1))))"
            return "np.tensordot(g, a, axes=(list(range(a.ndim - 1)), list(range(a.ndim - 1))))"
        if na == 1 and nb == 1:
            return "g * b" if which == "a" else "g * a"
        inputs, output = _letters_product(na, nb, [na - 1], [nb - 1])
        return operand_adjoint(inputs, output, 0 if which == "a" else 1, ["a", "b"])
    vjp.__doc__ = "an einsum of g with the other operand, over the last axes"
    return vjp


defrule(np.inner, "a, b", vjp={"a": _inner_vjp("a"), "b": _inner_vjp("b")},
        jvp={"a": "np.inner(da, b)", "b": "np.inner(a, db)"})


def _vdot_vjp(which):
    def vjp(a, b):
        other = "b" if which == "a" else "a"
        same = getattr(a, "shape", None) is not None and a.shape == getattr(b, "shape", None)
        return f"g * {other}" if same else f"g * np.reshape({other}, {which}.shape)"
    vjp.__doc__ = f"g * {'b' if which == 'a' else 'a'} (reshaped like {which})"
    return vjp


defrule(np.vdot, "a, b", vjp={"a": _vdot_vjp("a"), "b": _vdot_vjp("b")},
        jvp={"a": "np.vdot(da, b)", "b": "np.vdot(a, db)"})


def _vecdot_vjp(which, conj=False):
    """(``conj``: for complex operands, np.vecdot taking the conjugate of x1; see docs/complex.md)"""
    def vjp(x1, x2, axis, ans):
        other = "x2" if which == "x1" else "x1"
        me = x1 if which == "x1" else x2
        expr = f"np.expand_dims(g, {axis}) * {other}"
        if conj:
            expr = f"np.conj({expr})" if which == "x1" else f"np.expand_dims(g, {axis}) * np.conj(x1)"
        full = None
        if getattr(x1, "shape", None) is not None and getattr(x2, "shape", None) is not None:
            full = np.broadcast_shapes(x1.shape, x2.shape)
        if getattr(me, "shape", None) is None or full is None:
            return f"unbroadcast({expr}, {which})"
        return sum_to(expr, full, me.shape, which)
    vjp.__doc__ = f"np.expand_dims(g, axis) * {'x2' if which == 'x1' else 'x1'}, summed over broadcast axes"
    return vjp


if hasattr(np, "vecdot"):
    defrule(np.vecdot, "x1, x2, *, axis=-1", vjp={"x1": _vecdot_vjp("x1"), "x2": _vecdot_vjp("x2")},
            jvp={"x1": "np.vecdot(dx1, x2, axis=axis)", "x2": "np.vecdot(x1, dx2, axis=axis)"},
            namespace=RUNTIME)


def _tensordot_axes(axes, na, nb):
    if isinstance(axes, int):
        return list(range(na - axes, na)), list(range(axes))
    first, second = axes
    first = [first] if isinstance(first, int) else list(first)
    second = [second] if isinstance(second, int) else list(second)
    return [k % na for k in first], [k % nb for k in second]


def _tensordot_vjp(which):
    def vjp(a, b, axes):
        na, nb = _ndim(a), _ndim(b)
        if na is None or nb is None or isinstance(axes, Operand):
            if not isinstance(axes, int):
                return f"tensordot_adjoint(g, a, b, axes, {0 if which == 'a' else 1})"
            if which == "a":
                return (f"np.tensordot(g, b, axes=(list(range(np.ndim(g) - b.ndim + {axes}, np.ndim(g))), "
                        f"list(range({axes}, b.ndim))))")    # (g: a Python number where the result is one)
            return f"np.tensordot(a, g, axes=(list(range(a.ndim - {axes})), list(range(a.ndim - {axes}))))"
        inputs, output = _letters_product(na, nb, *_tensordot_axes(axes, na, nb))
        return operand_adjoint(inputs, output, 0 if which == "a" else 1, ["a", "b"])
    vjp.__doc__ = "an einsum of g with the other operand (np.tensordot's axes made subscripts)"
    return vjp


defrule(np.tensordot, "a, b, axes=2", vjp={"a": _tensordot_vjp("a"), "b": _tensordot_vjp("b")},
        jvp={"a": "np.tensordot(da, b, axes)", "b": "np.tensordot(a, db, axes)"},
        namespace=RUNTIME)


# The helper shape-generic code calls (above) is bilinear: in the adjoint it maps, and in the other operand.
# Its own rules let generated code be differentiated again (Hessians, grad of grad).
def _helper_rule(param, mode):
    def rule(which):
        if which not in (0, 1):
            raise RuleError("which must be 0 or 1")
        other = "b" if which == 0 else "a"
        if mode == "jvp":
            if param == "cotangent":
                return f"tensordot_adjoint(dcotangent, a, b, axes, {which})"
            if param != other:
                return None
            return f"tensordot_adjoint(cotangent, {'a, db' if which == 0 else 'da, b'}, axes, {which})"
        if param == "cotangent":
            return "np.tensordot(g, b, axes)" if which == 0 else "np.tensordot(a, g, axes)"
        if param != other:
            return None
        return ("tensordot_adjoint(cotangent, g, b, axes, 1)" if which == 0
                else "tensordot_adjoint(cotangent, a, g, axes, 0)")
    rule.__doc__ = f"the helper applied to the {'tangent' if mode == 'jvp' else 'adjoint'} in place of {param}"
    return rule


defrule(tensordot_adjoint, "cotangent, a, b, axes, which", name="tensordot_adjoint", namespace=RUNTIME,
        vjp={p: _helper_rule(p, "vjp") for p in ("cotangent", "a", "b")},
        jvp={p: _helper_rule(p, "jvp") for p in ("cotangent", "a", "b")})


def _kron_vjp(which):
    def vjp(a, b):
        na, nb = _ndim(a), _ndim(b)
        if na is not None and nb is not None and na != nb:
            raise RuleError("np.kron of arrays of different ranks is not supported: give them the same rank")
        if na == 1:
            blocks = "np.reshape(g, (a.size, b.size))"
            return f"{blocks} @ b" if which == "a" else f"a @ {blocks}"
        if na == 2:
            blocks = "np.reshape(g, (a.shape[0], b.shape[0], a.shape[1], b.shape[1]))"
            return f'np.einsum("ikjl,kl->ij", {blocks}, b)' if which == "a" else f'np.einsum("ikjl,ij->kl", {blocks}, a)'
        blocks = "np.reshape(g, [n for pair in zip(a.shape, b.shape) for n in pair])"
        if which == "a":
            return f"np.einsum({blocks}, list(range(2 * a.ndim)), b, list(range(1, 2 * a.ndim, 2)), list(range(0, 2 * a.ndim, 2)))"
        return f"np.einsum({blocks}, list(range(2 * a.ndim)), a, list(range(0, 2 * a.ndim, 2)), list(range(1, 2 * a.ndim, 2)))"
    vjp.__doc__ = "g cut into blocks (one per element of a) contracted with the other operand"
    return vjp


defrule(np.kron, "a, b", vjp={"a": _kron_vjp("a"), "b": _kron_vjp("b")},
        jvp={"a": "np.kron(da, b)", "b": "np.kron(a, db)"})
# (g crosses as vectors along the last axis: a number standing for a uniform g is made one first)
_G_VECTORS = "(np.broadcast_to(g, ans.shape) if uniform_g else g)"
defrule(np.cross, "a, b", broadcasts=True, vjp={"a": f"np.cross(b, {_G_VECTORS})", "b": f"np.cross({_G_VECTORS}, a)"},
        jvp={"a": "np.cross(da, b)", "b": "np.cross(a, db)"})


def trace_vjp(a, offset, axis1, axis2):
    """g on the diagonal: g * eye_like(a)"""
    nd = _ndim(a)
    eye = "eye_like(a)" if offset == 0 else "eye_like(a, offset)"
    if nd == 2 and (axis1, axis2) in ((0, 1), (-2, -1), (0, -1), (-2, 1)):
        return f"g * {eye}"
    if nd == 2 and (axis1, axis2) in ((1, 0), (-1, -2), (1, -2), (-1, 0)):
        return f"g * {eye.replace('(a', '(a.T')}.T"
    moved = "np.moveaxis(a, (axis1, axis2), (-2, -1))"
    eye = f"eye_like({moved})" if offset == 0 else f"eye_like({moved}, offset)"
    return f"np.moveaxis(np.expand_dims(g, (-2, -1)) * {eye}, (-2, -1), (axis1, axis2))"


defrule(np.trace, "a, offset=0, axis1=0, axis2=1", linear=True, namespace=RUNTIME, vjp={"a": trace_vjp})


# ------------------------------------------------------------------------------ norms
_GX = "(g if axis is None or keepdims else np.expand_dims(g, axis))"
_ANSX = "(ans if axis is None or keepdims else np.expand_dims(ans, axis))"


def _vector_partial(ord):
    """``(statements, partial)``: d norm / d x for a vector norm, in _ANSX (ans with the reduced axes kept)."""
    if ord in (None, 2, 2.0):
        return "", f"x / {_ANSX}"
    if ord in (1, 1.0):
        return "", "np.sign(x)"
    if ord in (np.inf, -np.inf):
        return (f"at_extremum = np.abs(x) == {_ANSX}\n"
                "share = at_extremum / np.sum(at_extremum, axis=axis, keepdims=True)\n"), "np.sign(x) * share"
    if ord == 0:
        return None
    return "", f"np.sign(x) * (np.abs(x) / {_ANSX}) ** ({ord} - 1)"


def _matrix_partial(ord, nd):
    """``(statements, partial)`` for a matrix norm over the last two axes, in ``ansx`` (ans with them kept)."""
    if ord in (None, "fro"):
        return "", "x / ansx"
    if ord == "nuc":
        return "u, s, vh = np.linalg.svd(x, full_matrices=False)\n", "u @ vh"
    if ord in (2, -2):
        k = "0" if ord == 2 else "-1"
        if nd == 2:
            return ("u, s, vh = np.linalg.svd(x, full_matrices=False)\n",
                    f"np.outer(u[:, {k}], vh[{k}])")
        sl = ":1" if ord == 2 else "-1:"
        return "u, s, vh = np.linalg.svd(x, full_matrices=False)\n", f"u[..., :, {sl}] @ vh[..., {sl}, :]"
    if ord in (1, -1, np.inf, -np.inf):
        along = -2 if ord in (1, -1) else -1
        return (f"at_extremum = np.sum(np.abs(x), axis={along}, keepdims=True) == ansx\n"
                f"share = at_extremum / np.sum(at_extremum, axis={-1 if along == -2 else -2}, keepdims=True)\n",
                "np.sign(x) * share")
    raise RuleError(f"no derivative rule for the matrix norm ord={ord!r}")


def _conjugated(partial, conj):
    """The partial derivative as the adjoint takes it: conjugated for complex x (docs/complex.md), the sign
    of a complex number spelled out (np.sign(z) is the sign of its real part before NumPy 2)."""
    if not conj:
        return partial
    return f"np.conj({partial.replace('np.sign(x)', '(x / np.where(x == 0, 1, np.abs(x)))')})"


def _vector_norm(ord, mode, conj=False):
    found = _vector_partial(ord)
    if found is None:
        return None
    stmts, partial = found
    partial = _conjugated(partial, conj)
    if mode == "vjp":
        return f"{stmts}dx = {_GX} * {partial}"
    product = f"np.real(dx * {partial})" if conj else f"dx * {partial}"
    return f"{stmts}dans = np.sum({product}, axis=axis, keepdims=keepdims)"


def _matrix_norm(ord, axis, keepdims, nd, mode, conj=False):
    """A matrix norm over the axis pair ``axis`` (None: the last two); ``nd`` the rank if known."""
    pair = (-2, -1) if axis is None else tuple(axis)
    last_two = pair == (-2, -1) or (nd is not None and tuple(k % nd for k in pair) == (nd - 2, nd - 1))
    stmts, partial = _matrix_partial(ord, nd if last_two else None)
    partial = _conjugated(partial, conj)
    if last_two:
        plain = nd == 2 or keepdims
        gx = "g" if plain else "np.expand_dims(g, (-2, -1))"
        ansx = "ans" if plain else "np.expand_dims(ans, (-2, -1))"
    else:                  # the matrices' axes moved last, and back
        stmts = "x = np.moveaxis(x, axis, (-2, -1))\n" + ("dx = np.moveaxis(dx, axis, (-2, -1))\n"
                                                          if mode == "jvp" else "") + stmts
        gx = "np.moveaxis(g, axis, (-2, -1)) if keepdims else np.expand_dims(g, (-2, -1))"
        ansx = "np.moveaxis(ans, axis, (-2, -1)) if keepdims else np.expand_dims(ans, (-2, -1))"
    stmts = stmts.replace("ansx", f"({ansx})")
    partial = partial.replace("ansx", f"({ansx})")
    if mode == "vjp":
        result = f"({gx}) * ({partial})"
        return f"{stmts}dx = " + (result if last_two else f"np.moveaxis({result}, (-2, -1), axis)")
    product = f"np.real(dx * ({partial}))" if conj else f"dx * ({partial})"
    summed = f"np.sum({product}, axis=(-2, -1), keepdims=keepdims)"
    if not last_two:
        summed = f"np.moveaxis({summed}, (-2, -1), axis) if keepdims else {summed}"
    return f"{stmts}dans = {summed}"


def _norm(x, ord, axis, keepdims, mode, matrix=None, conj=False):
    """np.linalg.norm's rule: a vector norm or a matrix norm, as its arguments (and x's rank) decide
    (``conj``: for complex x)."""
    if isinstance(ord, Operand) or isinstance(axis, Operand):
        raise RuleError("ord and axis must be constants")
    nd = _ndim(x)
    if matrix is None:
        if isinstance(axis, tuple) and len(axis) == 2 or isinstance(ord, str):
            matrix = True
        elif axis is not None or ord is None or nd == 1:
            matrix = False
        elif nd == 2:
            matrix = True
    if matrix is None:     # a numeric ord over all axes: the rank decides, when the code runs
        vector = _vector_norm(ord, mode, conj)
        try:
            table = _matrix_norm(ord, None, keepdims, None, mode, conj)
        except RuleError:                 # no matrix norm of that order: a matrix is NumPy's error
            return vector
        indent = lambda text: "\n".join("    " + line for line in text.strip().splitlines())
        if vector is None:
            vector = "dx = np.zeros_like(x)" if mode == "vjp" else "dans = np.zeros_like(ans)"
        return f"if np.ndim(x) == 1:\n{indent(vector)}\nelse:\n{indent(table)}"
    if matrix:
        return _matrix_norm(ord, axis, keepdims, nd, mode, conj)
    return _vector_norm(ord, mode, conj)


def norm_vjp(x, ord, axis, keepdims):
    """g times d norm / dx: x / ans for 2-norms, np.sign(x) for 1-norms, u @ vh for the nuclear norm, ..."""
    return _norm(x, ord, axis, keepdims, "vjp")


def norm_jvp(x, ord, axis, keepdims):
    """np.sum(dx * d norm / dx) over the reduced axes"""
    return _norm(x, ord, axis, keepdims, "jvp")


defrule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", vjp={"x": norm_vjp}, jvp={"x": norm_jvp})

if hasattr(np.linalg, "vector_norm"):
    def vector_norm_vjp(x, ord, axis, keepdims):
        """as np.linalg.norm's, for a vector norm over axis (all axes where None)"""
        return _norm(x, ord, axis, keepdims, "vjp", matrix=False)

    def vector_norm_jvp(x, ord, axis, keepdims):
        """as np.linalg.norm's, for a vector norm over axis"""
        return _norm(x, ord, axis, keepdims, "jvp", matrix=False)

    def matrix_norm_vjp(x, ord, keepdims):
        """as np.linalg.norm's, for a matrix norm over the last two axes"""
        return _norm(x, ord, None, keepdims, "vjp", matrix=True)

    def matrix_norm_jvp(x, ord, keepdims):
        """as np.linalg.norm's, for a matrix norm over the last two axes"""
        return _norm(x, ord, None, keepdims, "jvp", matrix=True)

    defrule(np.linalg.vector_norm, "x, *, axis=None, keepdims=False, ord=2",
            vjp={"x": vector_norm_vjp}, jvp={"x": vector_norm_jvp})
    defrule(np.linalg.matrix_norm, "x, *, keepdims=False, ord='fro'",
            vjp={"x": matrix_norm_vjp}, jvp={"x": matrix_norm_jvp})


# ----------------------------------------------------------------------- inverses and solves
defrule(np.linalg.inv, "a",
        vjp={"a": "-ans.T @ g @ ans.T if a.ndim == 2 else "
                  "-np.swapaxes(ans, -1, -2) @ g @ np.swapaxes(ans, -1, -2)"},
        jvp={"a": "-ans @ da @ ans"})
defrule(np.linalg.solve, "a, b",
        vjp={"a": "-np.outer(np.linalg.solve(a.T, g), ans) if b.ndim == 1 else "
                  "-np.linalg.solve(a.T, g) @ ans.T if a.ndim == 2 else "
                  "-np.linalg.solve(np.swapaxes(a, -1, -2), g) @ np.swapaxes(ans, -1, -2)",
             "b": "np.linalg.solve(a.T, g) if a.ndim == 2 else np.linalg.solve(np.swapaxes(a, -1, -2), g)"},
        jvp={"a": "-np.linalg.solve(a, da @ ans)", "b": "np.linalg.solve(a, db)"})
defrule(np.linalg.det, "a",
        vjp={"a": "g * ans * np.linalg.inv(a).T if a.ndim == 2 else "
                  "np.expand_dims(g * ans, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"},
        jvp={"a": "ans * np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)"})


def slogdet_vjp(g, a):
    """g1 * inv(a).T: the sign has no derivative"""
    if g[1] is None:
        return None
    if _ndim(a) == 2:
        return "g1 * np.linalg.inv(a).T"
    return "np.expand_dims(g1, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"


defrule(np.linalg.slogdet, "a", outputs=2, vjp={"a": slogdet_vjp},
        jvp={"a": "(None, np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1))"})

def read_triangle(S, tri="np.tril"):
    """The adjoint of a symmetric matrix read from one triangle: S + S.T there, the diagonal once."""
    return f"{tri}({S} + {S}.T) - np.diag(np.diag({S}))"


def symmetric_from(d, lower=True):
    """The symmetric matrix a function reading one triangle of ``d`` sees."""
    return f"(np.tril({d}) + np.tril({d}, -1).T)" if lower else f"(np.triu({d}) + np.triu({d}, 1).T)"


# L L^T = A (A read from its lower triangle): Murray (2016); Phi takes the lower triangle, halving the diagonal
_CHOLESKY_VJP = f"""
phi = np.tril(ans.T @ g)
phi = phi - np.diag(np.diag(phi)) / 2
L_inv = np.linalg.inv(ans)
S = L_inv.T @ phi @ L_inv
da = {read_triangle("S")}
"""
_CHOLESKY_JVP = f"""
L_inv = np.linalg.inv(ans)
phi = np.tril(L_inv @ {symmetric_from("da")} @ L_inv.T)
dans = ans @ (phi - np.diag(np.diag(phi)) / 2)
"""


def cholesky_vjp(a):
    """S + S.T on the lower triangle (the diagonal once), S = L^-T Phi(L.T g) L^-1"""
    return linalg_stacked.CHOLESKY_VJP if linalg_stacked.stacked(a) else _CHOLESKY_VJP


def cholesky_jvp(a):
    """L Phi(L^-1 dA L^-T), dA the symmetric matrix read from da's lower triangle"""
    return linalg_stacked.CHOLESKY_JVP if linalg_stacked.stacked(a) else _CHOLESKY_JVP


defrule(np.linalg.cholesky, "a", vjp={"a": cholesky_vjp}, jvp={"a": cholesky_jvp})


# ---------------------------------------------------------------------- eigendecompositions
# (1 / gaps where they are not zero, as np.divide(..., out=, where=) would give, but without writing into an
# array in place: generated code stays differentiable, for a Hessian)
_EIGEN_GAPS = """
gaps = ans0[np.newaxis, :] - ans0[:, np.newaxis]
F = np.where(gaps != 0, 1.0 / np.where(gaps != 0, gaps, 1.0), 0.0)
"""


def _uplo(UPLO):
    if UPLO not in ("L", "U", "l", "u"):
        raise RuleError("UPLO must be a constant, 'L' or 'U'")
    return UPLO in ("L", "l")


def eigh_vjp(g, a, UPLO):
    """S = V (diag(gw) + F * (V.T @ gV)) V.T, read from a's triangle; F[i, j] = 1 / (w[j] - w[i]) off the diagonal"""
    lower = _uplo(UPLO)
    if linalg_stacked.stacked(a):
        return linalg_stacked.eigh_vjp(g, lower)
    parts, stmts = [], ""
    if g[0] is not None:
        parts.append("(ans1 * g0) @ ans1.T")
    if g[1] is not None:
        stmts = _EIGEN_GAPS
        parts.append("ans1 @ (F * (ans1.T @ g1)) @ ans1.T")
    return f"{stmts}S = {' + '.join(parts)}\nda = {read_triangle('S', 'np.tril' if lower else 'np.triu')}"


def eigh_jvp(a, UPLO):
    """dw = diag(V.T dA V), dV = V (F * V.T dA V), dA the symmetric matrix read from da's triangle"""
    if linalg_stacked.stacked(a):
        return linalg_stacked.eigh_jvp(_uplo(UPLO))
    return _EIGEN_GAPS + f"""
projected = ans1.T @ {symmetric_from("da", _uplo(UPLO))} @ ans1
dans = (np.diagonal(projected), ans1 @ (F * projected))
"""


def eigvalsh_vjp(a, UPLO):
    """(V * g) @ V.T, read from a's triangle"""
    if linalg_stacked.stacked(a):
        return linalg_stacked.eigvalsh_vjp(_uplo(UPLO))
    tri = "np.tril" if _uplo(UPLO) else "np.triu"
    return f"V = np.linalg.eigh(a, UPLO)[1]\nS = (V * g) @ V.T\nda = {read_triangle('S', tri)}"


def eigvalsh_jvp(a, UPLO):
    """diag(V.T dA V)"""
    if linalg_stacked.stacked(a):
        return linalg_stacked.eigvalsh_jvp(_uplo(UPLO))
    return f"V = np.linalg.eigh(a, UPLO)[1]\ndans = np.sum(V * ({symmetric_from('da', _uplo(UPLO))} @ V), axis=0)"


defrule(np.linalg.eigh, "a, UPLO='L'", outputs=2, vjp={"a": eigh_vjp}, jvp={"a": eigh_jvp})
defrule(np.linalg.eigvalsh, "a, UPLO='L'", vjp={"a": eigvalsh_vjp}, jvp={"a": eigvalsh_jvp})


# ---------------------------------------------------------------- singular value decompositions
def _svd_outputs(compute_uv):
    return 3 if compute_uv is not False else None


class _Notation:
    """How a template writes a transpose, a vector along rows or columns, a diagonal: for one matrix, as a
    person writes them (``x.T``, ``s[:, np.newaxis]``), or, for stacked matrices, in forms that broadcast."""

    def __init__(self, stacked_):
        self.stacked = stacked_

    def T(self, x):
        return linalg_stacked.T(x) if self.stacked else f"{x}.T"

    def row(self, s):
        return f"{s}[..., np.newaxis, :]" if self.stacked else f"{s}[np.newaxis, :]"

    def column(self, s):
        return f"{s}[..., :, np.newaxis]" if self.stacked else f"{s}[:, np.newaxis]"

    def along_rows(self, s):
        """``s`` scaling the columns (``X * s``), as a matrix's broadcasting does."""
        return self.row(s) if self.stacked else s

    def diag(self, v):
        return f"{v}[..., np.newaxis] * np.eye({v}.shape[-1])" if self.stacked else f"np.diag({v})"

    def diagonal(self, x):
        return f"np.diagonal({x}, axis1=-2, axis2=-1)" if self.stacked else f"np.diagonal({x})"


def singular_values_vjp(x, name):
    """(U * g) @ Vh, for the singular values of ``x`` (the argument called ``name``)"""
    if linalg_stacked.stacked(x):
        return linalg_stacked.SINGULAR_VALUES_VJP.format(name)
    return f"U, _, Vh = np.linalg.svd({name}, full_matrices=False)\nd{name} = (U * g) @ Vh"


def singular_values_jvp(x, name):
    """diag(U.T dx Vh.T), for the singular values of ``x`` (the argument called ``name``)"""
    if linalg_stacked.stacked(x):
        return linalg_stacked.SINGULAR_VALUES_JVP.format(name)
    return f"U, _, Vh = np.linalg.svd({name}, full_matrices=False)\ndans = np.sum(U * (d{name} @ Vh.T), axis=0)"


def svd_vjp(g, a, full_matrices, compute_uv):
    """U (sym(F * U.T gU) S + diag(gS) + S sym(F * V.T gV)) Vh, plus the parts outside the thin factors"""
    if compute_uv is False:
        return singular_values_vjp(a, "a")
    n = _Notation(linalg_stacked.stacked(a))
    shape = getattr(a, "shape", None)
    # full U and Vh: only square matrices have them well defined (for others the shapes will not fit)
    square = full_matrices is not False or shape is not None and shape[-2] == shape[-1]
    gU, gs, gVh = g
    if full_matrices is not False and shape is not None and shape[-2] != shape[-1] \
            and (gU is not None or gVh is not None):
        raise RuleError("the adjoint of U or Vh needs full_matrices=False (or a square matrix)")
    if gU is None and gVh is None:
        if full_matrices is not False and shape is not None and shape[-2] != shape[-1]:
            k = min(shape[-2:])               # full U or Vh of a matrix not square: their thin parts
            return f"(ans0[..., :{k}] * {n.along_rows('g1')}) @ ans2[..., :{k}, :]"
        return f"(ans0 * {n.along_rows('g1')}) @ ans2"
    lines = ["s = ans1", f"F = {n.row('s')} ** 2 - {n.column('s')} ** 2",
             "F = np.where(F != 0, 1.0 / np.where(F != 0, F, 1.0), 0.0)"]
    inner = []
    if gU is not None:
        lines.append(f"J = F * ({n.T('ans0')} @ g0)")
        inner.append(f"(J + {n.T('J')}) * {n.along_rows('s')}")
    if gs is not None:
        inner.append(n.diag("g1"))
    if gVh is not None:
        lines.append(f"K = F * (ans2 @ {n.T('g2')})")
        inner.append(f"{n.column('s')} * (K + {n.T('K')})")
    result = [f"ans0 @ ({' + '.join(inner)}) @ ans2"]
    if gU is not None and not square:          # the part of gU outside the column space of U
        result.append(f"((g0 - ans0 @ ({n.T('ans0')} @ g0)) / {n.along_rows('s')}) @ ans2")
    if gVh is not None and not square:         # and of gVh outside the row space of Vh
        result.append(f"ans0 @ ((g2 - (g2 @ {n.T('ans2')}) @ ans2) / {n.column('s')})")
    return "\n".join(lines) + f"\nda = {' + '.join(result)}"


def svd_jvp(a, full_matrices, compute_uv):
    """dP = U.T da Vh.T: ds = diag(dP), dU = U (F * sym-part of dP S), dVh from S dP, plus the outside parts"""
    if compute_uv is False:
        return singular_values_jvp(a, "a")
    n = _Notation(linalg_stacked.stacked(a))
    shape = getattr(a, "shape", None)
    square = full_matrices is not False or shape is not None and shape[-2] == shape[-1]
    if full_matrices is not False and shape is not None and shape[-2] != shape[-1]:
        raise RuleError("the tangent of U or Vh needs full_matrices=False (or a square matrix)")
    text = f"""
U, s, Vh = ans0, ans1, ans2
F = {n.row("s")} ** 2 - {n.column("s")} ** 2
F = np.where(F != 0, 1.0 / np.where(F != 0, F, 1.0), 0.0)
dP = {n.T("U")} @ da @ {n.T("Vh")}
dPs = dP * {n.along_rows("s")}
sdP = {n.column("s")} * dP
dU = U @ (F * (dPs + {n.T("dPs")}))
dV = {n.T("Vh")} @ (F * (sdP + {n.T("sdP")}))
"""
    if not square:
        text += (f"dU = dU + (da @ {n.T('Vh')} - U @ dP) / {n.along_rows('s')} if a.shape[-2] > a.shape[-1] else dU\n"
                 f"dV = dV + ({n.T('da')} @ U - {n.T('Vh')} @ {n.T('dP')}) / {n.along_rows('s')} "
                 f"if a.shape[-1] > a.shape[-2] else dV\n")
    return text + f"dans = (dU, {n.diagonal('dP')}, {n.T('dV')})"


defrule(np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False", outputs=_svd_outputs,
        vjp={"a": svd_vjp}, jvp={"a": svd_jvp})
if hasattr(np.linalg, "svdvals"):
    def svdvals_vjp(x):
        """(U * g) @ Vh"""
        return singular_values_vjp(x, "x")

    def svdvals_jvp(x):
        """diag(U.T dx Vh.T)"""
        return singular_values_jvp(x, "x")

    defrule(np.linalg.svdvals, "x", vjp={"x": svdvals_vjp}, jvp={"x": svdvals_jvp})

# Golub and Pereyra (1973), for matrices of full rank
_PINV_VJP = "-ans.T @ g @ ans.T + (g.T - a @ (ans @ g.T)) @ ans @ ans.T + ans.T @ ans @ (g.T - (g.T @ ans) @ a)"
_PINV_JVP = "-ans @ da @ ans + ans @ ans.T @ (da.T - da.T @ a @ ans) + (da.T - ans @ a @ da.T) @ ans.T @ ans"


def pinv_vjp(a):
    """-P.T g P.T + (g.T - a P g.T) P P.T + P.T P (g.T - g.T P a), P = pinv(a)"""
    return linalg_stacked.swap_transposes(_PINV_VJP) if linalg_stacked.stacked(a) else _PINV_VJP


def pinv_jvp(a):
    """-P da P + P P.T (da.T - da.T a P) + (da.T - P a da.T) P.T P"""
    return linalg_stacked.swap_transposes(_PINV_JVP) if linalg_stacked.stacked(a) else _PINV_JVP


defrule(np.linalg.pinv, "a, rcond=None, hermitian=False", vjp={"a": pinv_vjp}, jvp={"a": pinv_jvp})


# ----------------------------------------------------------------------------------- QR
def qr_vjp(g, a, mode):
    """(gQ + Q copyltu(M)) R^-T, M = R gR.T - gQ.T Q (for a with at least as many rows as columns)"""
    if mode != "reduced":
        raise RuleError(f"mode={mode!r} is not supported; only mode='reduced' is")
    shape = getattr(a, "shape", None)
    if shape is not None and shape[-2] < shape[-1]:
        raise RuleError("the adjoint of QR needs at least as many rows as columns")
    gQ, gR = g
    n = _Notation(linalg_stacked.stacked(a))
    terms = []
    if gR is not None:
        terms.append(f"ans1 @ {n.T('g1')}")
    if gQ is not None:
        terms.append(f"-{n.T('g0')} @ ans0" if not terms else f"- {n.T('g0')} @ ans0")
    M = " ".join(terms).replace("+ -", "- ")
    b = f"ans0 @ (np.tril(M) + {n.T('np.tril(M, -1)')})"
    if gQ is not None:
        b = f"g0 + {b}"
    solved = f"np.linalg.solve(ans1, {n.T(f'({b})')})"
    return f"M = {M}\nda = {n.T(solved)}"


def qr_jvp(a, mode):
    """dA R^-1 split into the skew-symmetric part (Q's) and the upper triangle (R's)"""
    if mode != "reduced":
        raise RuleError(f"mode={mode!r} is not supported; only mode='reduced' is")
    return linalg_stacked.swap_transposes(_QR_JVP) if linalg_stacked.stacked(a) else _QR_JVP


_QR_JVP = """
da_rinv = da @ np.linalg.inv(ans1)
qt_da_rinv = ans0.T @ da_rinv
lower = np.tril(qt_da_rinv, -1)
skew = lower - lower.T
dans = (ans0 @ (skew - qt_da_rinv) + da_rinv, (qt_da_rinv - skew) @ ans1)
"""


defrule(np.linalg.qr, "a, mode='reduced'", outputs=2, vjp={"a": qr_vjp}, jvp={"a": qr_jvp})


# ------------------------------------------------------------------------ matrix power
def _power_sum(base, n, middle, transpose):
    """sum over k of base^k @ middle @ base^(n-1-k) (bases transposed for the adjoint), as text."""
    def power(k):
        b = f"{base}.T" if transpose else base
        return None if k == 0 else b if k == 1 else f"np.linalg.matrix_power({b}, {k})"
    terms = []
    for k in range(n):
        left, right = (power(k), power(n - 1 - k))
        terms.append(" @ ".join(t for t in (left, middle, right) if t))
    return " + ".join(terms)


def matrix_power_vjp(a, n):
    """sum over k of (a.T)^k @ g @ (a.T)^(n-1-k); through the inverse for negative n"""
    text = _matrix_power_vjp(n)
    return linalg_stacked.swap_transposes(text) if text is not None and linalg_stacked.stacked(a) else text


def _matrix_power_vjp(n):
    if not isinstance(n, int):
        raise RuleError("the power must be a constant integer")
    if n == 0:
        return None
    if n > 0:
        return _power_sum("a", n, "g", True)
    return f"a_inv = np.linalg.inv(a)\ng_inv = {_power_sum('a_inv', -n, 'g', True)}\nda = -a_inv.T @ g_inv @ a_inv.T"


def matrix_power_jvp(n):
    """sum over k of a^k @ da @ a^(n-1-k); through the inverse for negative n"""
    if not isinstance(n, int):
        raise RuleError("the power must be a constant integer")
    if n == 0:
        return None
    if n > 0:
        return _power_sum("a", n, "da", False)
    return f"a_inv = np.linalg.inv(a)\nd_inv = -a_inv @ da @ a_inv\ndans = {_power_sum('a_inv', -n, 'd_inv', False)}"


defrule(np.linalg.matrix_power, "a, n", vjp={"a": matrix_power_vjp}, jvp={"a": matrix_power_jvp})


def multi_dot_vjp(arrays):
    """g between the transposed products of the arrays before and after each one"""
    count = len(arrays)
    names = [f"arrays[{i}]" for i in range(count)]
    ranks = [getattr(a, "ndim", None) for a in arrays]
    pieces = []
    for i in range(count):
        left = names[:i]
        right = names[i + 1:]
        product = lambda ns: ns[0] if len(ns) == 1 else f"np.linalg.multi_dot([{', '.join(ns)}])"
        if all(r == 2 for r in ranks):
            terms = ([f"{product(left)}.T"] if left else []) + ["g"] + ([f"{product(right)}.T"] if right else [])
            pieces.append(" @ ".join(terms))
            continue
        L = f"np.atleast_2d({product(left)})" if left else None
        R = f"np.reshape({product(right)}, ({product(right)}.shape[0], -1))" if right else None
        rows = f"{L}.shape[0]" if L else "-1"
        cols = f"{R}.shape[1]" if R else "-1"
        if not L and not R:
            pieces.append("g")
            continue
        G = f"np.reshape(g, ({rows}, {cols}))"
        terms = ([f"{L}.T"] if L else []) + [G] + ([f"{R}.T"] if R else [])
        pieces.append(f"np.reshape({' @ '.join(terms)}, {names[i]}.shape)")
    return "(" + ", ".join(pieces) + ")"


def multi_dot_jvp(arrays):
    """the product with one array replaced by its tangent, one per array"""
    pieces = []
    for i in range(len(arrays)):
        ns = [f"darrays[{j}]" if j == i else f"arrays[{j}]" for j in range(len(arrays))]
        pieces.append(f"np.linalg.multi_dot([{', '.join(ns)}])")
    return "(" + ", ".join(pieces) + ")"


defrule(np.linalg.multi_dot, "arrays: seq", vjp={"arrays": multi_dot_vjp}, jvp={"arrays": multi_dot_jvp})
