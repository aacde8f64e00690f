"""Reductions: sum, mean, extrema, variance, scans (products: :mod:`s2sgrad.rules.products`).

The adjoint of a reduction spreads ``g`` back over the reduced axes. ``gx``
below is ``g`` with those axes restored (``np.expand_dims``), so that it
broadcasts against the input; when ``axis`` is a constant the conditionals fold
away and the generated code keeps only the branch the call needs.
"""

import numpy as np

from .registry import RuleError, defrule, nondifferentiable

# g with the reduced axes put back as length-1 axes, ready to broadcast against the input (a 0-d input
# reduced over axis 0, which NumPy allows, has no axis to put back)
GX = "(g if axis is None or keepdims or np.ndim(a) == 0 else np.expand_dims(g, axis))"
ANSX = "(ans if axis is None or keepdims or np.ndim(a) == 0 else np.expand_dims(ans, axis))"

_SPREAD = f"np.full_like(a, g) if axis is None and not keepdims else np.broadcast_to({GX}, a.shape)"


def sum_vjp(where):
    """g spread back over a's shape; zeros where ``where=`` leaves elements out of the sum"""
    return _SPREAD if where is True else f"np.where(where, {_SPREAD}, 0.0)"


defrule(np.sum, "a, axis=None, dtype=None, keepdims=False, where=True", linear=True, vjp={"a": sum_vjp})
def mean_vjp(where):
    """g / the count, spread back over a's shape; where= counts, and receives, only the elements it holds"""
    if where is True:
        return (f"np.full_like(a, g / a.size) if axis is None and not keepdims "
                f"else np.broadcast_to({GX} / (a.size / ans.size), a.shape)")
    return (f"np.where(where, np.broadcast_to({GX}, a.shape) / np.sum(np.broadcast_to(where, a.shape), axis=axis, "
            f"keepdims=True), 0.0)")


defrule(np.mean, "a, axis=None, dtype=None, keepdims=False, where=True", linear=True, vjp={"a": mean_vjp})

# the count of ties is taken in a's dtype: an integer count would turn float32 adjoints into float64
_EXTREMUM_VJP = f"""
at_extremum = a == {ANSX}
da = at_extremum * ({GX} / np.sum(at_extremum, axis=axis, keepdims=True, dtype=a.dtype))
"""
_EXTREMUM_JVP = f"""
at_extremum = a == {ANSX}
dans = np.sum(da * at_extremum, axis=axis, keepdims=keepdims) / np.sum(at_extremum, axis=axis, keepdims=keepdims,
                                                                         dtype=a.dtype)
"""
for _f in (np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin):
    defrule(_f, "a, axis=None, keepdims=False", vjp={"a": _EXTREMUM_VJP}, jvp={"a": _EXTREMUM_JVP})

defrule(np.var, "a, axis=None, dtype=None, ddof=0, keepdims=False",
        vjp={"a": f"2 * {GX} * (a - np.mean(a, axis=axis, keepdims=True)) / (a.size / ans.size - ddof)"},
        jvp={"a": "2 * np.sum(da * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)"
                  " / (a.size / ans.size - ddof)"})
defrule(np.std, "a, axis=None, dtype=None, ddof=0, keepdims=False",
        vjp={"a": f"{GX} * (a - np.mean(a, axis=axis, keepdims=True)) / ((a.size / ans.size - ddof) * {ANSX})"},
        jvp={"a": "np.sum(da * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, keepdims=keepdims)"
                  " / ((a.size / ans.size - ddof) * ans)"})

# a scan along an axis of a 0-d array treats it as 1-d, so its (1,)-shaped adjoint is reshaped back
_REVERSED_SCAN = ("np.reshape(np.flip(np.cumsum(np.flip(np.ravel({0})))), a.shape) if axis is None "
                  "else np.flip(np.cumsum(np.flip({0}, axis), axis), axis) if np.ndim(a) else np.reshape({0}, ())")
defrule(np.cumsum, "a, axis=None, dtype=None", linear=True,
        vjp={"a": _REVERSED_SCAN.format("g")})

if hasattr(np, "cumulative_sum"):      # NumPy 2.1's array-API scans: the axis may only be omitted for 1-D
    _REVERSED_CUMSUM = "np.flip(np.cumsum(np.flip({0}, axis), 0 if axis is None else axis), axis)"
    defrule(np.cumulative_sum, "x, *, axis=None, dtype=None", linear=True,
            vjp={"x": _REVERSED_CUMSUM.format("g")})

# NaN-ignoring reductions: a NaN element gets no adjoint, and counts for nothing in a mean
_NOT_NAN = "~np.isnan(a)"
defrule(np.nansum, "a, axis=None, dtype=None, keepdims=False",
        vjp={"a": f"np.where(np.isnan(a), 0.0, {GX})"},
        jvp={"a": "np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)"})
defrule(np.nanmean, "a, axis=None, dtype=None, keepdims=False",
        vjp={"a": f"np.where(np.isnan(a), 0.0, {GX} / np.sum({_NOT_NAN}, axis=axis, keepdims=True))"},
        jvp={"a": "np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)"
                  f" / np.sum({_NOT_NAN}, axis=axis, keepdims=keepdims)"})


def _one_dimensional(weights, a, axis):
    """Whether the weights are known to be 1-D along ``axis`` (``None``: not known where the code is written)."""
    if getattr(weights, "ndim", None) is None or getattr(a, "ndim", None) is None or not isinstance(axis, int):
        return None
    return weights.ndim != a.ndim


def _along_axis(w, weights, a, axis):
    """Weights ``w`` as they weigh ``a``: NumPy takes them shaped like ``a``, or 1-D along ``axis``
    (then they stand along that axis: ``w[None, :]``)."""
    known = _one_dimensional(weights, a, axis)
    if known is None:
        return (f"({w} if axis is None or np.ndim({w}) == np.ndim(a) else "
                f"np.moveaxis(np.reshape({w}, np.shape({w}) + (1,) * (np.ndim(a) - 1)), 0, axis))")
    return f"{w}[{', '.join(':' if k == axis % a.ndim else 'None' for k in range(a.ndim))}]" if known else w


def _to_weights(x, weights, a, axis):
    """``x``, shaped like ``a``, summed down to the weights' shape."""
    known = _one_dimensional(weights, a, axis)
    if known is None:
        return (f"({x} if axis is None or np.ndim(weights) == np.ndim(a) else "
                f"np.sum(np.moveaxis({x}, axis, -1), axis=tuple(range(np.ndim(a) - 1))))")
    others = tuple(k for k in range(a.ndim) if k != axis % a.ndim)
    return f"np.sum({x}, axis={others[0] if len(others) == 1 else others})" if known else x


def _total(weights, a, axis, keepdims):
    """The sum of the weights along the axis (all of them, for 1-D weights)."""
    if _one_dimensional(weights, a, axis):
        return "np.sum(weights)"
    return f"np.sum({_along_axis('weights', weights, a, axis)}, axis=axis, keepdims={keepdims})"


def _average_vjp(returned, weights, a, axis, which):
    if returned is not False:
        raise RuleError("returned=True is not supported: compute the sum of the weights separately")
    if weights is None:
        return f"np.broadcast_to({GX} / (a.size / ans.size), a.shape)" if which == "a" else None
    total = _total(weights, a, axis, "True")
    if which == "a":
        return f"{GX} * {_along_axis('weights', weights, a, axis)} / {total}"
    return _to_weights(f"{GX} * (a - {ANSX}) / {total}", weights, a, axis)


def _average_jvp(returned, weights, a, axis, which):
    if returned is not False:
        raise RuleError("returned=True is not supported: compute the sum of the weights separately")
    if weights is None:
        return "np.mean(da, axis=axis, keepdims=keepdims)" if which == "a" else None
    total = _total(weights, a, axis, "keepdims")
    w = _along_axis("weights" if which == "a" else "dweights", weights, a, axis)
    return f"np.sum({'da' if which == 'a' else '(a - ' + ANSX + ')'} * {w}, axis=axis, keepdims=keepdims) / {total}"


def average_vjp_a(returned, weights, a, axis):
    """g * weights / np.sum(weights, axis, keepdims=True), as np.mean's without weights"""
    return _average_vjp(returned, weights, a, axis, "a")


def average_vjp_weights(returned, weights, a, axis):
    """g * (a - ans) / np.sum(weights, axis, keepdims=True)"""
    return _average_vjp(returned, weights, a, axis, "weights")


def average_jvp_a(returned, weights, a, axis):
    """np.sum(da * weights, axis) / np.sum(weights, axis)"""
    return _average_jvp(returned, weights, a, axis, "a")


def average_jvp_weights(returned, weights, a, axis):
    """np.sum(dweights * (a - ans), axis) / np.sum(weights, axis)"""
    return _average_jvp(returned, weights, a, axis, "weights")


# weights shaped like a, 1-D along the axis, or none
defrule(np.average, "a, axis=None, weights=None, returned=False, *, keepdims=False",
        vjp={"a": average_vjp_a, "weights": average_vjp_weights},
        jvp={"a": average_jvp_a, "weights": average_jvp_weights})

_PTP_SHARES = """
at_max = a == np.max(a, axis=axis, keepdims=True)
at_min = a == np.min(a, axis=axis, keepdims=True)
share = at_max / np.sum(at_max, axis=axis, keepdims=True) - at_min / np.sum(at_min, axis=axis, keepdims=True)
"""
defrule(np.ptp, "a, axis=None, keepdims=False",
        vjp={"a": _PTP_SHARES + f"da = {GX} * share"},
        jvp={"a": _PTP_SHARES + "dans = np.sum(da * share, axis=axis, keepdims=keepdims)"})

nondifferentiable(np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
                  np.count_nonzero, np.any, np.all, np.searchsorted, np.isclose,
                  np.allclose, np.array_equal, np.shape, np.ndim, np.size, np.sign)


# Order statistics: the median and quantiles read one or two elements of the sorted values, so
# their adjoint goes to the elements of those ranks (ranks: the argsort of the argsort).
def _rank_weights(position):
    """Statements giving ``weights``: the share of each element of a in the order statistic at ``position``."""
    return f"""
ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
n = a.size if axis is None else a.shape[axis]
position = {position}
below = np.floor(position)
weights = (ranks == below) * (1 - (position - below)) + (ranks == below + 1) * (position - below)
weights = np.reshape(weights, a.shape) if axis is None else weights
"""


def _order_statistic(q, method, mode):
    if method != "linear":
        raise RuleError(f"method={method!r} is not supported; only the default 'linear' is")
    if isinstance(q, (tuple, list)) or getattr(q, "ndim", None) not in (None, 0):
        raise RuleError("only a single quantile q is supported: call once per quantile")
    text = _rank_weights(f"{q} * (n - 1)")
    if mode == "vjp":
        return text + f"da = {GX} * weights"
    return text + "dans = np.sum(da * weights, axis=axis, keepdims=keepdims)"


def quantile_vjp(q, method):
    """g shared between the elements ranked next to q * (n - 1), by linear interpolation"""
    return _order_statistic("q", method, "vjp")


def quantile_jvp(q, method):
    """da of the elements ranked next to q * (n - 1), interpolated"""
    return _order_statistic("q", method, "jvp")


def percentile_vjp(q, method):
    """as np.quantile's, at q / 100"""
    return _order_statistic("q / 100", method, "vjp")


def percentile_jvp(q, method):
    """as np.quantile's, at q / 100"""
    return _order_statistic("q / 100", method, "jvp")


defrule(np.median, "a, axis=None, keepdims=False",
        vjp={"a": _rank_weights("(n - 1) / 2") + f"da = {GX} * weights"},
        jvp={"a": _rank_weights("(n - 1) / 2") + "dans = np.sum(da * weights, axis=axis, keepdims=keepdims)"})
defrule(np.quantile, "a, q, axis=None, method='linear', keepdims=False",
        vjp={"a": quantile_vjp}, jvp={"a": quantile_jvp})
defrule(np.percentile, "a, q, axis=None, method='linear', keepdims=False",
        vjp={"a": percentile_vjp}, jvp={"a": percentile_jvp})


# Covariance and correlation of the rows of m (its columns with rowvar=False; a 1-D m is one row): with
# the rows centred, Xc, np.cov is Xc @ Xc.T / (observations - ddof), and np.corrcoef is Z @ Z.T for Z, the
# rows of Xc scaled to unit length (so ddof cancels). Only m varies: a second set y, or weights, are refused.
def _rows(rowvar, m):
    """Statements giving ``X``, ``m`` as rows of variables (NumPy's own reading: columns are variables
    with rowvar=False, unless there is one row), and ``Xc``, the rows centred."""
    if rowvar not in (True, False):
        raise RuleError("rowvar must be a constant True or False")
    turned = "" if rowvar else "flip = X.shape[0] != 1\nX = X.T if flip else X\n"
    return f"X = np.atleast_2d({m})\n{turned}Xc = X - np.mean(X, axis=1, keepdims=True)\n"


def _as_given(rowvar, dX):
    """``dX`` (rows of variables) in the shape of m, as m was given."""
    return f"({dX}.T if flip else {dX})" if not rowvar else dX


def _centred_tangent(rowvar, m):
    turned = "" if rowvar else "dX = dX.T if flip else dX\n"
    return f"dX = np.atleast_2d(d{m})\n{turned}dXc = dX - np.mean(dX, axis=1, keepdims=True)\n"


def _refused(**given):
    for name, value in given.items():
        if value is not None:
            raise RuleError(f"{name}= is not supported by the derivative rule; compute the covariance from "
                            f"centred rows instead ((Xc @ Xc.T) / (n - 1))")


def _divisor(bias, ddof):
    return f"(X.shape[1] - {ddof if ddof is not None else 0 if bias else 1})"


def cov_vjp(y, rowvar, bias, ddof, fweights, aweights):
    """(G + G.T) @ Xc / (n - ddof), G: g as a square matrix, Xc: the centred rows"""
    _refused(y=y, fweights=fweights, aweights=aweights)
    return _rows(rowvar, "m") + f"""
G = np.reshape(g, (X.shape[0], X.shape[0]))
dX = (G + G.T) @ Xc / {_divisor(bias, ddof)}
dm = np.reshape({_as_given(rowvar, "dX")}, np.shape(m))
"""


def cov_jvp(y, rowvar, bias, ddof, fweights, aweights):
    """(dXc @ Xc.T + Xc @ dXc.T) / (n - ddof), dXc: dm's rows centred"""
    _refused(y=y, fweights=fweights, aweights=aweights)
    return _rows(rowvar, "m") + _centred_tangent(rowvar, "m") + \
        f"dans = np.reshape((dXc @ Xc.T + Xc @ dXc.T) / {_divisor(bias, ddof)}, np.shape(ans))\n"


_UNIT_ROWS = """
n = np.sqrt(np.sum(Xc * Xc, axis=1, keepdims=True))
Z = Xc / n
"""


def corrcoef_vjp(y, rowvar):
    """(G + G.T) @ Z taken back through the scaling of each centred row to unit length"""
    _refused(y=y)
    return _rows(rowvar, "x") + _UNIT_ROWS + f"""
G = np.reshape(g, (X.shape[0], X.shape[0]))
dZ = (G + G.T) @ Z
dXc = (dZ - Z * np.sum(dZ * Z, axis=1, keepdims=True)) / n
dX = dXc - np.mean(dXc, axis=1, keepdims=True)
dx = np.reshape({_as_given(rowvar, "dX")}, np.shape(x))
"""


def corrcoef_jvp(y, rowvar):
    """dZ @ Z.T + Z @ dZ.T, dZ: the change of the unit rows"""
    _refused(y=y)
    return _rows(rowvar, "x") + _UNIT_ROWS + _centred_tangent(rowvar, "x") + """
dZ = (dXc - Z * np.sum(dXc * Z, axis=1, keepdims=True)) / n
dans = np.reshape(dZ @ Z.T + Z @ dZ.T, np.shape(ans))
"""


defrule(np.cov, "m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None",
        vjp={"m": cov_vjp}, jvp={"m": cov_jvp})
defrule(np.corrcoef, "x, y=None, rowvar=True", vjp={"x": corrcoef_vjp}, jvp={"x": corrcoef_jvp})
