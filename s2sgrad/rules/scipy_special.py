"""SciPy's special functions and triangular solves (registered only where SciPy imports).

SciPy is an optional extra (``pip install s2sgrad[scipy]``); ``rules/__init__``
imports this table once the user's code has imported SciPy (importing SciPy
costs a third of a second that a program not using it should not pay). The templates name
``special`` and ``linalg`` (SciPy's modules, through the rules' namespace),
which generated code spells ``scipy.special`` and ``scipy.linalg``; a
written-out module then imports them.
"""

import functools

import scipy.linalg
import scipy.special

from .complex_numbers import not_for_complex
from .linalg import read_triangle, symmetric_from
from .registry import RuleError, defrule, elementwise, for_complex, nondifferentiable

SCIPY = {"special": scipy.special, "linalg": scipy.linalg}


def special(fname, params=None, **partials):
    """An elementwise function of scipy.special, by its partial derivatives; none for a function the
    installed SciPy does not have (``softplus`` came in SciPy 1.15: user code cannot call it before)."""
    func = getattr(scipy.special, fname, None)
    if func is None:
        return None
    return elementwise(func, params, name=f"scipy.special.{fname}", namespace=SCIPY, **partials)


special("expit", x="ans * (1 - ans)")
special("logit", x="1 / (x * (1 - x))")
special("log_expit", x="special.expit(-x)")
special("softplus", "x", x="special.expit(x)")
special("erf", x="2 / np.sqrt(np.pi) * np.exp(-x ** 2)")
special("erfc", x="-2 / np.sqrt(np.pi) * np.exp(-x ** 2)")
special("erfcx", x="2 * x * ans - 2 / np.sqrt(np.pi)")
special("erfinv", x="np.sqrt(np.pi) / 2 * np.exp(ans ** 2)")
special("erfcinv", x="-np.sqrt(np.pi) / 2 * np.exp(ans ** 2)")
special("ndtr", x="np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)")
special("log_ndtr", x="np.exp(-x ** 2 / 2 - ans) / np.sqrt(2 * np.pi)")
special("ndtri", x="np.sqrt(2 * np.pi) * np.exp(ans ** 2 / 2)")
special("gammaln", x="special.digamma(x)")
special("loggamma", x="special.digamma(x)")
special("gamma", x="ans * special.digamma(x)")
special("digamma", x="special.polygamma(1, x)")
special("betaln", a="special.digamma(a) - special.digamma(a + b)", b="special.digamma(b) - special.digamma(a + b)")
special("xlogy", x="np.log(y)", y="x / y")
special("xlog1py", x="np.log1p(y)", y="x / (1 + y)")
special("entr", x="-(np.log(x) + 1)")
special("rel_entr", x="np.log(x / y) + 1", y="-x / y")
special("kl_div", x="np.log(x / y)", y="1 - x / y")
special("i0", x="special.i1(x)")
special("i0e", x="special.i1e(x) - np.sign(x) * ans")
# (i1(x) / x tends to 1/2 at 0: the derivatives are 1/2 there; with these, i0's second derivative has rules too)
special("i1", x="np.where(x == 0, 0.5, special.i0(x) - ans / np.where(x == 0, 1.0, x))")
special("i1e", x="np.where(x == 0, 0.5, special.i0e(x) - ans * (np.sign(x) + 1 / np.where(x == 0, 1.0, x)))")
special("expm1", x="ans + 1")
special("log1p", x="1 / (1 + x)")
defrule(scipy.special.polygamma, "n, x", name="scipy.special.polygamma", namespace=SCIPY, broadcasts=True,
        vjp={"x": "g * special.polygamma(n + 1, x)"}, jvp={"x": "dx * special.polygamma(n + 1, x)"})

# reductions over an axis: g spread back with the reduced axes restored
GX = "(g if axis is None or keepdims else np.expand_dims(g, axis))"
ANSX = "(ans if axis is None or keepdims else np.expand_dims(ans, axis))"


def _check_sign(return_sign):
    if return_sign is not False:
        raise RuleError("return_sign=True is not supported")


def logsumexp_vjp_a(return_sign, b):
    """g * exp(a - ans), times b where weights are given"""
    _check_sign(return_sign)
    return f"{GX} * np.exp(a - {ANSX})" + ("" if b is None else " * b")


def logsumexp_jvp_a(return_sign, b):
    """np.sum(da * exp(a - ans)) over the axis (b-weighted)"""
    _check_sign(return_sign)
    return f"np.sum(da * np.exp(a - {ANSX}){'' if b is None else ' * b'}, axis=axis, keepdims=keepdims)"


defrule(scipy.special.logsumexp, "a, axis=None, b=None, keepdims=False, return_sign=False",
        name="scipy.special.logsumexp", namespace=SCIPY,
        vjp={"a": logsumexp_vjp_a, "b": f"{GX} * np.exp(a - {ANSX})"},
        jvp={"a": logsumexp_jvp_a, "b": f"np.sum(db * np.exp(a - {ANSX}), axis=axis, keepdims=keepdims)"})
defrule(scipy.special.softmax, "x, axis=None", name="scipy.special.softmax", namespace=SCIPY,
        vjp={"x": "ans * (g - np.sum(g * ans, axis=axis, keepdims=True))"},
        jvp={"x": "ans * (dx - np.sum(dx * ans, axis=axis, keepdims=True))"})
defrule(scipy.special.log_softmax, "x, axis=None", name="scipy.special.log_softmax", namespace=SCIPY,
        vjp={"x": "g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)"},
        jvp={"x": "dx - np.sum(np.exp(ans) * dx, axis=axis, keepdims=True)"})


# ------------------------------------------------------------------------------ scipy.linalg
def _options(lower, unit_diagonal, trans=0):
    """The keyword arguments of a triangular solve, as text, defaults left out."""
    words = []
    if trans:
        words.append(f"trans={trans}")
    if lower is not False:
        words.append("lower=lower")
    if unit_diagonal is not False:
        words.append("unit_diagonal=unit_diagonal")
    return "".join(", " + w for w in words)


def _transposed(trans):
    if trans in (0, "N"):
        return 0
    if trans in (1, 2, "T", "C"):
        return 1
    raise RuleError("trans must be a constant")


def _triangle(lower, unit_diagonal):
    """np.tril or np.triu (strict for a unit diagonal), as a function of the text inside."""
    if lower is True:
        return lambda x: f"np.tril({x}, -1)" if unit_diagonal is True else f"np.tril({x})"
    if lower is False:
        return lambda x: f"np.triu({x}, 1)" if unit_diagonal is True else f"np.triu({x})"
    return lambda x: f"(np.tril({x}) if lower else np.triu({x}))"


def solve_triangular_vjp_b(trans, lower, unit_diagonal):
    """solve_triangular(a, g) with the transpose of a"""
    t = _transposed(trans)
    return f"linalg.solve_triangular(a, g{_options(lower, unit_diagonal, 1 - t)})"


def solve_triangular_vjp_a(b, trans, lower, unit_diagonal):
    """-(gb x.T) (transposed for trans=1), kept to a's triangle; gb = the adjoint of b"""
    t = _transposed(trans)
    gb = f"linalg.solve_triangular(a, g{_options(lower, unit_diagonal, 1 - t)})"
    vector = getattr(b, "ndim", None) == 1
    if getattr(b, "ndim", None) is None:
        product = f"(np.outer({gb}, ans) if b.ndim == 1 else {gb} @ ans.T)"
    else:
        product = f"np.outer({gb}, ans)" if vector else f"{gb} @ ans.T"
    if t:
        product = f"({product}).T"
    return f"-{_triangle(lower, unit_diagonal)(product)}"


def solve_triangular_jvp_a(trans, lower, unit_diagonal):
    """-solve_triangular(a, op(tri(da)) @ x)"""
    t = _transposed(trans)
    tri = _triangle(lower, unit_diagonal)("da")
    return f"-linalg.solve_triangular(a, {tri + '.T' if t else tri} @ ans{_options(lower, unit_diagonal, t)})"


def solve_triangular_jvp_b(trans, lower, unit_diagonal):
    """solve_triangular(a, db)"""
    return f"linalg.solve_triangular(a, db{_options(lower, unit_diagonal, _transposed(trans))})"


defrule(scipy.linalg.solve_triangular, "a, b, trans=0, lower=False, unit_diagonal=False",
        name="scipy.linalg.solve_triangular", namespace=SCIPY,
        vjp={"a": solve_triangular_vjp_a, "b": solve_triangular_vjp_b},
        jvp={"a": solve_triangular_jvp_a, "b": solve_triangular_jvp_b})


def cho_solve_vjp_c(c_and_lower, b):
    """(-tril((M + M.T) @ L), None) with M = cho_solve(c, g) x.T (triu(U @ (M + M.T)) for an upper factor)"""
    gb = "linalg.cho_solve(c_and_lower, g)"
    vector = getattr(b, "ndim", None) == 1
    if getattr(b, "ndim", None) is None:
        M = f"(np.outer({gb}, ans) if b.ndim == 1 else {gb} @ ans.T)"
    else:
        M = f"np.outer({gb}, ans)" if vector else f"{gb} @ ans.T"
    lower = c_and_lower[1] if len(c_and_lower) == 2 else None
    sym = f"({M} + ({M}).T)"
    if lower is True:
        dc = f"-np.tril({sym} @ c_and_lower[0])"
    elif lower is False:
        dc = f"-np.triu(c_and_lower[0] @ {sym})"
    else:
        dc = f"(-np.tril({sym} @ c_and_lower[0]) if c_and_lower[1] else -np.triu(c_and_lower[0] @ {sym}))"
    return f"({dc}, None)"


def cho_solve_jvp_c(c_and_lower):
    """(-cho_solve(c, dA @ x), None), dA = dL L.T + L dL.T from the factor's tangent"""
    lower = c_and_lower[1] if len(c_and_lower) == 2 else None
    if lower is True:
        dA = "np.tril(dc_and_lower[0]) @ c_and_lower[0].T + c_and_lower[0] @ np.tril(dc_and_lower[0]).T"
    elif lower is False:
        dA = "np.triu(dc_and_lower[0]).T @ c_and_lower[0] + c_and_lower[0].T @ np.triu(dc_and_lower[0])"
    else:
        raise RuleError("pass (c, lower) with lower a constant")
    return f"(-linalg.cho_solve(c_and_lower, ({dA}) @ ans), None)"


defrule(scipy.linalg.cho_solve, "c_and_lower: seq, b", name="scipy.linalg.cho_solve", namespace=SCIPY,
        vjp={"c_and_lower": cho_solve_vjp_c, "b": "linalg.cho_solve(c_and_lower, g)"},
        jvp={"c_and_lower": cho_solve_jvp_c, "b": "linalg.cho_solve(c_and_lower, db)"})


def cholesky_vjp(lower):
    """as np.linalg.cholesky's (through the transpose for the upper factor, read from the upper triangle)"""
    L, gL = ("ans", "g") if lower is True else ("ans.T", "g.T")
    return f"""
phi = np.tril({L}.T @ {gL})
phi = phi - np.diag(np.diag(phi)) / 2
L_inv = np.linalg.inv({L})
S = L_inv.T @ phi @ L_inv
da = {read_triangle("S", "np.tril" if lower is True else "np.triu")}
"""


def cholesky_jvp(lower):
    """as np.linalg.cholesky's (transposed for the upper factor)"""
    L = "ans" if lower is True else "ans.T"
    result = "dL" if lower is True else "dL.T"
    return f"""
L_inv = np.linalg.inv({L})
phi = np.tril(L_inv @ {symmetric_from("da", lower is True)} @ L_inv.T)
dL = {L} @ (phi - np.diag(np.diag(phi)) / 2)
dans = {result}
"""


defrule(scipy.linalg.cholesky, "a, lower=False", name="scipy.linalg.cholesky", namespace=SCIPY,
        vjp={"a": cholesky_vjp}, jvp={"a": cholesky_jvp})
defrule(scipy.linalg.expm, "A", name="scipy.linalg.expm", namespace=SCIPY,
        vjp={"A": "linalg.expm_frechet(A.T, g, compute_expm=False)"},
        jvp={"A": "linalg.expm_frechet(A, dA, compute_expm=False)"})
defrule(scipy.linalg.inv, "a", name="scipy.linalg.inv", namespace=SCIPY,
        vjp={"a": "-ans.T @ g @ ans.T"}, jvp={"a": "-ans @ da @ ans"})
defrule(scipy.linalg.det, "a", name="scipy.linalg.det", namespace=SCIPY,
        vjp={"a": "g * ans * linalg.inv(a).T"}, jvp={"a": "ans * np.trace(linalg.solve(a, da))"})
defrule(scipy.linalg.solve, "a, b, assume_a=None", name="scipy.linalg.solve", namespace=SCIPY,
        vjp={"a": "-np.outer(linalg.solve(a.T, g), ans) if b.ndim == 1 else -linalg.solve(a.T, g) @ ans.T",
             "b": "linalg.solve(a.T, g)"},
        jvp={"a": "-linalg.solve(a, da @ ans)", "b": "linalg.solve(a, db)"})

nondifferentiable(scipy.special.comb, scipy.special.factorial)


# complex arguments (docs/complex.md): the Cholesky rules are written with the plain transpose where a complex
# Hermitian matrix needs the conjugate one, and trans='C' is solve_triangular's conjugate transpose
def _not_conjugate_transposed(factory):
    @functools.wraps(factory)
    def variant(**arguments):
        if arguments.get("trans") in (2, "C"):
            raise RuleError("trans='C' (the conjugate transpose) of a complex matrix is not supported; "
                            "pass np.conj(a) with trans='T'")
        return factory(**arguments)
    return variant


for_complex(scipy.linalg.solve_triangular,
            vjp={"a": _not_conjugate_transposed(solve_triangular_vjp_a),
                 "b": _not_conjugate_transposed(solve_triangular_vjp_b)},
            jvp={"a": _not_conjugate_transposed(solve_triangular_jvp_a),
                 "b": _not_conjugate_transposed(solve_triangular_jvp_b)})
_REFUSED = not_for_complex("scipy.linalg.cholesky", "write it with scipy.linalg.solve or np.linalg.eigvalsh")
for_complex(scipy.linalg.cholesky, vjp={"a": _REFUSED}, jvp={"a": _REFUSED})
_REFUSED = not_for_complex("scipy.linalg.cho_solve", "use scipy.linalg.solve(a, b)")
for_complex(scipy.linalg.cho_solve, vjp={"c_and_lower": _REFUSED, "b": _REFUSED},
            jvp={"c_and_lower": _REFUSED, "b": _REFUSED})
