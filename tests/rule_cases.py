"""Inputs for every derivative rule, read by the systematic test matrix (``test_rules_matrix.py``).

``CASES`` maps a rule's name (as ``s2sgrad.rules`` lists it) to calls of it: a
source expression over the arguments ``a``, ``b``, ... and how to draw each
argument. Elementwise rules need no entry: their cases are made from
``DOMAINS`` (where inputs may lie) over scalars, vectors, matrices and
broadcasting pairs. Array methods have ``METHOD_CASES``; functions without a
derivative, ``NONDIFFERENTIABLE_CASES`` (their adjoint is zero, and what
flows around them must still be right).

A case differentiates every float argument unless it says ``wrt=``; a call
returning several arrays says ``outputs=n`` (and ``used=`` for the results
the loss reads).
"""

import builtins
import math

import numpy as np

try:
    import scipy.special  # noqa: F401
    HAS_SCIPY = True
except ImportError:  # pragma: no cover
    HAS_SCIPY = False


# ----------------------------------------------------------------- arguments
def _value(x):
    return float(x) if np.ndim(x) == 0 else x


def normal(*shape):
    return lambda rng: _value(rng.standard_normal(shape))


def positive(*shape):
    return lambda rng: _value(rng.uniform(0.5, 2.0, shape))


def unit(*shape):
    """Inside (-1, 1): arcsin, arctanh, logit's complement."""
    return lambda rng: _value(rng.uniform(-0.8, 0.8, shape))


def fraction(*shape):
    """Inside (0, 1)."""
    return lambda rng: _value(rng.uniform(0.15, 0.85, shape))


def above_one(*shape):
    return lambda rng: _value(rng.uniform(1.2, 3.0, shape))


def distinct(*shape):
    """Well-separated values (no ties for max, sort, median)."""
    def draw(rng):
        n = int(np.prod(shape))
        return _value(rng.permutation(n).reshape(shape) * 0.5 + rng.uniform(-0.1, 0.1, shape))
    return draw


def with_nan(*shape):
    """Normal, with a NaN in some places: where the NaN-ignoring reductions must give no adjoint."""
    def draw(rng):
        x = rng.standard_normal(shape)
        x.flat[::5] = np.nan
        return x
    return draw


def square(n, batch=()):
    """A well-conditioned square matrix (or a stack of them)."""
    return lambda rng: rng.standard_normal(batch + (n, n)) + 3 * np.eye(n)


def spd(n):
    """Symmetric positive definite, with distinct eigenvalues."""
    def draw(rng):
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        return q @ np.diag(np.arange(1.0, n + 1) + rng.uniform(0, 0.3, n)) @ q.T
    return draw


def lower(n):
    return lambda rng: np.tril(rng.standard_normal((n, n))) + 3 * np.eye(n)


def fixed(value):
    """An argument passed as given, not differentiated (indices, masks)."""
    return lambda rng: value


class Case:
    def __init__(self, expr, fn=None, outputs=None, used=None, wrt=None, rtol=1e-5, atol=1e-6, eps=1e-6,
                 skip_forward=None, hessian=False, **args):
        self.expr = expr
        self.hessian = hessian              # also check a Hessian-vector product (where a rule is written for it)
        self.skip_forward = skip_forward    # the reason forward mode cannot be checked (a known bug)
        self.fn = fn
        self.outputs = outputs
        self.used = tuple(used if used is not None else range(outputs or 0))
        self.wrt = wrt
        self.rtol, self.atol, self.eps = rtol, atol, eps
        self.args = args

    def __repr__(self):
        return f"Case({self.expr!r})"


# ------------------------------------------------------- elementwise functions
# where each parameter's inputs may lie (default: standard normal)
DOMAINS = {
    "np.divide": {"x2": positive}, "np.power": {"x1": positive}, "np.float_power": {"x1": positive},
    "np.reciprocal": {"x": positive}, "np.sqrt": {"x": positive}, "np.cbrt": {"x": positive},
    "np.log": {"x": positive}, "np.log2": {"x": positive}, "np.log10": {"x": positive},
    "np.log1p": {"x": positive}, "np.arcsin": {"x": unit}, "np.arccos": {"x": unit},
    "np.arctanh": {"x": unit}, "np.arccosh": {"x": above_one}, "np.remainder": {"x1": positive, "x2": positive},
    "np.fmod": {"x1": positive, "x2": positive}, "np.maximum": {"x1": distinct, "x2": distinct},
    "np.minimum": {"x1": distinct, "x2": distinct}, "np.fmax": {"x1": distinct, "x2": distinct},
    "np.fmin": {"x1": distinct, "x2": distinct}, "np.tan": {"x": unit},
    "math.sqrt": {"x": positive}, "math.log": {"x": positive}, "math.log2": {"x": positive},
    "math.log10": {"x": positive}, "math.log1p": {"x": positive}, "math.asin": {"x": unit},
    "math.acos": {"x": unit}, "math.atanh": {"x": unit}, "math.acosh": {"x": above_one},
    "math.pow": {"x": positive}, "math.tan": {"x": unit},
    "scipy.special.logit": {"x": fraction}, "scipy.special.gammaln": {"x": positive},
    "scipy.special.gamma": {"x": positive}, "scipy.special.loggamma": {"x": positive}, "scipy.special.digamma": {"x": positive},
    "scipy.special.xlogy": {"y": positive}, "scipy.special.xlog1py": {"y": positive},
    "scipy.special.entr": {"x": positive}, "scipy.special.rel_entr": {"x": positive, "y": positive},
    "scipy.special.erfinv": {"x": unit}, "scipy.special.erfcinv": {"x": fraction},
    "scipy.special.ndtri": {"x": fraction}, "scipy.special.betaln": {"a": positive, "b": positive},
    "scipy.special.i0e": {"x": positive}, "scipy.special.i1e": {"x": positive},
    "scipy.special.kl_div": {"x": positive, "y": positive},
    "scipy.special.log1p": {"x": positive},
}
# these work on Python numbers only
SCALAR_ONLY = ("math.", "max", "min", "pow")
SHAPES_ONE = [(), (4,), (2, 3)]
SHAPES_TWO = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (3,))]


def elementwise_cases(rule):
    domains = DOMAINS.get(rule.name, {})
    params = rule.params
    scalar_only = rule.name.startswith(SCALAR_ONLY)
    call = "fn(" + ", ".join("ab"[:len(params)]) + ")"
    cases = []
    shapes = SHAPES_ONE if len(params) == 1 else SHAPES_TWO
    for shape in shapes[:1] if scalar_only else shapes:
        shape = (shape,) if len(params) == 1 else shape
        args = {name: domains.get(p, normal)(*s) for name, p, s in zip("ab", params, shape)}
        cases.append(Case(call, fn=rule.func, **args))
    return cases


def is_elementwise(rule):
    return rule.broadcasts and set(rule.vjp) == set(rule.params) and rule.func is not None \
        and rule.name not in CASES


# ------------------------------------------------------------------ the table
A23, A34 = normal(2, 3), normal(3, 4)
CASES = {
    # ufuncs beyond their partials
    "np.clip": [Case("np.clip(a, -0.5, 0.5)", a=normal(3, 4)), Case("np.clip(a, b, None)", a=distinct(3, 4),
                                                                     b=fixed(2.0), wrt=["a"]),
                Case("np.clip(a, b, c)", a=distinct(2, 3), b=normal(2, 3), c=normal(3,), rtol=1e-4)]
    + ([Case("np.clip(a, min=-0.5, max=0.5)", a=normal(3, 4)), Case("np.clip(a, max=0.3)", a=normal(3, 4))]
       if np.lib.NumpyVersion(np.__version__) >= "2.1.0" else []),      # (NumPy 2.1 spells the bounds so)
    "np.where": [Case("np.where(a > 0, a, b)", a=normal(3, 4), b=normal(4,)),
                 Case("np.where(c, a, 2.0)", a=normal(3, 4), c=fixed(np.arange(12).reshape(3, 4) % 3 == 0))],
    "np.nan_to_num": [Case("np.nan_to_num(a)", a=normal(2, 3)), Case("np.nan_to_num(np.log(a))", a=normal(2, 3))],
    "np.copysign": [Case("np.copysign(a, b)", a=normal(2, 3), b=normal(3), wrt=["a"])],
    "np.ldexp": [Case("np.ldexp(a, b)", a=normal(2, 3), b=fixed(np.array([1, -2, 3])))],
    "np.real": [Case("np.real(a)", a=normal(2, 3))],
    "np.imag": [Case("np.imag(a) + a", a=normal(2, 3))],        # (complex arguments: tests/test_complex.py)
    "np.angle": [Case("np.angle(a) * a", a=normal(2, 3)), Case("np.angle(a, deg=True) + a", a=normal(3))],
    "np.conjugate": [Case("np.conj(a)", a=normal(2, 3)), Case("a.conj()", a=normal(3))],
    "np.negative": [Case("-a", a=normal(2, 3)), Case("np.negative(a)", a=normal())],
    "float": [Case("float(np.sum(a)) * a", a=normal(3))],

    # reductions
    "np.sum": [Case("np.sum(a)", a=A34), Case("np.sum(a, axis=1)", a=A34), Case("np.sum(a, 0, keepdims=True)", a=A34),
               Case("np.sum(a, axis=(0, 2))", a=normal(2, 3, 2)), Case("np.sum(a)", a=normal()),
               Case("np.sum(a, where=b)", a=A34, b=fixed(np.arange(12).reshape(3, 4) % 3 == 0)),
               Case("np.sum(a * a, axis=1, keepdims=True, where=b)", a=A34, b=fixed(np.arange(12).reshape(3, 4) % 2 == 0))],
    "np.mean": [Case("np.mean(a)", a=A34), Case("np.mean(a, axis=0)", a=A34), Case("np.mean(a, -1, keepdims=True)", a=A34),
                Case("np.mean(a, where=b)", a=A34, b=fixed(np.arange(12).reshape(3, 4) % 3 == 0)),
                Case("np.mean(a * a, axis=1, where=b)", a=A34, b=fixed(np.arange(12).reshape(3, 4) % 2 == 0)),
                Case("np.mean(a, axis=0, keepdims=True, where=b)", a=A34, b=fixed(np.array([[True, False, True, True],
                                                                                                [False, True, True, False],
                                                                                                [True, True, False, True]])))],
    "np.prod": [Case("np.prod(a)", a=positive(2, 3)), Case("np.prod(a, axis=1)", a=positive(3, 4)),
                Case("np.prod(a, 0, keepdims=True)", a=positive(2, 3))],
    "np.max": [Case("np.max(a)", a=distinct(3, 4)), Case("np.max(a, axis=1)", a=distinct(3, 4)),
               Case("np.max(a, 0, keepdims=True)", a=distinct(3, 4))],
    "np.min": [Case("np.min(a)", a=distinct(3, 4)), Case("np.min(a, axis=0)", a=distinct(3, 4))],
    "np.amax": [Case("np.amax(a, axis=1)", a=distinct(3, 4))],
    "np.amin": [Case("np.amin(a, axis=1)", a=distinct(3, 4))],
    "np.nanmax": [Case("np.nanmax(a, axis=1)", a=distinct(3, 4))],
    "np.nanmin": [Case("np.nanmin(a)", a=distinct(3, 4))],
    "np.var": [Case("np.var(a)", a=A34), Case("np.var(a, axis=1, ddof=1)", a=A34),
               Case("np.var(a, 0, keepdims=True)", a=A34)],
    "np.std": [Case("np.std(a)", a=A34), Case("np.std(a, axis=0, ddof=1)", a=A34)],
    "np.cumsum": [Case("np.cumsum(a)", a=A34), Case("np.cumsum(a, axis=1)", a=A34), Case("np.cumsum(a, 0)", a=normal(5)),
                  Case("np.cumsum(a, axis=0)", a=normal())],   # a 0-d a scans as 1-d: ans has shape (1,)
    "np.cumprod": [Case("np.cumprod(a)", a=positive(2, 3)), Case("np.cumprod(a, axis=0)", a=positive(3, 2)),
                   Case("np.cumprod(a, axis=0)", a=positive())],
    "np.cumulative_sum": [Case("np.cumulative_sum(a, axis=1)", a=A34), Case("np.cumulative_sum(a)", a=normal(5))],
    "np.cumulative_prod": [Case("np.cumulative_prod(a, axis=0)", a=positive(3, 2))],
    "np.unique": [Case("np.unique(a)", a=distinct(3, 4)),
                  Case("np.unique(a, return_counts=True)", a=distinct(5), outputs=2, used=(0,))],
    "np.nanprod": [Case("np.nanprod(a)", a=positive(2, 3)), Case("np.nanprod(a, axis=1)", a=with_nan(3, 4))],
    "np.nansum": [Case("np.nansum(a)", a=A34), Case("np.nansum(a, axis=1)", a=with_nan(3, 4))],
    "np.nanmean": [Case("np.nanmean(a)", a=with_nan(3, 4)), Case("np.nanmean(a, axis=0, keepdims=True)", a=with_nan(3, 4)),
                   Case("np.nanmean(a, axis=1)", a=A34)],
    "np.average": [Case("np.average(a)", a=A34), Case("np.average(a, axis=1, weights=b)", a=A34, b=positive(3, 4)),
                   Case("np.average(a, 0, b)", a=A34, b=positive(3, 4)),
                   # 1-D weights stand along the axis
                   Case("np.average(a, axis=1, weights=b)", a=A34, b=positive(4)),
                   Case("np.average(a, axis=0, weights=b)", a=A34, b=positive(3)),
                   Case("np.average(a, axis=-2, weights=b, keepdims=True)", a=normal(2, 3, 4), b=positive(3))],
    "np.ptp": [Case("np.ptp(a)", a=distinct(3, 4)), Case("np.ptp(a, axis=1)", a=distinct(3, 4))],

    # shapes and data movement
    "np.reshape": [Case("np.reshape(a, (4, 3))", a=A34), Case("a.reshape(2, -1)", a=A34), Case("np.reshape(a, -1)", a=A34)],
    "np.ravel": [Case("np.ravel(a)", a=A34), Case("a.flatten()", a=A34), Case("a.ravel()", a=normal(2, 2, 3))],
    "np.squeeze": [Case("np.squeeze(a)", a=normal(3, 1, 2)), Case("np.squeeze(a, axis=0)", a=normal(1, 3))],
    "np.expand_dims": [Case("np.expand_dims(a, 1)", a=A23), Case("np.expand_dims(a, (0, 2))", a=normal(3))],
    "np.atleast_1d": [Case("np.atleast_1d(a)", a=normal()), Case("np.atleast_1d(a)", a=normal(3))],
    "np.atleast_2d": [Case("np.atleast_2d(a)", a=normal(3)), Case("np.atleast_2d(a)", a=A23)],
    "np.atleast_3d": [Case("np.atleast_3d(a)", a=normal(3)), Case("np.atleast_3d(a)", a=A23)],
    "np.transpose": [Case("np.transpose(a)", a=A34), Case("np.transpose(a, (1, 2, 0))", a=normal(2, 3, 4)),
                     Case("a.transpose(2, 0, 1)", a=normal(2, 3, 4))],
    ".T": [Case("a.T", a=A34), Case("a.T", a=normal(2, 3, 4))],
    "np.swapaxes": [Case("np.swapaxes(a, 0, 2)", a=normal(2, 3, 4))],
    "np.moveaxis": [Case("np.moveaxis(a, 0, -1)", a=normal(2, 3, 4))],
    "np.matrix_transpose": [Case("np.matrix_transpose(a)", a=normal(2, 3, 4))],
    "np.copy": [Case("np.copy(a) * a", a=A23), Case("a.copy()", a=A23)],
    "np.asarray": [Case("np.asarray(a)", a=A23), Case("np.asarray(a * 2, dtype=float, order='C')", a=A23)],
    "np.array": [Case("np.array(a)", a=A23), Case("np.array(a, copy=True) * np.array(a.T, order='F').T", a=A23)],
    "np.ascontiguousarray": [Case("np.ascontiguousarray(a.T)", a=A23)],
    "np.flip": [Case("np.flip(a)", a=A34), Case("np.flip(a, 1)", a=A34), Case("np.flip(a, axis=(0, 1))", a=A34)],
    "np.fliplr": [Case("np.fliplr(a)", a=A34)],
    "np.flipud": [Case("np.flipud(a)", a=A34)],
    "np.rot90": [Case("np.rot90(a)", a=A34), Case("np.rot90(a, 3, (1, 0))", a=A34)],
    "np.roll": [Case("np.roll(a, 2)", a=A34), Case("np.roll(a, -1, axis=1)", a=A34),
                Case("np.roll(a, (1, 2), axis=(0, 1))", a=A34)],
    "np.broadcast_to": [Case("np.broadcast_to(a, (2, 3, 4))", a=normal(3, 4)), Case("np.broadcast_to(a, (3, 4))", a=normal(3, 1)),
                        Case("np.broadcast_to(a, (2, 3))", a=normal())],
    "np.concatenate": [Case("np.concatenate([a, b])", a=A23, b=normal(4, 3)), Case("np.concatenate((a, b), axis=1)", a=A23, b=normal(2, 2)),
                       Case("np.concatenate([a, b, a], axis=-1)", a=A23, b=normal(2, 1)),
                       Case("np.concatenate([a, b], axis=None)", a=A23, b=normal(3))],
    "np.stack": [Case("np.stack([a, b])", a=A23, b=A23), Case("np.stack([a, b, a], axis=1)", a=A23, b=A23),
                 Case("np.stack((a, b), -1)", a=normal(3), b=normal(3))],
    "np.hstack": [Case("np.hstack([a, b])", a=A23, b=normal(2, 2)), Case("np.hstack((a, b))", a=normal(3), b=normal(2))],
    "np.vstack": [Case("np.vstack([a, b])", a=A23, b=normal(1, 3)), Case("np.vstack([a, b])", a=normal(3), b=A23)],
    "np.dstack": [Case("np.dstack([a, b])", a=A23, b=A23)],
    "np.column_stack": [Case("np.column_stack([a, b])", a=normal(3), b=normal(3, 2))],
    "np.append": [Case("np.append(a, b)", a=A23, b=normal(4)), Case("np.append(a, b, axis=0)", a=A23, b=normal(1, 3))],
    "np.split": [Case("np.split(a, 2)", a=normal(4, 3), outputs=2), Case("np.split(a, [1, 3], axis=1)", a=A34, outputs=3, used=(0, 2))],
    "np.array_split": [Case("np.array_split(a, 3, axis=1)", a=normal(2, 4), outputs=3)],
    "np.meshgrid": [Case("np.meshgrid(a, b)", a=normal(3), b=normal(4), outputs=2),
                    Case("np.meshgrid(a, b, c, indexing='ij')", a=normal(2), b=normal(3), c=normal(2), outputs=3, used=(0, 2)),
                    Case("np.meshgrid(a, b, c)", a=normal(2), b=normal(3), c=normal(2), outputs=3)],
    "np.select": [Case("np.select([a > 0.5, a < -0.5], [a ** 2, -a], default=0.5 * a)", a=normal(3, 4)),
                  Case("np.select([c], [a], b)", a=normal(3), b=normal(3), c=fixed(np.array([True, False, True]))),
                  Case("np.select([a > 0], [b], 1.5)", a=normal(2, 3), b=normal(3))],
    "np.interp": [Case("np.interp(a, np.linspace(-2.0, 2.0, 5), b)", a=normal(4), b=normal(5)),
                  Case("np.interp(a, np.array([0.0, 0.5, 2.0]), b)", a=positive(3, 2), b=normal(3)),
                  Case("np.interp(a, [0.0, 1.0], [1.0, 3.0])", a=normal(4))],
    "np.hsplit": [Case("np.hsplit(a, 2)", a=normal(3, 4), outputs=2)],
    "np.vsplit": [Case("np.vsplit(a, 2)", a=normal(4, 3), outputs=2, used=(1,))],
    "np.dsplit": [Case("np.dsplit(a, 2)", a=normal(2, 3, 4), outputs=2)],
    "np.tile": [Case("np.tile(a, 2)", a=normal(3)), Case("np.tile(a, (2, 1, 3))", a=A23), Case("np.tile(a, 2)", a=A23)],
    "np.repeat": [Case("np.repeat(a, 2)", a=A23), Case("np.repeat(a, 3, axis=1)", a=A23),
                  Case("np.repeat(a, b, axis=0)", a=A23, b=fixed(np.array([2, 0]))), Case("a.repeat(2, axis=0)", a=A23)],
    "np.pad": [Case("np.pad(a, 1)", a=A23), Case("np.pad(a, ((1, 0), (2, 3)))", a=A23), Case("np.pad(a, (2, 1), constant_values=1.5)", a=normal(3)),
               Case("np.pad(a, ((1, 1), (2, 0)), mode='edge')", a=A23), Case("np.pad(a, 2, mode='reflect')", a=A34),
               Case("np.pad(a, (3, 1), 'symmetric')", a=normal(4)), Case("np.pad(a, ((0, 2), (1, 1)), mode='wrap')", a=A23)],
    "np.take": [Case("np.take(a, b)", a=A34, b=fixed(np.array([0, 5, 5, 11]))), Case("np.take(a, b, axis=1)", a=A34, b=fixed(np.array([[3, 0], [3, 3]]))),
                Case("a.take(b, axis=0)", a=A34, b=fixed(np.array([2, 0, 2])))],
    "np.bincount": [Case("np.bincount(b, a)", a=normal(6), b=fixed(np.array([0, 1, 1, 3, 0, 2]))),
                    Case("np.bincount(b, weights=a, minlength=6)", a=normal(4), b=fixed(np.array([4, 0, 4, 1])))],
    "np.take_along_axis": [Case("np.take_along_axis(a, np.argsort(a, axis=1), axis=1)", a=distinct(3, 4)),
                           Case("np.take_along_axis(a, b, axis=0)", a=A34, b=fixed(np.array([[2, 0, 0, 1], [2, 2, 0, 1]])))],
    "np.sort": [Case("np.sort(a)", a=distinct(3, 4)), Case("np.sort(a, axis=0)", a=distinct(3, 4)), Case("np.sort(a, axis=None)", a=distinct(3, 2))],
    "np.diag": [Case("np.diag(a)", a=normal(3)), Case("np.diag(a, 1)", a=normal(3)), Case("np.diag(a)", a=A34), Case("np.diag(a, k=-1)", a=A34)],
    "np.diagonal": [Case("np.diagonal(a)", a=A34), Case("np.diagonal(a, 1)", a=A34), Case("a.diagonal(0, 1, 2)", a=normal(2, 3, 3))],
    "np.diagflat": [Case("np.diagflat(a)", a=A23)],
    "np.triu": [Case("np.triu(a)", a=A34), Case("np.triu(a, 1)", a=A34)],
    "np.tril": [Case("np.tril(a)", a=A34), Case("np.tril(a, k=-1)", a=A34)],
    "np.diff": [Case("np.diff(a)", a=A34), Case("np.diff(a, axis=0)", a=A34), Case("np.diff(a, 2)", a=normal(5))],
    "np.trapezoid": [Case("np.trapezoid(a)", a=normal(5)), Case("np.trapezoid(a, dx=0.5, axis=0)", a=A34)],
    "np.convolve": [Case("np.convolve(a, b)", a=normal(5), b=normal(3)), Case("np.convolve(a, b, 'valid')", a=normal(5), b=normal(3)),
                    Case("np.convolve(a, b, mode='same')", a=normal(5), b=normal(3)),
                    Case("np.convolve(a, [0.25, 0.5, 0.25], mode='same')", a=normal(6)),    # a kernel as a list
                    Case("np.convolve([1.0, -1.0], a, 'valid')", a=normal(4))],
    "np.correlate": [Case("np.correlate(a, b, 'full')", a=normal(5), b=normal(3)), Case("np.correlate(a, b)", a=normal(5), b=normal(3)),
                     Case("np.correlate(a, [1.0, 2.0], 'same')", a=normal(5))],

    # indexing
    "x[...]": [Case("a[1]", a=A34), Case("a[1:, ::2]", a=A34), Case("a[..., -1]", a=normal(2, 3, 4)), Case("a[1, 2]", a=A34)],
    "x[array]": [Case("a[b]", a=A34, b=fixed(np.array([2, 0, 2]))), Case("a[:, b]", a=A34, b=fixed(np.array([[1, 1], [0, 3]]))),
                 Case("a[a > 0]", a=A34), Case("a[b, c]", a=A34, b=fixed(np.array([0, 2, 0])), c=fixed(np.array([1, 1, 1])))],
    "x[:, None]": [Case("a[:, None]", a=normal(3)), Case("a[None]", a=A23), Case("a[:, None, :]", a=A23)],

    # products and linear algebra
    "np.dot": [Case("np.dot(a, b)", a=A23, b=A34), Case("np.dot(a, b)", a=A23, b=normal(3)), Case("np.dot(a, b)", a=normal(3), b=A34),
               Case("np.dot(a, b)", a=normal(3), b=normal(3)), Case("a.dot(b)", a=A23, b=A34), Case("np.dot(a, b)", a=normal(), b=A23),
               Case("np.dot(a, b)", a=normal(2, 2, 3), b=A34), Case("np.dot(a, b)", a=A23, b=normal(2, 3, 2)),
               Case("np.dot(a, b)", a=normal(2, 2, 3), b=normal(3))],
    "np.matmul": [Case("a @ b", a=A23, b=A34), Case("a @ b", a=normal(3), b=A34), Case("a @ b", a=A23, b=normal(3)),
                  Case("np.matmul(a, b)", a=normal(2, 2, 3), b=normal(2, 3, 4)), Case("a @ b", a=normal(2, 2, 3), b=A34)],
    "np.outer": [Case("np.outer(a, b)", a=normal(3), b=normal(4)), Case("np.outer(a, b)", a=A23, b=normal(2))],
    "np.polyval": [Case("np.polyval(a, b)", a=normal(4), b=normal(5)), Case("np.polyval(a, b)", a=normal(3), b=normal()),
                   Case("np.polyval(a, b)", a=normal(1), b=A23)],
    "np.inner": [Case("np.inner(a, b)", a=normal(3), b=normal(3)), Case("np.inner(a, b)", a=normal(2, 3), b=normal(4, 3)),
                 Case("np.inner(a, b)", a=normal(2, 3), b=normal(3))],
    "np.vdot": [Case("np.vdot(a, b)", a=A23, b=A23), Case("np.vdot(a, b)", a=A23, b=normal(6))],
    "np.vecdot": [Case("np.vecdot(a, b)", a=A34, b=normal(4)), Case("np.vecdot(a, b, axis=0)", a=A34, b=A34)],
    "np.tensordot": [Case("np.tensordot(a, b)", a=normal(2, 3, 4), b=normal(3, 4, 2)), Case("np.tensordot(a, b, 1)", a=A23, b=A34),
                     Case("np.tensordot(a, b, axes=([0, 2], [1, 0]))", a=normal(2, 3, 4), b=normal(4, 2, 3)),
                     Case("np.tensordot(a, b, 0)", a=normal(2), b=normal(3))],
    "np.kron": [Case("np.kron(a, b)", a=A23, b=normal(2, 2)), Case("np.kron(a, b)", a=normal(2), b=normal(3))],
    "np.cross": [Case("np.cross(a, b)", a=normal(3), b=normal(3)), Case("np.cross(a, b)", a=normal(4, 3), b=normal(3))],
    "np.trace": [Case("np.trace(a)", a=A34), Case("np.trace(a, 1)", a=A34), Case("a.trace()", a=normal(3, 3))],
    "np.einsum": [Case('np.einsum("ij,jk->ik", a, b)', a=A23, b=A34), Case('np.einsum("ij,jk", a, b)', a=A23, b=A34),
                  Case('np.einsum("ij->i", a)', a=A34), Case('np.einsum("ii->i", a)', a=normal(3, 3)),
                  Case('np.einsum("ii", a)', a=normal(3, 3)), Case('np.einsum("...ij,...jk->...ik", a, b)', a=normal(2, 2, 3), b=normal(2, 3, 4)),
                  Case('np.einsum("i,i->", a, b)', a=normal(3), b=normal(3)), Case('np.einsum("ij,j->i", a, b)', a=A34, b=normal(4)),
                  Case('np.einsum("bij,bjk->bik", a, b)', a=normal(2, 2, 3), b=normal(2, 3, 2)), Case('np.einsum("ijk->kj", a)', a=normal(2, 3, 4)),
                  Case('np.einsum("i,j,k->ijk", a, b, c)', a=normal(2), b=normal(3), c=normal(2)), Case('np.einsum("ij,ij->ij", a, b)', a=A23, b=A23),
                  Case('np.einsum("iij->j", a)', a=normal(2, 2, 3)), Case('np.einsum("ij,kl->", a, b)', a=A23, b=normal(2, 2))],
    "np.linalg.norm": [Case("np.linalg.norm(a)", a=normal(4)), Case("np.linalg.norm(a)", a=A34), Case("np.linalg.norm(a, axis=1)", a=A34),
                       Case("np.linalg.norm(a, 1)", a=normal(4)), Case("np.linalg.norm(a, np.inf)", a=distinct(4)),
                       Case("np.linalg.norm(a, -np.inf)", a=distinct(4)), Case("np.linalg.norm(a, 3)", a=normal(4)),
                       Case("np.linalg.norm(a, 'fro')", a=A34), Case("np.linalg.norm(a, 'nuc')", a=A34, rtol=1e-4),
                       Case("np.linalg.norm(a, 2)", a=A34, rtol=1e-4), Case("np.linalg.norm(a, -2)", a=normal(3, 3), rtol=1e-4),
                       Case("np.linalg.norm(a, 1)", a=distinct(3, 4)), Case("np.linalg.norm(a, np.inf)", a=distinct(3, 4)),
                       Case("np.linalg.norm(a, axis=0, keepdims=True)", a=A34), Case("np.linalg.norm(a, ord=2, axis=(0, 1))", a=A34, rtol=1e-4)],
    "np.linalg.vector_norm": [Case("np.linalg.vector_norm(a)", a=A34), Case("np.linalg.vector_norm(a, axis=0, ord=1)", a=A34)],
    "np.linalg.matrix_norm": [Case("np.linalg.matrix_norm(a)", a=A34), Case("np.linalg.matrix_norm(a, ord='nuc')", a=A34, rtol=1e-4)],
    "np.linalg.inv": [Case("np.linalg.inv(a)", a=square(3)), Case("np.linalg.inv(a)", a=square(2, (2,)))],
    "np.linalg.solve": [Case("np.linalg.solve(a, b)", a=square(3), b=normal(3)), Case("np.linalg.solve(a, b)", a=square(3), b=normal(3, 2))],
    "np.linalg.det": [Case("np.linalg.det(a)", a=square(3)), Case("np.linalg.det(a)", a=square(2, (3,)))],
    "np.linalg.slogdet": [Case("np.linalg.slogdet(a)", a=square(3), outputs=2, used=(1,)),
                          Case("np.linalg.slogdet(a)[1]", a=square(3))],
    "np.linalg.cholesky": [Case("np.linalg.cholesky(a @ a.T + 3 * np.eye(3))", a=normal(3, 3)),
                           Case("np.linalg.cholesky(a)", a=spd(3))],
    "np.linalg.eigh": [Case("np.linalg.eigh(a + a.T)", a=spd(3), outputs=2, rtol=1e-4),
                       Case("np.linalg.eigh(a)", a=spd(3), outputs=2, rtol=1e-4),
                       Case("np.linalg.eigh(a, UPLO='U')", a=spd(3), outputs=2, used=(0,)),
                       Case("np.linalg.eigh(a + a.T)", a=spd(3), outputs=2, used=(0,)),
                       Case("np.linalg.eigh(a + a.T)[1]", a=spd(3), rtol=1e-4)],
    "np.linalg.eigvalsh": [Case("np.linalg.eigvalsh(a + a.T)", a=spd(3)), Case("np.linalg.eigvalsh(a)", a=spd(3)),
                           Case("np.linalg.eigvalsh(a, 'U')", a=spd(3))],
    "np.linalg.svd": [Case("np.linalg.svd(a, full_matrices=False)", a=A34, outputs=3, rtol=1e-4),
                      Case("np.linalg.svd(a, full_matrices=False)", a=normal(4, 3), outputs=3, used=(1,)),
                      Case("np.linalg.svd(a, compute_uv=False)", a=A34),
                      Case("np.linalg.svd(a)", a=normal(3, 3), outputs=3, used=(0, 2), rtol=1e-4)],
    "np.linalg.svdvals": [Case("np.linalg.svdvals(a)", a=A34)],
    "np.linalg.pinv": [Case("np.linalg.pinv(a)", a=A34, rtol=1e-4), Case("np.linalg.pinv(a)", a=normal(4, 2), rtol=1e-4)],
    "np.linalg.qr": [Case("np.linalg.qr(a)", a=normal(4, 3), outputs=2, rtol=1e-4), Case("np.linalg.qr(a)", a=square(3), outputs=2, used=(1,))],
    "np.linalg.matrix_power": [Case("np.linalg.matrix_power(a, 3)", a=normal(3, 3)), Case("np.linalg.matrix_power(a, -2)", a=square(3)),
                               Case("np.linalg.matrix_power(a, 1)", a=normal(2, 2)), Case("np.linalg.matrix_power(a, 6)", a=normal(2, 2) , rtol=1e-4)],
    "np.linalg.multi_dot": [Case("np.linalg.multi_dot([a, b, c])", a=A23, b=A34, c=normal(4, 2)),
                            Case("np.linalg.multi_dot([a, b, c])", a=normal(3), b=A34, c=normal(4))],
}


# the several-result functions through a Python loop's helper ("unbroadcast" is generated code's own)
CASES["unbroadcast"] = [Case("fn(a, b)", fn=None, a=normal(2, 3), b=normal(3))]

# the helpers generated code calls, and constructors with a fill value
CASES.update({
    "add_at": [Case("fn(np.copy(a), b, c)", a=normal(4, 3), b=fixed(np.array([0, 2, 0])), c=normal(3, 3))],
    "tensordot_adjoint": [Case("fn(c, a, b, ([0, 2], [1, 0]), 0)", a=normal(2, 3, 4), b=normal(4, 2, 3), c=normal(3, 3)),
                          Case("fn(c, a, b, 1, 1)", a=A23, b=A34, c=normal(2, 4)),
                          Case("fn(c, a, b, 1, 0)", a=A23, b=A34, c=normal(2, 4))],
    "add_each": [Case("fn([a, b], [b, a])[1]", a=A23, b=A23), Case("fn([a, b], [b * 2.0, b])[0]", a=A23, b=A23)],
    "sum_copies": [Case("fn([a, b, b, a], 2)[1]", a=A23, b=A23)],
    "np.full_like": [Case("np.full_like(b, a)", a=normal(), b=fixed(np.ones((2, 3))))],
    "np.full": [Case("np.full((2, 3), a)", a=normal())],
    "np.asfortranarray": [Case("np.asfortranarray(a)", a=A23)],
})

# Python lists and tuples as values (rules/sequences.py): the operator or builtin on lists is the rule
CASES.update({
    "+ on lists": [Case("np.stack([a, b] + [a * b])", a=A23, b=A23),
                   Case("np.stack((a,) + (b, a))", a=normal(3), b=normal(3))],
    "* on lists": [Case("np.stack([a, b] * 2)", a=A23, b=A23), Case("np.stack(3 * (a,))", a=normal(3))],
    "list(a)": [Case("np.stack(list((a, b)))", a=A23, b=A23), Case("np.stack(tuple([b, a]))", a=A23, b=A23)],
    "list(x) of an array": [Case("np.stack(list(a)[::-1])", a=A23), Case("np.stack(tuple(a)[1:])", a=A34)],
    "reversed": [Case("np.stack(list(reversed([a, b])))", a=A23, b=normal(2, 3)),
                 Case("np.stack(list(reversed(a)))", a=A34)],
})

# order statistics, evenly spaced values, more permutations
CASES.update({
    "np.cov": [Case("np.cov(a)", a=normal(3, 5)), Case("np.cov(a, rowvar=False)", a=normal(5, 3)),
               Case("np.cov(a, bias=True)", a=normal(2, 4)), Case("np.cov(a, ddof=2)", a=normal(2, 5)),
               Case("np.cov(a)", a=normal(6))],
    "np.corrcoef": [Case("np.corrcoef(a)", a=normal(3, 5)), Case("np.corrcoef(a, rowvar=False)", a=normal(6, 2))],
    "np.median": [Case("np.median(a)", a=distinct(3, 4)), Case("np.median(a, axis=1)", a=distinct(3, 5)),
                  Case("np.median(a, axis=0, keepdims=True)", a=distinct(3, 4))],
    "np.quantile": [Case("np.quantile(a, 0.3)", a=distinct(3, 4)), Case("np.quantile(a, 0.75, axis=1)", a=distinct(3, 5))],
    "np.percentile": [Case("np.percentile(a, 40, axis=0)", a=distinct(4, 3))],
    "np.linspace": [Case("np.linspace(a, b, 5)", a=normal(), b=normal()),
                    Case("np.linspace(a, b, 4, endpoint=False)", a=normal(3), b=normal(3))],
    "np.logspace": [Case("np.logspace(a, b, 5)", a=unit(), b=unit()), Case("np.logspace(a, b, 3, base=2.0)", a=unit(2), b=unit(2))],
    "np.partition": [Case("np.partition(a, 2)", a=distinct(3, 4)), Case("np.partition(a, 1, axis=0)", a=distinct(3, 4)),
                     Case("np.partition(a, 3, axis=None)", a=distinct(2, 3))],
    "np.rollaxis": [Case("np.rollaxis(a, 2)", a=normal(2, 3, 4)), Case("np.rollaxis(a, 0, 3)", a=normal(2, 3, 4))],
    "np.real_if_close": [Case("np.real_if_close(a)", a=A23)],
})

# SciPy
CASES.update({
    "scipy.special.polygamma": [Case("scipy.special.polygamma(1, a)", a=positive(2, 3)),
                                Case("scipy.special.polygamma(b, a)", a=positive(3), b=fixed(np.array([0, 1, 2])))],
    "scipy.special.logsumexp": [Case("scipy.special.logsumexp(a)", a=A34), Case("scipy.special.logsumexp(a, axis=1)", a=A34),
                                Case("scipy.special.logsumexp(a, axis=0, keepdims=True)", a=A34),
                                Case("scipy.special.logsumexp(a, axis=1, b=b)", a=A34, b=positive(3, 4))],
    "scipy.special.softmax": [Case("scipy.special.softmax(a)", a=A34), Case("scipy.special.softmax(a, axis=1)", a=A34)],
    "scipy.special.log_softmax": [Case("scipy.special.log_softmax(a, axis=0)", a=A34), Case("scipy.special.log_softmax(a)", a=normal(4))],
    "scipy.linalg.solve_triangular": [Case("scipy.linalg.solve_triangular(a, b, lower=True)", a=lower(3), b=normal(3)),
                                      Case("scipy.linalg.solve_triangular(a.T, b)", a=lower(3), b=normal(3, 2)),
                                      Case("scipy.linalg.solve_triangular(a, b, trans=1, lower=True)", a=lower(3), b=normal(3, 2)),
                                      Case("scipy.linalg.solve_triangular(a, b, lower=True, unit_diagonal=True)", a=lower(3), b=normal(3))],
    "scipy.linalg.cho_solve": [Case("scipy.linalg.cho_solve((a, True), b)", a=lower(3), b=normal(3)),
                               Case("scipy.linalg.cho_solve((a.T, False), b)", a=lower(3), b=normal(3, 2))],
    "scipy.linalg.cholesky": [Case("scipy.linalg.cholesky(a @ a.T + 3 * np.eye(3))", a=normal(3, 3)),
                              Case("scipy.linalg.cholesky(a @ a.T + 3 * np.eye(3), lower=True)", a=normal(3, 3)),
                              Case("scipy.linalg.cholesky(a)", a=spd(3)), Case("scipy.linalg.cholesky(a, lower=True)", a=spd(3))],
    "scipy.linalg.expm": [Case("scipy.linalg.expm(a)", a=normal(3, 3), rtol=1e-4)],
    "scipy.linalg.inv": [Case("scipy.linalg.inv(a)", a=square(3))],
    "scipy.linalg.det": [Case("scipy.linalg.det(a)", a=square(3))],
    "scipy.linalg.solve": [Case("scipy.linalg.solve(a, b)", a=square(3), b=normal(3)),
                           Case("scipy.linalg.solve(a, b)", a=square(3), b=normal(3, 2))],
})

# Python's builtins and math
CASES.update({
    "max": [Case("max(a, b)", a=normal(), b=normal()), Case("max(a, b, c)", a=normal(), b=normal(), c=normal()),
            Case("max([a, b * 2.0, c])", a=normal(), b=normal(), c=normal()), Case("max(a)", a=distinct(5))],
    "min": [Case("min(a, b)", a=normal(), b=normal()), Case("min(a, b, c)", a=normal(), b=normal(), c=normal()),
            Case("min([a, b * 2.0, c])", a=normal(), b=normal(), c=normal()), Case("min(a)", a=distinct(5))],
    "sum": [Case("sum([a, b, a])", a=A23, b=A23)],
    "pow": [Case("pow(a, 3)", a=normal())],
})


# ------------------------------------------------------------------- methods
METHOD_CASES = {
    "sum": [Case("a.sum()", a=A34), Case("a.sum(axis=1)", a=A34), Case("a.sum(1, keepdims=True)", a=A34)],
    "mean": [Case("a.mean()", a=A34), Case("a.mean(axis=0)", a=A34)],
    "max": [Case("a.max()", a=distinct(3, 4)), Case("a.max(axis=1)", a=distinct(3, 4))],
    "min": [Case("a.min(0)", a=distinct(3, 4))],
    "prod": [Case("a.prod(axis=1)", a=positive(3, 4))],
    "var": [Case("a.var()", a=A34), Case("a.var(axis=0, ddof=1)", a=A34)],
    "std": [Case("a.std(axis=1)", a=A34)],
    "dot": [Case("a.dot(b)", a=A23, b=A34)],
    "reshape": [Case("a.reshape(4, 3)", a=A34), Case("a.reshape((2, 6))", a=A34), Case("a.reshape(-1)", a=A34)],
    "transpose": [Case("a.transpose()", a=A34), Case("a.transpose(1, 0)", a=A34), Case("a.transpose((2, 0, 1))", a=normal(2, 3, 4))],
    "ravel": [Case("a.ravel()", a=A34)],
    "flatten": [Case("a.flatten()", a=A34)],
    "squeeze": [Case("a.squeeze()", a=normal(3, 1))],
    "clip": [Case("a.clip(-0.5, 0.5)", a=A34), Case("a.clip(0, None)", a=A34), Case("a.clip(0)", a=A34),
             Case("a.clip(max=0.3)", a=A34), Case("a.clip(min=-0.2)", a=A34)],
    "copy": [Case("a.copy() * a", a=A34)],
    "cumsum": [Case("a.cumsum()", a=A34), Case("a.cumsum(axis=0)", a=A34)],
    "cumprod": [Case("a.cumprod(axis=1)", a=positive(2, 3))],
    "swapaxes": [Case("a.swapaxes(0, 1)", a=A34)],
    "trace": [Case("a.trace()", a=normal(3, 3))],
    "diagonal": [Case("a.diagonal()", a=A34)],
    "repeat": [Case("a.repeat(2)", a=A23)],
    "take": [Case("a.take([0, 2], axis=1)", a=A34)],
    "conj": [Case("a.conj()", a=A34)],
    "astype": [Case("a.astype(float)", a=A34), Case("a.astype(np.float64) * a.astype(int)", a=A34)],
    "item": [Case("a * np.sum(a * a).item()", a=A34), Case("np.reshape(a, (1, 1)).item() * 2.0", a=normal(1))],
    "round": [Case("a.round() * a", a=A34)],
    "argmax": [Case("np.ravel(a)[a.argmax()]", a=distinct(3, 4))],
    "argmin": [Case("np.take(a, a.argmin())", a=distinct(3, 4))],
    "argsort": [Case("a[a.argsort()]", a=distinct(5))],
    "nonzero": [Case("a[(a > 0).nonzero()]", a=A34)],
    "all": [Case("a * (a > -10).all()", a=A34)],
    "any": [Case("a * (a > 10).any()", a=A34)],
}
METHODS_WITHOUT_CASES = set()     # every array method has cases
METHOD_CASES = {k: v for k, v in METHOD_CASES.items() if v}


# ------------------------------------------------- patterns users write with them
PATTERN_CASES = [
    Case("np.max(a, axis=1) + np.log(np.sum(np.exp(a - np.max(a, axis=1, keepdims=True)), axis=1))", a=A34),
    Case("np.exp(a - a.max(axis=1, keepdims=True)) / np.exp(a - a.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)",
         a=A34),
    Case("a[b][:, c] * a[a[:, 0] > 0].sum()", a=A34, b=fixed(np.array([2, 0, 2])), c=fixed(np.array([1, 3]))),
    Case("np.where(a > 0, np.sqrt(np.abs(a)), a ** 2).sum(axis=0)", a=A34),
    Case("np.linalg.norm(a[:, None, :] - a[None, :, :] + 1.0, axis=-1)", a=A34),
]


# ---------------------------------------------------- no derivative, no error
NONDIFFERENTIABLE_CASES = [
    Case("a[np.argmax(a, axis=0), np.arange(4)]", a=distinct(3, 4)),
    Case("np.take_along_axis(a, np.argsort(a), axis=-1)", a=distinct(3, 4)),
    Case("a * np.floor(a) + np.ceil(a) * np.round(a) + np.sign(a) * a", a=distinct(3, 4)),
    Case("np.where(a > b, a, b) * (a < 0)", a=distinct(3, 4), b=distinct(3, 4)),
    Case("a * a.shape[0] + a.size + a.ndim + np.shape(a)[1] + len(a)", a=A34),
    Case("a * np.random.default_rng(0).normal(size=a.shape)", a=A34),
    Case("a + np.random.RandomState(0).normal(size=3) + np.random.default_rng(1).random()", a=normal(4, 3)),
    Case("a * a.astype(int) + a.astype(bool)", a=distinct(3, 4)),
    Case("a * int(np.sum(a > 0)) + np.count_nonzero(a)", a=A34),
    Case("a * np.isnan(a) + np.zeros_like(a) + np.ones_like(a) * a", a=A34),
    Case("np.maximum(a, 0.0) * np.heaviside(a, 0.5)", a=distinct(3, 4)),
]


def cases_for(rule):
    """The cases of one rule: its entry in CASES, or those its domain makes for an elementwise rule."""
    if rule.name in CASES:
        return [c if c.fn is not None or "fn(" not in c.expr else _with_fn(c, rule.func)
                for c in CASES[rule.name]]
    if is_elementwise(rule):
        return elementwise_cases(rule)
    return []


def _with_fn(case, func):
    case.fn = func
    return case
