"""The decompositions' rules for stacked matrices (``a`` of shape ``(..., m, n)``, as NumPy's linalg takes).

The rules in :mod:`s2sgrad.rules.linalg` are written for one matrix, as a
person writes them (``V.T``, ``s[:, np.newaxis]``, ``np.diag``). For a stack of
matrices the same formulas hold matrix by matrix; these are those formulas in
forms that broadcast over the leading axes: the last two axes swapped for a
transpose, vectors of eigen- or singular values standing along the last axis
(``s[..., np.newaxis, :]``), a diagonal through an identity. They hold for one
matrix too, so a rule uses them wherever its argument is not known to be one
matrix: for a stack, and in the shape-generic code (written before a call, or
by emit without --shapes), which the same function may run on either. Code
specialized to one matrix reads as before.
"""

import re

_TRANSPOSED = re.compile(r"\b([A-Za-z_][A-Za-z_0-9]*)\.T\b")


def stacked(a):
    """Whether the code for ``a`` (what a factory sees of an argument) must hold for a stack of matrices:
    unless ``a`` is known to have two axes or fewer (its rank unknown, the code may meet a stack)."""
    ndim = getattr(a, "ndim", None)
    return not (isinstance(ndim, int) and ndim <= 2)


def swap_transposes(text):
    """``x.T`` -> ``np.swapaxes(x, -1, -2)`` throughout ``text`` (templates whose vectors need no care)."""
    return _TRANSPOSED.sub(r"np.swapaxes(\1, -1, -2)", text)


def T(x):
    return f"np.swapaxes({x}, -1, -2)"


def read_triangle(S, tri="np.tril"):
    """The adjoint of a symmetric matrix read from one triangle: S + S.T there, the diagonal once."""
    return f"{tri}({S} + {T(S)}) - {S} * np.eye({S}.shape[-1])"


def symmetric_from(d, lower=True):
    """The symmetric matrices a function reading one triangle of each matrix of ``d`` sees."""
    return f"(np.tril({d}) + {T(f'np.tril({d}, -1)')})" if lower else f"(np.triu({d}) + {T(f'np.triu({d}, 1)')})"


def _diagonal_halved(phi):
    return f"{phi} - {phi} * np.eye({phi}.shape[-1]) / 2"


CHOLESKY_VJP = f"""
phi = np.tril({T("ans")} @ g)
phi = {_diagonal_halved("phi")}
L_inv = np.linalg.inv(ans)
S = {T("L_inv")} @ phi @ L_inv
da = {read_triangle("S")}
"""
CHOLESKY_JVP = f"""
L_inv = np.linalg.inv(ans)
phi = np.tril(L_inv @ {symmetric_from("da")} @ {T("L_inv")})
dans = ans @ ({_diagonal_halved("phi")})
"""

# 1 / (w[j] - w[i]) off the diagonal, 0 where eigenvalues are equal, matrix by matrix
EIGEN_GAPS = """
gaps = ans0[..., np.newaxis, :] - ans0[..., :, np.newaxis]
F = np.where(gaps != 0, 1.0 / np.where(gaps != 0, gaps, 1.0), 0.0)
"""


def eigh_vjp(g, lower):
    parts, stmts = [], ""
    if g[0] is not None:
        parts.append(f"(ans1 * g0[..., np.newaxis, :]) @ {T('ans1')}")
    if g[1] is not None:
        stmts = EIGEN_GAPS
        parts.append(f"ans1 @ (F * ({T('ans1')} @ g1)) @ {T('ans1')}")
    return f"{stmts}S = {' + '.join(parts)}\nda = {read_triangle('S', 'np.tril' if lower else 'np.triu')}"


def eigh_jvp(lower):
    return EIGEN_GAPS + f"""
projected = {T("ans1")} @ {symmetric_from("da", lower)} @ ans1
dans = (np.diagonal(projected, axis1=-2, axis2=-1), ans1 @ (F * projected))
"""


def eigvalsh_vjp(lower):
    tri = "np.tril" if lower else "np.triu"
    return f"V = np.linalg.eigh(a, UPLO)[1]\nS = (V * g[..., np.newaxis, :]) @ {T('V')}\nda = {read_triangle('S', tri)}"


def eigvalsh_jvp(lower):
    return f"V = np.linalg.eigh(a, UPLO)[1]\ndans = np.sum(V * ({symmetric_from('da', lower)} @ V), axis=-2)"


SINGULAR_VALUES_VJP = "U, _, Vh = np.linalg.svd({0}, full_matrices=False)\nd{0} = (U * g[..., np.newaxis, :]) @ Vh"
SINGULAR_VALUES_JVP = ("U, _, Vh = np.linalg.svd({0}, full_matrices=False)\n"
                       "dans = np.sum(U * (d{0} @ np.swapaxes(Vh, -1, -2)), axis=-2)")
