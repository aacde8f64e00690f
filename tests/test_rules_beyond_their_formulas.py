"""Rules at the points their textbook formulas do not reach: zeros of products and powers, stacked
matrices, broadcast and interleaved einsums, and the functions that pick values (np.unique, np.r_).

Every case is checked in both modes against central finite differences: the gradient by reverse mode,
and the same gradient assembled from forward-mode sweeps (a Jacobian of the scalar function).
"""

import math

import numpy as np
import pytest

import s2sgrad
from finite_differences import jacobian_by_differences, numerical_grad


def assert_both_modes(f, args, wrt=0, atol=1e-6):
    """The gradient of scalar ``f`` in ``args[wrt]``, by reverse and by forward mode, against differences."""
    expected = numerical_grad(f, args, wrt)
    reverse = s2sgrad.grad(f, wrt=wrt)(*args)
    forward = s2sgrad.jacobian(f, wrt=wrt, mode="forward")(*args)
    for mode, got in (("reverse", reverse), ("forward", forward)):
        assert np.shape(got) == np.shape(expected), (mode, np.shape(got), np.shape(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol, err_msg=mode)


# ------------------------------------------------------------------ products with zeros
WEIGHTS = np.arange(1.0, 13.0).reshape(4, 3)
# rows: one zero, two zeros, none, a zero first; columns: one zero, two zeros, none
WITH_ZEROS = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, 3.0, 4.0], [0.0, 5.0, 1.0]])


def prod_all(x):
    return np.prod(x)


def prod_rows(x):
    return np.sum(np.sin(np.prod(x, axis=1)))


def prod_columns_kept(x):
    return np.sum(np.prod(x, axis=0, keepdims=True) * WEIGHTS[:1])


def nanprod_rows(x):
    return np.sum(np.sin(np.nanprod(x, axis=1)))


def cumprod_flat(x):
    return np.sum(np.cumprod(x) * np.ravel(WEIGHTS)[:np.size(x)])


def cumprod_rows(x):
    return np.sum(np.cumprod(x, axis=1) * WEIGHTS)


def cumprod_columns(x):
    return np.sum(np.cumprod(x, axis=0) * WEIGHTS)


def cumprod_last(x):
    return np.sum(np.sin(np.cumprod(x, axis=-1)))


def cumulative_prod_columns(x):
    return np.sum(np.cumulative_prod(x, axis=0) * WEIGHTS)


PRODUCTS = [prod_all, prod_rows, prod_columns_kept, nanprod_rows, cumprod_flat, cumprod_rows, cumprod_columns,
            cumprod_last] + ([cumulative_prod_columns] if hasattr(np, "cumulative_prod") else [])


def test_prod_with_one_zero_is_the_product_of_the_others():
    x = np.array([0.0, 2.0, 3.0])
    np.testing.assert_allclose(s2sgrad.grad(prod_all)(x), [6.0, 0.0, 0.0])
    assert_both_modes(prod_all, (x,))
    assert_both_modes(prod_all, (np.array([0.0, 2.0, 0.0]),))


@pytest.mark.parametrize("f", PRODUCTS, ids=lambda f: f.__name__)
def test_products_at_zeros(f):
    assert_both_modes(f, (WITH_ZEROS,))
    assert_both_modes(f, (WITH_ZEROS + 0.5,))      # and away from them, where ans / a holds


@pytest.mark.parametrize("f", [prod_all, prod_rows, nanprod_rows, cumprod_flat, cumprod_rows, cumprod_columns],
                         ids=lambda f: f.__name__)
def test_hessians_of_products_at_zeros(f):
    """The adjoints are differentiated again: a zero factor must still change with its element there."""
    gradient = s2sgrad.grad(f)
    for x in (WITH_ZEROS, np.array([[0.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [1.0, 2.0, 0.0]])):
        np.testing.assert_allclose(s2sgrad.hessian(f)(x), jacobian_by_differences(gradient, (x,), 0), atol=1e-5)


def test_cumprod_of_a_vector_with_several_zeros():
    assert_both_modes(cumprod_flat, (np.array([2.0, 0.0, 3.0, 0.0, 1.0, 2.0]),))


def test_nanprod_skips_nans_at_zeros_too():
    x = WITH_ZEROS.copy()
    x[2, 1] = np.nan
    got = s2sgrad.grad(nanprod_rows)(x)
    finite = np.where(np.isnan(x), 1.0, x)
    np.testing.assert_allclose(got, numerical_grad(nanprod_rows, (finite,), 0) * ~np.isnan(x), atol=1e-6)


# ------------------------------------------------------------------------ powers at 0
def power_zero(x):
    return np.sum(np.power(x, 0.0)) + np.sum(np.float_power(x, 0.0) * x)


def power_array_exponent(x, y):
    return np.sum(np.sin(x ** y))


def python_powers(x):
    return math.pow(x, 0.0) + pow(x, 0.0) * x + x ** 0.0 + math.pow(x, 2.0)


def python_power_exponent(x, y):
    return math.pow(x, y) + pow(x, y) * x


def test_power_zero_at_zero_is_not_nan():
    x = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(s2sgrad.grad(power_zero)(x), [1.0, 1.0, 1.0])
    assert_both_modes(power_zero, (x,))


def test_power_of_an_array_exponent_at_zero():
    x, y = np.array([0.0, 0.0, 2.0, 3.0]), np.array([0.0, 2.0, 0.0, 1.5])
    assert_both_modes(power_array_exponent, (x, y), wrt=0)
    assert_both_modes(power_array_exponent, (x + 1, y), wrt=1)


def test_hessian_of_a_power_with_a_zero_exponent():
    x, y = np.array([0.5, 2.0, 0.0]), np.array([0.0, 0.0, 1.5])
    gradient = s2sgrad.grad(power_array_exponent, wrt=0)
    mixed = s2sgrad.jacobian(gradient, wrt=1, mode="forward")(x, y)
    np.testing.assert_allclose(mixed, jacobian_by_differences(gradient, (x, y), 1), atol=1e-5)


def test_python_powers_at_zero():
    assert s2sgrad.grad(python_powers)(0.0) == 1.0
    assert_both_modes(python_powers, (0.0,))
    assert_both_modes(python_power_exponent, (0.0, 0.0), wrt=0)
    assert_both_modes(python_power_exponent, (2.0, 0.0), wrt=1)


# ------------------------------------------------------------------ np.inner with a number
def inner_with_a_number(x):
    return np.sum(np.sin(np.inner(x, 2.0))) + np.sum(np.inner(3.0, x) * x)


def inner_of_a_number(x, y):
    return np.sum(np.sin(np.inner(x, y)))


def test_inner_with_a_number_is_the_product():
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    assert_both_modes(inner_with_a_number, (x,))
    assert_both_modes(inner_of_a_number, (1.5, x[0]), wrt=0)
    assert_both_modes(inner_of_a_number, (1.5, x[0]), wrt=1)


# -------------------------------------------------------- hvp with a tuple wrt, a Hessian of zero
def linear_in_both(x, y):
    return np.sum(x * 2.0) + np.sum(y * 3.0)


def quadratic_in_one(x, y):
    return np.sum(x * 2.0) + np.sum(y ** 2)


@pytest.mark.parametrize("shapes", [(3, 3), (3, 2)], ids=["same shapes", "other shapes"])
def test_hvp_of_a_tuple_wrt_is_a_tuple_where_the_hessian_is_zero(shapes):
    x, y = np.linspace(0.5, 1.5, shapes[0]), np.linspace(-1.0, 1.0, shapes[1])
    v = (np.ones_like(x), np.arange(1.0, shapes[1] + 1))
    product = s2sgrad.hvp(linear_in_both, wrt=(0, 1))(x, y, v)
    assert isinstance(product, tuple) and len(product) == 2
    for got, like in zip(product, (x, y)):
        np.testing.assert_array_equal(got, np.zeros_like(like))
    product = s2sgrad.hvp(quadratic_in_one, wrt=(0, 1))(x, y, v)
    assert isinstance(product, tuple)
    np.testing.assert_array_equal(product[0], np.zeros_like(x))
    np.testing.assert_allclose(product[1], 2 * v[1])
    blocks = s2sgrad.hessian(linear_in_both, wrt=(0, 1))(x, y)
    assert [[b.shape for b in row] for row in blocks] == [[(x.size, x.size), (x.size, y.size)],
                                                           [(y.size, x.size), (y.size, y.size)]]
    assert not any(np.any(b) for row in blocks for b in row)


# --------------------------------------------------------- einsum: a broadcast ellipsis, interleaved
def einsum_batched(a, b):
    return np.sum(np.sin(np.einsum("...ij,...jk->...ik", a, b)))


def einsum_ellipsis_and_a_lonely_index(a, b):
    return np.sum(np.sin(np.einsum("...ij,...j->...", a, b)))


def einsum_transpose_interleaved(x):
    return np.sum(np.einsum(x, (0, 1), (1, 0)) * WEIGHTS[:3, :2])


def einsum_product_interleaved(a, b):
    return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2], [0, 2])))


def einsum_implicit_interleaved(a, b):
    return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2])))


@pytest.mark.parametrize("shapes", [((2, 3), (4, 3, 2)), ((4, 2, 3), (3, 2)), ((1, 2, 3), (4, 3, 2)),
                                    ((5, 1, 2, 3), (4, 3, 2))], ids=str)
def test_einsum_adjoint_is_summed_over_the_broadcast_ellipsis(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    assert_both_modes(einsum_batched, (a, b), wrt=0)
    assert_both_modes(einsum_batched, (a, b), wrt=1)


def test_einsum_broadcast_ellipsis_with_an_index_only_one_operand_has(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 1, 3))
    assert_both_modes(einsum_ellipsis_and_a_lonely_index, (a, b), wrt=0)
    assert_both_modes(einsum_ellipsis_and_a_lonely_index, (a, b), wrt=1)


def einsum_interleaved_ellipsis(a, b):
    return np.sum(np.sin(np.einsum(a, [..., 0, 1], b, [..., 1, 2], [..., 0, 2])))


def einsum_interleaved_named_sublist(a, b):
    ij = [0, 1]
    return np.sum(np.einsum(a, ij, b, [1, 2]))


def test_einsum_interleaved_with_a_broadcast_ellipsis(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 3, 2))
    assert_both_modes(einsum_interleaved_ellipsis, (a, b), wrt=0)
    assert_both_modes(einsum_interleaved_ellipsis, (a, b), wrt=1)


def test_einsum_interleaved_sublist_it_cannot_read_is_refused(rng):
    with pytest.raises(s2sgrad.GradError, match="sublists of the interleaved form"):
        s2sgrad.grad(einsum_interleaved_named_sublist)(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)))


def test_einsum_interleaved(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    assert_both_modes(einsum_transpose_interleaved, (a,))
    for f in (einsum_product_interleaved, einsum_implicit_interleaved):
        assert_both_modes(f, (a, b), wrt=0)
        assert_both_modes(f, (a, b), wrt=1)


# --------------------------------------------------------------------------------- np.unique
def unique_values(x):
    return np.sum(np.sin(np.unique(x)) * np.arange(1.0, 4.0))


def unique_with_counts(x):
    values, index, counts = np.unique(x, return_index=True, return_counts=True)
    return np.sum(np.sin(values) * counts) + np.sum(index * 0.0)


def unique_inverse_rebuilds(x):
    values, inverse = np.unique(x, return_inverse=True)
    return np.sum(np.sin(values[inverse]).reshape(x.shape) * x)   # (inverse is flat before NumPy 2)


def test_unique_values_carry_their_elements_derivatives():
    x = np.array([[3.0, 1.0], [2.5, 0.5]])
    assert_both_modes(unique_values, (np.array([3.0, 1.0, 2.0]),))
    assert_both_modes(unique_with_counts, (x,))
    assert_both_modes(unique_inverse_rebuilds, (x,))


def test_unique_gives_a_merged_value_to_its_first_occurrence():
    x = np.array([3.0, 1.0, 2.0, 1.0])            # as JAX: the first of equal elements takes the derivative
    expected = np.zeros(4)
    expected[[1, 2, 0]] = np.cos([1.0, 2.0, 3.0]) * np.arange(1.0, 4.0)
    np.testing.assert_allclose(s2sgrad.grad(unique_values)(x), expected)
    np.testing.assert_allclose(s2sgrad.jacobian(unique_values, mode="forward")(x), expected)


# --------------------------------------------------------------------------- np.r_ and np.c_
def r_of_vectors_and_numbers(x):
    return np.sum(np.sin(np.r_[x, 2.0 * x[0], x]) * np.arange(7.0))


def r_of_matrices(x):
    return np.sum(np.sin(np.r_[x, x * x]) * np.arange(12.0).reshape(4, 3))


def c_of_vectors(x):
    return np.sum(np.sin(np.c_[x, x ** 2]) * np.arange(6.0).reshape(3, 2))


def c_of_matrices(x):
    m = np.reshape(x, (3, 1))
    return np.sum(np.sin(np.c_[m, m * 2]) * np.arange(6.0).reshape(3, 2))


def r_of_a_constant_range(x):
    return np.sum(x[np.r_[0:2, 2]] ** 2)


def r_with_a_directive(x):
    return np.sum(np.r_["0,2", x, x])


def test_r_and_c_concatenate_with_derivatives():
    x = np.array([0.5, -1.0, 2.0])
    for f in (r_of_vectors_and_numbers, c_of_vectors, c_of_matrices, r_of_a_constant_range):
        assert_both_modes(f, (x,))
    assert_both_modes(r_of_matrices, (np.arange(6.0).reshape(2, 3) / 5,))


def test_r_with_a_string_directive_is_refused():
    with pytest.raises(s2sgrad.GradError, match=r"np.r_\[...\] with a string directive.*\n.*np.concatenate"):
        s2sgrad.grad(r_with_a_directive)(np.ones(3))


# ------------------------------------------------------------------------------ stacked matrices
def _symmetric(a):
    return a + np.swapaxes(a, -1, -2)


def stacked_eigh(a):
    w, V = np.linalg.eigh(_symmetric(a))
    return np.sum(np.sin(w)) + np.sum(V ** 2 * np.arange(9.0).reshape(3, 3))   # squares: signs of V cancel


def stacked_eigh_upper(a):
    w, V = np.linalg.eigh(a, UPLO="U")
    return np.sum(w * np.arange(3.0)) + np.sum(V ** 2 * np.arange(9.0).reshape(3, 3))


def stacked_eigvalsh(a):
    return np.sum(np.sin(np.linalg.eigvalsh(_symmetric(a)))) + np.sum(np.linalg.eigvalsh(a, UPLO="U") ** 2)


def stacked_svd(a):
    U, s, Vh = np.linalg.svd(a, full_matrices=False)
    return (np.sum(np.sin(s)) + np.sum(U ** 2 * np.arange(1.0, U.shape[-1] + 1))
            + np.sum(Vh ** 2 * np.arange(9.0).reshape(3, 3)))


def stacked_singular_values(a):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False))) + np.sum(np.linalg.svd(a, full_matrices=False)[1] ** 2)


def singular_values_of_full_factors(a):
    return np.sum(np.linalg.svd(a)[1] ** 2)


def stacked_pinv(a):
    return np.sum(np.sin(np.linalg.pinv(a)))


def stacked_cholesky(a):
    return np.sum(np.sin(np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))))


def stacked_qr(a):
    Q, R = np.linalg.qr(a)
    signs = np.sign(np.diagonal(R, axis1=-2, axis2=-1))[..., None]      # R's rows with a positive diagonal
    return np.sum(np.sin(R * signs)) + np.sum(Q ** 2 * np.arange(1.0, 4.0))


def stacked_matrix_power(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 3))) + np.sum(np.linalg.matrix_power(a, -2))


def stacked_others(a):
    return (np.sum(np.sin(np.linalg.inv(a))) + np.sum(np.linalg.det(a)) + np.sum(np.linalg.slogdet(a)[1])
            + np.sum(np.sin(np.linalg.solve(a, np.ones((2, 3, 1))))) + np.sum(np.linalg.norm(a, axis=(-2, -1))))


STACKED = [stacked_eigh, stacked_eigh_upper, stacked_eigvalsh, stacked_svd, stacked_singular_values, stacked_pinv,
           stacked_cholesky, stacked_qr, stacked_matrix_power, stacked_others]


@pytest.mark.parametrize("f", STACKED, ids=lambda f: f.__name__)
def test_stacked_matrices(f, rng):
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    if f is stacked_eigh_upper:
        a = _symmetric(a)
    assert_both_modes(f, (a,), atol=1e-5)


def test_stacked_tall_matrices(rng):
    a = rng.normal(size=(2, 4, 3))
    for f in (stacked_svd, stacked_singular_values, stacked_pinv, stacked_qr):
        assert_both_modes(f, (a,), atol=1e-5)


def test_singular_values_from_the_full_factors_of_tall_matrices(rng):
    for a in (rng.normal(size=(4, 3)), rng.normal(size=(2, 4, 3))):     # (forward mode refuses full U, Vh there)
        np.testing.assert_allclose(s2sgrad.grad(singular_values_of_full_factors)(a),
                                   numerical_grad(singular_values_of_full_factors, (a,), 0), atol=1e-5)
