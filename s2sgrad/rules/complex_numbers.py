"""Rules for complex arguments, in autograd's and JAX's convention (see docs/complex.md).

The adjoint of ``z = x + iy`` under a real loss L is ``dL/dx - i dL/dy``. A
holomorphic function (``np.exp``, ``*``, ``@``, ``np.linalg.inv``, ``det``)
then has the rule it has for real arguments, ``g * f'(z)``, so only the
functions that are not holomorphic need more: those below. Each variant here
replaces the real template where an operand of the call may be complex
(:func:`~.registry.for_complex`); code for real arguments keeps the real one.
"""

import numpy as np

from . import linalg, reductions, ufuncs  # noqa: F401  (the rules these annotate, registered first)
from .linalg import _norm, _vecdot_vjp
from .reductions import ANSX, GX
from .registry import RuleError, defrule, for_complex

_NONZERO = "np.where(ans == 0, 1, ans)"      # |z| where it is not 0; at 0 the derivative is 0, as np.sign's

# |z| = sqrt(x**2 + y**2): dL/dx - i dL/dy = g (x - iy) / |z|; its tangent is Re(conj(z) dz) / |z|
for_complex(np.absolute, vjp={"x": f"g * np.conj(x) / {_NONZERO}"},
            jvp={"x": f"np.real(np.conj(x) * dx) / {_NONZERO}"})

# the imaginary part and the angle of a real array are constants (0, and 0 or pi)
defrule(np.imag, "val", linear=True, vjp={"val": "np.zeros_like(val)"})
for_complex(np.imag, vjp={"val": "-1j * g"})
_DEGREES = "(180 / np.pi if deg else 1)"
defrule(np.angle, "z, deg=False", vjp={"z": "np.zeros_like(z)"}, jvp={"z": "np.zeros_like(ans)"})
# arctan2(y, x): (-y dx + x dy) / |z|**2, that is Im(conj(z) dz) / |z|**2
for_complex(np.angle, vjp={"z": f"g * np.conj(1j * z) / np.where(z == 0, 1, np.abs(z) ** 2) * {_DEGREES}"},
            jvp={"z": f"np.imag(np.conj(z) * dz) / np.where(z == 0, 1, np.abs(z) ** 2) * {_DEGREES}"})

# np.vdot and np.vecdot take the conjugate of their first argument
for_complex(np.vdot, vjp={"a": "np.conj(g * np.reshape(b, a.shape))", "b": "g * np.reshape(np.conj(a), b.shape)"})
if hasattr(np, "vecdot"):
    for_complex(np.vecdot, vjp={"x1": _vecdot_vjp("x1", conj=True), "x2": _vecdot_vjp("x2", conj=True)})

# the variance is the mean of |a - mean(a)|**2
_CENTRED = "np.conj(a - np.mean(a, axis=axis, keepdims=True))"
for_complex(np.var, vjp={"a": f"2 * {GX} * {_CENTRED} / (a.size / ans.size - ddof)"},
            jvp={"a": f"2 * np.sum(np.real(da * {_CENTRED}), axis=axis, keepdims=keepdims)"
                      " / (a.size / ans.size - ddof)"})
for_complex(np.std, vjp={"a": f"{GX} * {_CENTRED} / ((a.size / ans.size - ddof) * {ANSX})"},
            jvp={"a": f"np.sum(np.real(da * {_CENTRED}), axis=axis, keepdims=keepdims)"
                      " / ((a.size / ans.size - ddof) * ans)"})


# norms: the conjugate of the real partial derivative (x / |x|, the sign, u @ vh); the tangent its real part
def norm_vjp(x, ord, axis, keepdims):
    """g times the conjugate of d norm / dx"""
    return _norm(x, ord, axis, keepdims, "vjp", conj=True)


def norm_jvp(x, ord, axis, keepdims):
    """np.sum(np.real(dx * conj(d norm / dx))) over the reduced axes"""
    return _norm(x, ord, axis, keepdims, "jvp", conj=True)


for_complex(np.linalg.norm, vjp={"x": norm_vjp}, jvp={"x": norm_jvp})
if hasattr(np.linalg, "vector_norm"):
    for_complex(np.linalg.vector_norm, vjp={"x": lambda x, ord, axis, keepdims: _norm(
        x, ord, axis, keepdims, "vjp", matrix=False, conj=True)}, jvp={"x": lambda x, ord, axis, keepdims: _norm(
            x, ord, axis, keepdims, "jvp", matrix=False, conj=True)})
    for_complex(np.linalg.matrix_norm, vjp={"x": lambda x, ord, keepdims: _norm(
        x, ord, None, keepdims, "vjp", matrix=True, conj=True)}, jvp={"x": lambda x, ord, keepdims: _norm(
            x, ord, None, keepdims, "jvp", matrix=True, conj=True)})


# Hermitian matrices, read from one triangle: the other is its conjugate transpose, the diagonal's
# imaginary part is not read
def _hermitian_adjoint(S, lower):
    tri = "np.tril" if lower else "np.triu"
    return f"{tri}({S} + np.conj({S}).T) - np.diag(np.real(np.diag({S})))"


def _hermitian_from(d, lower):
    return f"(np.tril({d}) + np.conj(np.tril({d}, -1)).T)" if lower else f"(np.triu({d}) + np.conj(np.triu({d}, 1)).T)"


def eigvalsh_vjp(UPLO):
    """dw_i = Re(v_i^H dA v_i): (conj(V) * g) @ V.T, read from a's triangle"""
    lower = linalg._uplo(UPLO)
    return f"V = np.linalg.eigh(a, UPLO)[1]\nS = (np.conj(V) * g) @ V.T\nda = {_hermitian_adjoint('S', lower)}"


def eigvalsh_jvp(UPLO):
    """Re(diag(V^H dA V))"""
    hermitian = _hermitian_from("da", linalg._uplo(UPLO))
    return f"V = np.linalg.eigh(a, UPLO)[1]\ndans = np.real(np.sum(np.conj(V) * ({hermitian} @ V), axis=0))"


_PHASES = ("the eigenvectors of a complex Hermitian matrix (and singular vectors of a complex matrix) are each "
           "defined only up to a phase; s2sgrad differentiates their values only: use np.linalg.eigvalsh "
           "(np.linalg.svd(a, compute_uv=False))")


def eigh_vjp(g, UPLO):
    """as eigvalsh's, for the eigenvalues"""
    if g[1] is not None:
        raise RuleError(_PHASES)
    return f"S = (np.conj(ans1) * g0) @ ans1.T\nda = {_hermitian_adjoint('S', linalg._uplo(UPLO))}"


def refused(**_):
    """(refused for complex arguments)"""
    raise RuleError(_PHASES)


for_complex(np.linalg.eigvalsh, vjp={"a": eigvalsh_vjp}, jvp={"a": eigvalsh_jvp})
for_complex(np.linalg.eigh, vjp={"a": eigh_vjp}, jvp={"a": refused})

# singular values: ds_i = Re(u_i^H dA v_i), so the adjoint is conj(U diag(g) Vh)
_SVDVALS_VJP = "U, _, Vh = np.linalg.svd({0}, full_matrices=False)\nd{0} = np.conj((U * g) @ Vh)"
_SVDVALS_JVP = ("U, _, Vh = np.linalg.svd({0}, full_matrices=False)\n"
                "dans = np.real(np.sum(np.conj(U) * (d{0} @ np.conj(Vh).T), axis=0))")


def svd_vjp(g, compute_uv):
    """conj((U * gs) @ Vh), for the singular values"""
    if compute_uv is False:
        return _SVDVALS_VJP.format("a")
    if g[0] is not None or g[2] is not None:
        raise RuleError(_PHASES)
    return "np.conj((ans0[..., :, :ans1.shape[-1]] * g1) @ ans2[..., :ans1.shape[-1], :])"


def svd_jvp(compute_uv):
    """Re(diag(U^H dA V)), for the singular values"""
    if compute_uv is False:
        return _SVDVALS_JVP.format("a")
    raise RuleError(_PHASES)


for_complex(np.linalg.svd, vjp={"a": svd_vjp}, jvp={"a": svd_jvp})
if hasattr(np.linalg, "svdvals"):
    for_complex(np.linalg.svdvals, vjp={"x": _SVDVALS_VJP.format("x")}, jvp={"x": _SVDVALS_JVP.format("x")})


# log|det a| is the real part of the holomorphic log det a: its real rule serves; the sign det / |det| = e^(i t),
# t = Im log det a, moves too: d sign = 1j * sign * Im(tr(a^-1 da))
def slogdet_vjp(g, a):
    """(g1 - 1j * Re(1j * g0 * sign)) * inv(a).T"""
    parts = ([] if g[1] is None else ["g1"]) + ([] if g[0] is None else ["-1j * np.real(1j * g0 * ans0)"])
    if not parts:
        return None
    coefficient = " + ".join(parts)
    if linalg._ndim(a) == 2:
        return f"({coefficient}) * np.linalg.inv(a).T"
    return f"np.expand_dims({coefficient}, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)"


for_complex(np.linalg.slogdet, vjp={"a": slogdet_vjp},
            jvp={"a": "t = np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)\n"
                      "dans = (1j * ans0 * np.imag(t), np.real(t))"})


def not_for_complex(name, hint):
    def refuse(**_):
        raise RuleError(f"no derivative rule for {name} of a complex matrix; {hint}")
    refuse.__doc__ = "(refused for complex arguments)"
    return refuse


# rules written with the plain transpose where a complex matrix needs the conjugate one: refused, not wrong
for _f, _param, _hint in ((np.linalg.cholesky, "a", "write it with np.linalg.solve or eigvalsh"),
                          (np.linalg.qr, "a", "write it with np.linalg.solve"),
                          (np.linalg.pinv, "a", "use np.linalg.solve(a.conj().T @ a, a.conj().T)"),
                          (np.cov, "m", "write it as (x - x.mean()) @ np.conj(x - x.mean()).T / (n - 1)"),
                          (np.corrcoef, "x", "write it from np.cov's formula with np.conj")):
    _refuse = not_for_complex(f"np.linalg.{_f.__name__}" if "linalg" in _f.__module__ else f"np.{_f.__name__}",
                              _hint)
    for_complex(_f, vjp={_param: _refuse}, jvp={_param: _refuse})
