"""Logistic regression fitted by Newton's method, with the Hessian s2sgrad generates.

Run with ``python samples/newton.py``. A synthetic, seeded data set (two
overlapping classes in a few dimensions, plus a bias column) is fitted by
minimizing the L2-regularized mean logistic loss two ways, to the same
tolerance on the gradient's norm:

* Newton's method, ``w <- w - H(w)^-1 g(w)``, with ``g = grad(loss)`` and
  ``H = hessian(loss)``: a handful of steps, since it converges quadratically;
* gradient descent with the textbook fixed step 1/L (L bounds the Hessian's
  largest eigenvalue): hundreds of steps, since it converges only linearly,
  at a rate set by the Hessian's condition number.

The Hessian is forward mode applied to the generated reverse-mode gradient
(forward-over-reverse); its source, printed at the end, is the gradient's
code with a tangent computed beside each value. Runs in a second or two.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # use this checkout's s2sgrad, installed or not

from s2sgrad import grad, hessian  # noqa: E402

N, D = 200, 4
LAM = 0.01           # L2 regularization strength
TOLERANCE = 1e-10    # stop when the gradient's norm falls below this
SEED = 0


def loss(w, X, y, lam):
    """Mean logistic loss of the scores X @ w against labels y in {0, 1}, plus (lam / 2) |w|^2."""
    z = X @ w
    return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * lam * np.sum(w ** 2)


def make_data(rng, n=N, d=D):
    """Points around two centres (overlapping, so the fit is finite), with a bias column; labels 0/1."""
    y = (rng.random(n) < 0.5).astype(float)
    centres = np.where(y[:, None] == 1.0, 0.7, -0.7)
    features = centres + rng.normal(size=(n, d - 1))
    return np.hstack([features, np.ones((n, 1))]), y


def fit_newton(X, y, lam=LAM, tol=TOLERANCE, max_steps=50):
    """Newton's method from zero; returns the weights and the number of steps taken."""
    gradient, curvature = grad(loss), hessian(loss)
    w = np.zeros(X.shape[1])
    for step in range(max_steps + 1):
        g = gradient(w, X, y, lam)
        if np.linalg.norm(g) < tol:
            return w, step
        w = w - np.linalg.solve(curvature(w, X, y, lam), g)
    raise RuntimeError(f"Newton's method did not converge in {max_steps} steps")


def fit_gradient_descent(X, y, lam=LAM, tol=TOLERANCE, max_steps=100_000):
    """Gradient descent from zero with step 1/L; returns the weights and the number of steps taken.

    L = largest eigenvalue of X^T X / (4 N) + lam bounds the Hessian's, since
    the logistic function's slope is at most 1/4.
    """
    gradient = grad(loss)
    step_size = 1 / (np.linalg.eigvalsh(X.T @ X / (4 * len(y))).max() + lam)
    w = np.zeros(X.shape[1])
    for step in range(max_steps + 1):
        g = gradient(w, X, y, lam)
        if np.linalg.norm(g) < tol:
            return w, step
        w = w - step_size * g
    raise RuntimeError(f"gradient descent did not converge in {max_steps} steps")


def main():
    X, y = make_data(np.random.default_rng(SEED))
    w_newton, newton_steps = fit_newton(X, y)
    w_descent, descent_steps = fit_gradient_descent(X, y)
    print(f"logistic regression, N = {len(y)}, D = {X.shape[1]}, lambda = {LAM}, "
          f"stopping at |gradient| < {TOLERANCE:g}")
    print(f"  Newton's method (s2sgrad.hessian):  {newton_steps:6d} steps")
    print(f"  gradient descent (step 1/L):        {descent_steps:6d} steps")
    print(f"  largest difference between the two fits: {np.abs(w_newton - w_descent).max():.1e}")
    print(f"  training accuracy: {np.mean((X @ w_newton > 0) == (y == 1)):.3f}")
    print("\nThe Hessian-vector product s2sgrad generated (forward mode over the reverse-mode gradient):\n")
    print(hessian(loss).source)


if __name__ == "__main__":
    main()
