"""Special points for the systematic rule check: inputs where rules are most often wrong.

``tests/rule_cases.py`` draws inputs from where each rule is smooth (distinct
values for ``np.max``, positive ones for ``np.prod``). These cases put the
same rules where they are not: zeros, ties, negative values, repeated
indices, zero-size arrays, stacked (batched) linear algebra, NaN where a rule
must ignore it, and axes and shapes chosen so that a wrong axis or a missing
transpose shows (no square matrices where a rectangular one does, no axis of
length 1). ``tests/test_special_points.py`` runs them through the check of the
matrix (both modes, against central differences); ``scripts/mutate_rules.py``
counts them among the tests aimed at their rule.

Ties are two-way: where exactly two elements tie, the central difference of a
maximum is the mean of their derivatives (it reads one step up and one down),
so a rule that splits the adjoint evenly between them matches it, in every
direction. (With three tied, central differences give the mean of the largest
and smallest, which no linear rule can match.)

A case a rule gets wrong today, that another change fixes, is marked with
:func:`defect` (the test expects it to fail, strictly, so that the mark is
removed with the fix).
"""

import numpy as np

from rule_cases import Case, distinct, fixed, normal, positive


def defect(case, reason):
    """Mark ``case`` as a known defect of its rule (an expected failure, naming what is wrong)."""
    case.defect = reason
    return case


def cases_of(rule):
    """The special points of ``rule`` that it gets right (those it does not are tested to fail)."""
    cases = [c for c in SPECIAL_CASES.get(rule.name, []) if not getattr(c, "defect", None)]
    for case in cases:
        if case.fn is None and "fn(" in case.expr:     # a helper of generated code, called as fn(...)
            case.fn = rule.func
    return cases


def given(value):
    """An argument drawn as exactly ``value`` (a float array: it is differentiated)."""
    value = np.asarray(value, dtype=float)
    return lambda rng: float(value) if value.ndim == 0 else value.copy()


def with_ties(*shape, axis=None):
    """Distinct values, but for the largest and the smallest, each tied with one other element (along
    ``axis``: in every slice along it, which needs four elements or more)."""
    def draw(rng):
        n = int(np.prod(shape))
        x = (rng.permutation(n).reshape(shape) * 0.5 + rng.uniform(-0.1, 0.1, shape))
        if axis is None:
            flat = x.reshape(-1)
            order = np.argsort(flat)
            flat[order[1]] = flat[order[0]]
            flat[order[-2]] = flat[order[-1]]
            return x
        moved = np.moveaxis(x, axis, -1)
        for index in np.ndindex(*moved.shape[:-1]):
            row = moved[index]
            order = np.argsort(row)
            row[order[1]] = row[order[0]]
            row[order[-2]] = row[order[-1]]
        return x
    return draw


TIES = np.array([[0.5, 0.5, -1.0, 2.0], [1.5, -0.3, 1.5, 0.25], [-2.0, 0.7, 0.1, -2.0]])   # two-way ties per row
ZEROS = np.array([[0.0, 1.5, -0.5, 2.0], [0.7, -1.2, 0.0, 0.4], [1.1, 0.9, -0.8, 1.3]])
HALF_TIED = np.where(np.arange(12).reshape(3, 4) % 2 == 0, TIES, TIES[::-1, ::-1])     # ties TIES in half its places
WITH_NAN = np.where(np.arange(12).reshape(3, 4) % 3 == 1, np.nan, TIES[::-1])
# rows with 0, 2, 2, 3 and 1 zeros; columns with 3, 2, 2, 1 and 0 (a product's derivatives count its zeros)
SOME_ZEROS = np.array([[1.1, 0.9, -0.8, 1.3, 0.6], [0.0, 0.0, 1.2, -0.4, 1.5], [0.0, 1.5, 0.0, 2.0, -0.9],
                       [0.0, 0.0, 1.4, 0.0, 0.8], [1.2, -0.6, 0.0, 0.5, 1.1]])
# NaNs (which np.nanprod skips) among them: rows with 0, 1, 2, 3 and 1 zeros
NAN_ZEROS = np.where(np.array([[0, 1, 0, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]),
                     np.nan, SOME_ZEROS)
# running products along rows: a zero first; one in the middle and one last; three; one last; none
RUN_ZEROS = np.array([[0.0, 1.5, -0.5, 2.0, 0.7], [0.7, 1.2, 0.0, 0.4, 0.0], [1.1, 0.0, 0.9, 0.0, 0.0],
                      [1.3, -0.8, 0.6, 1.5, 0.0], [0.8, -1.1, 1.4, 0.6, 1.2]])
NEGATIVE = np.array([[-0.5, -1.5, -0.7, -2.0], [-0.6, -1.1, -0.9, -0.3], [-1.3, -0.2, -0.4, -1.8]])


def _spd_stack(rng):
    """Two symmetric positive definite 3 x 3 matrices with distinct eigenvalues, stacked."""
    q = np.linalg.qr(rng.standard_normal((2, 3, 3)))[0]
    return q @ (np.arange(1.0, 4.0) * q).transpose(0, 2, 1)


def _negative_stack(rng):
    """Two 3 x 4 matrices of negative values, NEGATIVE scaled elementwise (no ties between their sums)."""
    return NEGATIVE * rng.uniform(0.5, 2.0, (2, 3, 4))


_SORTED_TIES = ("np.sort and the order statistics send a tied pair's adjoints to one element each (a permutation), "
                "where central differences give each half of both; a subgradient, as autograd's and JAX's are, so a "
                "documented choice (README, Testing) rather than a wrong value, kept here so that a change is seen")

SPECIAL_CASES = {
    # extrema: two-way ties share the adjoint evenly; all-negative inputs (a maximum that is not positive)
    "np.max": [Case("np.max(a)", a=with_ties(3, 4)), Case("np.max(a, axis=1)", a=with_ties(3, 4, axis=1)),
               Case("np.max(a, axis=0)", a=with_ties(4, 3, axis=0)), Case("np.max(a, axis=0)", a=given(NEGATIVE)),
               Case("np.max(a, axis=1, keepdims=True)", a=given(TIES))],
    "np.min": [Case("np.min(a)", a=with_ties(3, 4)), Case("np.min(a, axis=1)", a=with_ties(3, 4, axis=1)),
               Case("np.min(a, axis=1, keepdims=True)", a=given(TIES))],
    "np.amax": [Case("np.amax(a, axis=0)", a=with_ties(4, 3, axis=0))],
    "np.amin": [Case("np.amin(a)", a=with_ties(3, 4))],
    "np.nanmax": [Case("np.nanmax(a, axis=1)", a=with_ties(3, 4, axis=1))],
    "np.nanmin": [Case("np.nanmin(a, axis=0)", a=with_ties(4, 3, axis=0)),
                  Case("np.nanmin(a, axis=1, keepdims=True)", a=with_ties(3, 4, axis=1))],
    "np.ptp": [Case("np.ptp(a)", a=with_ties(3, 4)), Case("np.ptp(a, axis=0)", a=with_ties(4, 3, axis=0))],
    "np.maximum": [Case("np.maximum(a, b)", a=given(TIES), b=given(HALF_TIED)),
                   Case("np.maximum(a, 0.0)", a=given(ZEROS)), Case("np.maximum(a, b)", a=given(ZEROS), b=given(0.0))],
    "np.minimum": [Case("np.minimum(a, b)", a=given(TIES), b=given(HALF_TIED)),
                   Case("np.minimum(a, 0.0)", a=given(ZEROS))],
    "np.fmax": [Case("np.fmax(a, b)", a=given(TIES), b=given(HALF_TIED)),
                Case("np.fmax(a, b)", a=given(TIES), b=given(WITH_NAN)),
                Case("np.fmax(a, b)", a=given(WITH_NAN), b=given(HALF_TIED))],
    "np.fmin": [Case("np.fmin(a, b)", a=given(TIES), b=given(HALF_TIED)),
                Case("np.fmin(a, b)", a=given(TIES), b=given(WITH_NAN)),
                Case("np.fmin(a, b)", a=given(WITH_NAN), b=given(HALF_TIED))],
    "np.clip": [Case("np.clip(a, -0.5, 0.5)", a=given(TIES)), Case("np.clip(a, b, c)", a=given(TIES), b=given(-0.3),
                                                                   c=given(1.5))],
    "np.absolute": [Case("np.abs(a)", a=given(ZEROS))],
    "max": [Case("max(a, b)", a=given(0.5), b=given(0.5)), Case("max(a, 0.5)", a=given(0.5))],
    "min": [Case("min(a, b)", a=given(-0.5), b=given(-0.5))],

    # order statistics at ties
    "np.sort": [defect(Case("np.sort(a, axis=1)", a=given(TIES)), _SORTED_TIES),
                defect(Case("np.sort(a, axis=0)", a=given(TIES.T)), _SORTED_TIES),
                Case("np.sort(a, axis=0)", a=given(NEGATIVE))],
    "np.median": [defect(Case("np.median(a, axis=1)", a=given(TIES)), _SORTED_TIES),
                  Case("np.median(a, axis=0)", a=given(NEGATIVE))],

    # zeros and negative values
    # (and their second derivatives there: the adjoints are written to be differentiated again)
    "np.prod": [Case("np.prod(a, axis=1)", a=given(ZEROS)), Case("np.prod(a)", a=given([0.0, 0.0, 2.0])),
                Case("np.prod(a, axis=1)", a=given(NEGATIVE)), Case("np.prod(a, axis=0)", a=normal(3, 4)),
                Case("np.prod(a, axis=1)", a=given(SOME_ZEROS), hessian=True),
                Case("np.prod(a, axis=0, keepdims=True)", a=given(SOME_ZEROS), hessian=True),
                Case("np.prod(a)", a=given([1.5, 0.0, -0.5, 2.0]), hessian=True),
                Case("np.prod(a)", a=given([0.0, 1.5, 0.0, 0.0, -2.0]), hessian=True),
                Case("np.prod(a)", a=given([[0.0, 1.5], [-0.5, 0.0]]), hessian=True)],
    "np.nanprod": [Case("np.nanprod(a, axis=1)", a=given(NAN_ZEROS), hessian=True),
                   Case("np.nanprod(a, axis=0, keepdims=True)", a=given(NAN_ZEROS), hessian=True),
                   Case("np.nanprod(a)", a=given([np.nan, 0.0, 1.5, np.nan, -0.5]), hessian=True)],
    "np.cumprod": [Case("np.cumprod(a, axis=1)", a=given(ZEROS)), Case("np.cumprod(a, axis=1)", a=given(NEGATIVE)),
                   Case("np.cumprod(a, axis=1)", a=given(RUN_ZEROS), hessian=True),
                   Case("np.cumprod(a, axis=0)", a=given(RUN_ZEROS.T), hessian=True),
                   Case("np.cumprod(a)", a=given(RUN_ZEROS[1:3]), hessian=True)],
    "np.cumulative_prod": [Case("np.cumulative_prod(a, axis=1)", a=given(RUN_ZEROS), hessian=True),
                           Case("np.cumulative_prod(a, axis=0)", a=given(RUN_ZEROS.T), hessian=True),
                           Case("np.cumulative_prod(a)", a=given(RUN_ZEROS[2]), hessian=True)],
    "np.power": [Case("a ** 3", a=given(ZEROS)), Case("a ** 2.0", a=given(NEGATIVE)),
                 Case("a ** 0.0", a=given(ZEROS)), Case("a ** 1", a=given(ZEROS), hessian=True),
                 Case("a ** 2", a=given(ZEROS), hessian=True), Case("a ** 0", a=given(ZEROS), hessian=True),
                 # an exponent that varies: 1 and 2 at a zero base (differentiated in the base alone: a base
                 # moved below 0 has no real power), 0 at bases that are not 0 (in both: the mixed derivative)
                 Case("np.power(a, b)", a=given([0.0, 0.0, 0.0]), b=given([1.0, 2.0, 3.0]), wrt=("a",), hessian=True),
                 Case("np.power(a, b)", a=given([1.5, 0.5, 2.0]), b=given([0.0, 0.0, 1.5]), hessian=True),
                 Case("a ** b", a=given(ZEROS), b=given(2.0), wrt=("a",), hessian=True)],
    "np.float_power": [Case("np.float_power(a, b)", a=given([0.0, 0.0]), b=given([1.0, 2.0]), wrt=("a",),
                            hessian=True),
                       Case("np.float_power(a, b)", a=given([1.5, 0.5]), b=given([0.0, 0.0]), hessian=True),
                       Case("np.float_power(a, 0)", a=given(ZEROS), hessian=True)],
    "math.pow": [Case("fn(a, b)", a=given(0.0), b=given(1.0), wrt=("a",), hessian=True),
                 Case("fn(a, b)", a=given(1.5), b=given(0.0), hessian=True),
                 Case("fn(a, 2.0)", a=given(0.0), hessian=True)],

    # repeated indices
    "x[array]": [Case("a[b]", a=normal(4, 3), b=fixed(np.array([1, 3, 1, 1]))),
                 Case("a[b, c]", a=normal(3, 4), b=fixed(np.array([2, 2, 0])), c=fixed(np.array([3, 3, 1])))],
    "np.take": [Case("np.take(a, b, axis=0)", a=normal(4, 3), b=fixed(np.array([3, 3, 0, 3])))],
    "add_at": [Case("fn(np.copy(a), b, c)", a=normal(4, 3), b=fixed(np.array([1, 1, 1])), c=normal(3, 3))],

    # negative values and zeros where a rule's branch depends on the sign
    "scipy.special.i0e": [Case("scipy.special.i0e(a)", a=given(NEGATIVE))],
    "scipy.special.i1e": [Case("scipy.special.i1e(a)", a=given(ZEROS)),
                          Case("scipy.special.i1e(a)", a=given(NEGATIVE))],

    # parameters the table's cases hold constant, axes and keepdims that matter
    "pow": [Case("pow(a, b)", a=positive(), b=normal()), Case("pow(a, b)", a=given(0.0), b=given(1.0), wrt=("a",),
                                                               hessian=True),
            Case("pow(a, b)", a=given(1.5), b=given(0.0), hessian=True)],
    "sum": [Case("sum([a, b], c)", a=normal(2, 3), b=normal(2, 3), c=normal(3)),    # terms that broadcast
            Case("sum([a, b, a])", a=normal(2, 3), b=normal(3)), Case("sum((a, b))", a=normal(), b=normal(2))],
    "np.dot": [Case("np.dot(a, b)", a=normal(2, 3), b=normal())],
    "np.percentile": [Case("np.percentile(a, 30, axis=1, keepdims=True)", a=distinct(3, 5))],
    "np.matmul": [Case("a @ b", a=normal(3), b=normal(3)), Case("a @ b", a=normal(2, 1, 2, 3), b=normal(3, 3, 4))],
    "np.linalg.norm": [Case("np.linalg.norm(a, np.inf)", a=given(NEGATIVE[0])),
                       Case("np.linalg.norm(a, np.inf, axis=1)", a=given(NEGATIVE)),
                       Case("np.linalg.norm(a, -np.inf, axis=0)", a=given(NEGATIVE)),
                       Case("np.linalg.norm(a, 1, axis=0, keepdims=True)", a=given(NEGATIVE)),
                       Case("np.linalg.norm(a, 3, axis=1, keepdims=True)", a=normal(3, 4)),
                       Case("np.linalg.norm(a, axis=1, keepdims=True)", a=normal(3, 4)),
                       Case("np.linalg.norm(a, np.inf, axis=(1, 2), keepdims=True)", a=_negative_stack),
                       Case("np.linalg.norm(a, np.inf)", a=given(NEGATIVE)),
                       Case("np.linalg.norm(a, 1)", a=given(NEGATIVE)),
                       Case("np.linalg.norm(a, 1, axis=(1, 2))", a=_negative_stack)],
    "np.average": [Case("np.average(a, axis=1, weights=b, keepdims=True)", a=normal(3, 4), b=positive(4)),
                   Case("np.average(a, axis=0, weights=b, keepdims=True)", a=normal(3, 4), b=positive(3, 4)),
                   Case("np.average(a, axis=1, weights=b)", a=normal(2, 3, 4), b=positive(2, 3, 4))],
    "np.linalg.vector_norm": [Case("np.linalg.vector_norm(a, axis=1, keepdims=True)", a=normal(3, 4)),
                              Case("np.linalg.vector_norm(a, axis=0)", a=normal(3, 4))],
    "np.linalg.matrix_norm": [Case("np.linalg.matrix_norm(a, keepdims=True)", a=normal(2, 3, 4))],
    "scipy.special.log_softmax": [Case("scipy.special.log_softmax(a, axis=1)", a=normal(4, 3))],

    # np.interp at its knots (and outside them): the slopes either side share
    "np.interp": [Case("np.interp(a, np.array([-1.0, 0.0, 0.5, 2.0]), b)",
                       a=given([-1.0, 0.0, 0.5, 2.0, 0.25, 3.0, -1.5]),
                       b=normal(4))],

    # zero-size arrays
    "np.sum": [Case("np.sum(a, axis=0)", a=normal(0, 3)), Case("np.sum(a, axis=1)", a=normal(0, 3))],
    "np.concatenate": [Case("np.concatenate([a, b])", a=normal(0, 3), b=normal(2, 3))],

    # stacked linear algebra
    "np.linalg.solve": [Case("np.linalg.solve(a, b)", a=lambda rng: rng.standard_normal((2, 3, 3)) + 3 * np.eye(3),
                             b=normal(2, 3, 2))],
    "np.linalg.det": [Case("np.linalg.det(a)", a=lambda rng: rng.standard_normal((2, 3, 3)) + 3 * np.eye(3))],
    "np.linalg.eigh": [Case("np.linalg.eigh(a)", a=_spd_stack, outputs=2, rtol=1e-4)],
    "np.linalg.eigvalsh": [Case("np.linalg.eigvalsh(a)", a=_spd_stack)],
    "np.linalg.svd": [Case("np.linalg.svd(a, full_matrices=False)", a=normal(4, 3), outputs=3, used=(0, 2), rtol=1e-4),
                      Case("np.linalg.svd(a, full_matrices=False)", a=normal(2, 3, 4), outputs=3, rtol=1e-4)],
    "np.linalg.pinv": [Case("np.linalg.pinv(a)", a=normal(2, 3, 4), rtol=1e-4),
                       Case("np.linalg.pinv(a)", a=lambda rng: rng.standard_normal((3, 3, 3)) + 3 * np.eye(3), rtol=1e-4)],
    "np.linalg.cholesky": [Case("np.linalg.cholesky(a)", a=_spd_stack)],
    # (3, 3, 3): a.T, all axes reversed, has the shape of the matrices transposed, and gives wrong numbers
    "np.linalg.matrix_power": [Case("np.linalg.matrix_power(a, 2)", a=normal(3, 3, 3))],
    "np.linalg.qr": [Case("np.linalg.qr(a)", a=normal(2, 4, 3), outputs=2, rtol=1e-4),
                     Case("np.linalg.qr(a)", a=lambda rng: rng.standard_normal((3, 3, 3)) + 3 * np.eye(3), outputs=2,
                          rtol=1e-4)],
    "np.linalg.svdvals": [Case("np.linalg.svdvals(a)", a=normal(2, 3, 4))],
    "np.inner": [Case("np.inner(a, 2.0)", a=normal(3))],
    "np.einsum": [Case('np.einsum("...i,i->...", a, b)', a=normal(2, 3), b=normal(3)),
                  Case('np.einsum("...ij,j->...i", a, b)', a=normal(2, 4, 3), b=normal(3)),
                  Case('np.einsum("i...,j->...ij", a, b)', a=normal(3, 2, 4), b=normal(2))],
    "np.linalg.inv": [Case("np.linalg.inv(a)", a=lambda rng: rng.standard_normal((3, 2, 2)) + 3 * np.eye(2))],
}
