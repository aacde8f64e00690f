"""Reductions: sum, mean, products, extrema, variance, scans.

The adjoint of a reduction spreads ``g`` back over the reduced axes. ``gx``
below is ``g`` with those axes restored (``np.expand_dims``), so that it
broadcasts against the input; when ``axis`` is a constant the conditionals fold
away and the generated code keeps only the branch the call needs.
"""

import numpy as np

from .registry import defrule, nondifferentiable

# g with the reduced axes put back as length-1 axes, ready to broadcast against the input
GX = "(g if axis is None or keepdims else np.expand_dims(g, axis))"
ANSX = "(ans if axis is None or keepdims else np.expand_dims(ans, axis))"

defrule(np.sum, "a, axis=None, dtype=None, keepdims=False", linear=True,
        vjp={"a": f"np.full_like(a, g) if axis is None and not keepdims "
                  f"else np.broadcast_to({GX}, a.shape)"})
defrule(np.mean, "a, axis=None, dtype=None, keepdims=False", linear=True,
        vjp={"a": f"np.full_like(a, g / a.size) if axis is None and not keepdims "
                  f"else np.broadcast_to({GX} / (a.size / ans.size), a.shape)"})
defrule(np.prod, "a, axis=None, dtype=None, keepdims=False",
        vjp={"a": f"{GX} * {ANSX} / a"},
        jvp={"a": f"np.sum(da * {ANSX} / a, axis=axis, keepdims=keepdims)"})

_EXTREMUM_VJP = f"""
at_extremum = a == {ANSX}
da = at_extremum * ({GX} / np.sum(at_extremum, axis=axis, keepdims=True))
"""
_EXTREMUM_JVP = f"""
at_extremum = a == {ANSX}
dans = np.sum(da * at_extremum, axis=axis, keepdims=keepdims) / np.sum(at_extremum, axis=axis, keepdims=keepdims)
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

defrule(np.cumsum, "a, axis=None, dtype=None", linear=True,
        vjp={"a": "np.reshape(np.flip(np.cumsum(np.flip(np.ravel(g)))), a.shape) if axis is None "
                  "else np.flip(np.cumsum(np.flip(g, axis), axis), axis)"})

nondifferentiable(np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
                  np.count_nonzero, np.any, np.all, np.searchsorted, np.unique, np.isclose,
                  np.allclose, np.array_equal, np.shape, np.ndim, np.size, np.sign)
