"""Simplification that spares array passes: numbers are scaled and negated, not the arrays they multiply."""

import ast
import re

import gast
import numpy as np

import s2sgrad
from s2sgrad.simplify import simplify

import identity_functions as fns


def simplified(text, shapes=None):
    node = simplify(gast.parse(text, mode="eval").body, shapes)
    return ast.unparse(gast.gast_to_ast(node))


def test_a_power_of_two_scales_the_number_first():
    assert simplified("s * (2 * x)", {"s": ()}) == "2 * s * x"
    assert simplified("s * (0.5 * x)", {"s": ()}) == "s * (0.5 * x)"     # halving may round a subnormal
    assert simplified("s * (3 * x)", {"s": ()}) == "s * (3 * x)"         # tripling rounds
    assert simplified("s * (2 * x)") == "s * (2 * x)"                    # s may be an array


def test_a_number_is_negated_not_the_array():
    assert simplified("-c * y", {"c": ()}) == "-c * y"
    assert simplified("-(c * y)", {"c": ()}) == "-c * y"
    assert simplified("-c * y") == "-(c * y)"                          # c may be an array


def test_a_mean_loss_gradient_negates_its_scale_factor(rng):
    args = (rng.normal(size=5), rng.normal(size=(40, 5)), (rng.random(40) > 0.5).astype(float))
    g = s2sgrad.grad(fns.logistic_loss)
    source = g.source_for(*args)
    assert re.search(r"ds = -dt\d+ \* y\n", source), source
    w, X, y = args
    exact = X.T @ (1 / (1 + np.exp(-(X @ w))) - y) / len(y)
    np.testing.assert_allclose(g(*args), exact, rtol=1e-12)


def test_one_point_zero_times_an_integer_stays_a_float():
    """A uniform adjoint (1.0) scaled by an integer is a float: folded to 3, the gradient of a * 3
    came out as the integer 3, and 3 times a mask as integers (a campaign find)."""
    assert simplified("1.0 * 3") == "3.0"
    assert simplified("3 * 1.0") == "3.0"
    assert simplified("3 / 1") == "3.0"
    assert simplified("1 * 3") == "3"
    assert type(s2sgrad.grad(lambda_free_triple)(0.5)) is float


def lambda_free_triple(a):
    return a * 3


def test_two_numbers_fold_where_the_result_reads_as_well():
    assert simplified("2 * 0.5 * x") == "x"                       # 1.0 * x
    assert simplified("(1 - 0.25) * x") == "0.75 * x"
    assert simplified("0.1 * 3 * x") == "0.1 * 3 * x"             # not 0.30000000000000004 * x
    assert simplified("-1.0 / 25.0 * x") == "-1.0 / 25.0 * x"     # a division stays as written
    assert simplified("10 ** 400 * 0.5 * x") == "10 ** 400 * 0.5 * x"    # too large for a float: Python says so


def test_adding_a_negative_number_subtracts():
    assert simplified("d + -0.5") == "d - 0.5"
    assert simplified("d - -1.0") == "d + 1.0"
    assert simplified("d + -c") == "d - c"


def test_a_broadcast_that_the_product_makes_anyway_is_left_out():
    shapes = {"v": (3, 2), "t": (3, 2), "e": (3, 1)}
    assert simplified("np.broadcast_to(e, v.shape) * v", shapes) == "e * v"
    assert simplified("np.broadcast_to(e, t.shape) * (2 * v)", shapes) == "e * (2 * v)"    # v is shaped as t
    assert simplified("np.broadcast_to(e, t.shape) * (2 * w)", shapes) == "np.broadcast_to(e, t.shape) * (2 * w)"


def test_a_copy_of_a_copy_is_one_copy():
    assert simplified("np.copy(np.copy(x))") == "np.copy(x)"
    assert simplified("np.copy(x.T)") == "np.copy(x.T)"
