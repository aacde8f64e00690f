"""Second derivatives: Hessians and Hessian-vector products by forward-over-reverse, and nested grad.

Forward mode is applied to the *generated* reverse-mode source, so these tests
also prove that the code reverse mode writes stays inside what s2sgrad can
differentiate.
"""

import re

import numpy as np
import pytest

from s2sgrad import GradError, grad, hessian, hvp, jvp

from finite_differences import jacobian_by_differences
from lecture import cost, make_data


def logistic_loss(w, X, y, lam):
    """L2-regularized logistic regression, labels in {0, 1}."""
    z = X @ w
    return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * lam * np.sum(w ** 2)


def logistic_data(rng, n=30, d=4):
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(float)
    return rng.normal(size=d), X, y, 0.1


def gradient_differences(f, args, index, eps=1e-6):
    """Central differences of s2sgrad's reverse-mode gradient: the Hessian, one column per element."""
    return jacobian_by_differences(grad(f, wrt=index), args, index, eps)


def symmetric(H, shape):
    n = int(np.prod(shape))
    M = H.reshape(n, n)
    return np.allclose(M, M.T, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------- Hessians
def test_lecture_hessian_wrt_V(rng):
    args = make_data(rng)
    V = args[3]
    H = hessian(cost, wrt="V")(*args)
    assert H.shape == V.shape + V.shape
    assert symmetric(H, V.shape)
    np.testing.assert_allclose(H, gradient_differences(cost, args, 3), rtol=1e-5, atol=1e-7)


def test_logistic_regression_hessian(rng):
    w, X, y, lam = logistic_data(rng)
    H = hessian(logistic_loss)(w, X, y, lam)
    assert symmetric(H, w.shape)
    np.testing.assert_allclose(H, gradient_differences(logistic_loss, (w, X, y, lam), 0), rtol=1e-5, atol=1e-7)
    p = 1 / (1 + np.exp(-X @ w))
    exact = X.T @ (X * (p * (1 - p))[:, None]) / len(y) + lam * np.eye(len(w))
    np.testing.assert_allclose(H, exact, rtol=1e-10, atol=1e-12)


def diagonal_terms(A):
    """np.diag of a square and np.diagonal of a product: their adjoints are written on a diagonal."""
    return np.sum(np.diag(A) ** 3) + np.sum(np.diagonal(A @ A.T) ** 2)


def tall_diagonal(B):
    return np.sum(np.diag(B) ** 3)


def eigen_energy(A):
    """eigh's adjoint divides by the eigenvalue gaps where they are not zero."""
    w, V = np.linalg.eigh(A + A.T)
    return np.sum(w ** 2) + np.sum(V[:, 0] ** 4)


def singular_values(A):
    return np.sum(np.linalg.svd(A, compute_uv=False) ** 3)


@pytest.mark.parametrize("func, shape", [(diagonal_terms, (3, 3)), (tall_diagonal, (4, 3)), (eigen_energy, (3, 3)),
                                         (singular_values, (4, 3))])
def test_hessian_through_diagonals_and_decompositions(func, shape, rng):
    A = rng.normal(size=shape)
    H = hessian(func)(A)
    assert symmetric(H, A.shape)
    np.testing.assert_allclose(H, gradient_differences(func, (A,), 0), rtol=1e-5, atol=1e-7)


def test_hessian_blocks_for_several_arguments(rng):
    args = make_data(rng, N=4, D=2, M=3, C=2)
    W, V = args[2], args[3]
    blocks = hessian(cost, wrt=("W", "V"))(*args)
    assert [[b.shape for b in row] for row in blocks] == [[W.shape + W.shape, W.shape + V.shape],
                                                          [V.shape + W.shape, V.shape + V.shape]]
    sizes = (W.size, V.size)
    full = np.block([[blocks[i][j].reshape(sizes[i], sizes[j]) for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(full, full.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(blocks[1][1], gradient_differences(cost, args, 3), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------- Hessian-vector products
def test_hvp_is_the_hessian_times_the_vector(rng):
    args = make_data(rng)
    V = args[3]
    v = rng.normal(size=V.shape)
    H = hessian(cost, wrt="V")(*args).reshape(V.size, V.size)
    np.testing.assert_allclose(hvp(cost, wrt="V")(*args, v), (H @ v.reshape(-1)).reshape(V.shape), rtol=1e-10)


def test_hvp_with_several_arguments(rng):
    w, X, y, lam = logistic_data(rng)
    v = (rng.normal(size=w.shape), rng.normal(size=X.shape))
    Hv = hvp(logistic_loss, wrt=(0, 1))(w, X, y, lam, v)
    eps = 1e-6
    g = grad(logistic_loss, wrt=(0, 1))
    up = g(w + eps * v[0], X + eps * v[1], y, lam)
    down = g(w - eps * v[0], X - eps * v[1], y, lam)
    for found, u, d in zip(Hv, up, down):
        np.testing.assert_allclose(found, (u - d) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_hvp_source_is_forward_mode_over_the_generated_gradient(rng):
    args = make_data(rng)
    product = hvp(cost, wrt="V")
    source = product.source_for(*args)
    assert source.startswith("def hvp_cost(X, Y, W, V, *, tV):")
    assert re.search(r"^    dV = .*@ dQ$", source, re.M), source        # the adjoint sweep, as reverse mode wrote it
    assert re.search(r"^    tdV = .*@ tdQ$", source, re.M), source      # and its tangent beside it


# ------------------------------------------------------------------ nesting
def cubic_sine(x):
    return np.sin(x) * x ** 2


def test_grad_of_grad_of_a_scalar_function():
    x = 0.7
    second = 2 * np.sin(x) + 4 * x * np.cos(x) - x ** 2 * np.sin(x)
    third = 6 * np.cos(x) - 6 * x * np.sin(x) - x ** 2 * np.cos(x)
    assert grad(grad(cubic_sine))(x) == pytest.approx(second, rel=1e-12)
    assert grad(grad(grad(cubic_sine)))(x) == pytest.approx(third, rel=1e-12)


gradient_of_loss = grad(logistic_loss)


def squared_gradient_norm(w, X, y, lam):
    g = gradient_of_loss(w, X, y, lam)       # a generated gradient, called inside a differentiated function
    return np.sum(g ** 2)


def test_grad_of_a_function_that_calls_a_generated_gradient(rng):
    w, X, y, lam = logistic_data(rng)
    found = grad(squared_gradient_norm)(w, X, y, lam)
    H = hessian(logistic_loss)(w, X, y, lam)
    np.testing.assert_allclose(found, 2 * H @ gradient_of_loss(w, X, y, lam), rtol=1e-10)


def test_forward_over_a_generated_gradient(rng):
    w, X, y, lam = logistic_data(rng)
    v = rng.normal(size=w.shape)
    _, tangent = jvp(gradient_of_loss)(w, X, y, lam, v)
    np.testing.assert_allclose(tangent, hvp(logistic_loss)(w, X, y, lam, v), rtol=1e-10)


def test_hessian_of_an_array_valued_function_is_a_grad_error(rng):
    def not_scalar(x):
        return x ** 2
    with pytest.raises(GradError, match="scalar"):
        hessian(not_scalar)(rng.normal(size=3))


def test_newton_sample_converges_in_a_handful_of_steps():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # samples/ is not installed
    from samples import newton

    X, y = newton.make_data(np.random.default_rng(newton.SEED))
    w_newton, newton_steps = newton.fit_newton(X, y)
    w_descent, descent_steps = newton.fit_gradient_descent(X, y)
    assert newton_steps <= 8
    assert descent_steps > 10 * newton_steps
    np.testing.assert_allclose(w_newton, w_descent, atol=1e-8)
