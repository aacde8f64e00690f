"""Identities: once a logaddexp feeds only its own derivative, the gradient reads the sigmoid instead."""

import ast
import warnings

import gast
import numpy as np

import s2sgrad
from s2sgrad.optimize import disabled as optimizer_disabled
from s2sgrad.rewrites import all_identities

import identity_functions as fns
from finite_differences import assert_grads_close


def test_the_logistic_loss_gradient_is_the_sigmoid_not_a_logaddexp_undone(rng):
    args = (rng.normal(size=5), rng.normal(size=(40, 5)), (rng.random(40) > 0.5).astype(float))
    g = s2sgrad.grad(fns.logistic_loss)
    source = g.source_for(*args)
    assert "np.logaddexp" not in source and "np.tanh(0.5 * s)" in source
    assert_grads_close(fns.logistic_loss, (g(*args),), args, (0,))
    with optimizer_disabled():
        plain = s2sgrad.grad(fns.logistic_loss)(*args)
    np.testing.assert_allclose(g(*args), plain, rtol=1e-13, atol=1e-16)


def test_where_the_value_needs_the_logaddexp_the_derivative_reuses_it(rng):
    args = (rng.normal(size=5), rng.normal(size=(40, 5)), (rng.random(40) > 0.5).astype(float))
    source = s2sgrad.value_and_grad(fns.logistic_loss).source_for(*args)
    assert source.count("np.logaddexp") == 1 and "tanh" not in source


def test_extreme_values_without_overflow_and_either_argument(rng):
    a = np.array([-800.0, -40.0, -1.0, 0.0, 3.0, 40.0, 800.0])
    b = rng.normal(size=a.size)
    exact_a = 2.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
    for wrt, expected in ((0, exact_a), (1, 2.0 - exact_a)):
        g = s2sgrad.grad(fns.logaddexp_first, wrt=wrt)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                np.testing.assert_allclose(g(a, b), expected, rtol=1e-12, atol=1e-15)
        assert "tanh" in g.source and "np.logaddexp" not in g.source


def test_two_derivatives_share_one_logaddexp(rng):
    a, b = rng.normal(size=4), rng.normal(size=4)
    source = s2sgrad.grad(fns.logaddexp_first, wrt=(0, 1)).source_for(a, b)
    assert source.count("np.logaddexp") == 1 and "tanh" not in source


def test_every_identity_holds_numerically(rng):
    a, b = rng.normal(size=50) * 5, rng.normal(size=50) * 5
    for ident in all_identities():
        namespace = {"np": np, "a": a, "b": b}
        pattern = eval(compile(_text(ident.pattern), "<pattern>", "eval"), namespace)
        replacement = eval(compile(_text(ident.replacement), "<replacement>", "eval"), namespace)
        np.testing.assert_allclose(replacement, pattern, rtol=1e-13, atol=1e-15, err_msg=ident.text)


def _text(node):
    return ast.unparse(gast.gast_to_ast(node))
