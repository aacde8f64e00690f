"""A rule's simplified instance is reused where a rule meets operands that simplification cannot tell
apart (the same shapes, the same constants, the same names alike); these are the cases it must tell apart."""

import numpy as np

import s2sgrad
from finite_differences import assert_grads_close


# (each result goes through np.sin, so that its adjoint reaches the rule as a name, not as one number)
def same_rule_on_one_name_and_on_two(x, y):
    a = x * y                  # g * y to x
    b = x * x                  # g * x to each operand: the same rule, one name twice
    c = y * x
    return np.sum(np.sin(a) + np.sin(b) + np.sin(c))


def same_rule_on_arrays_of_other_shapes(A, B, v):
    t = A @ v                  # matmul's vjps on a matrix and a vector, then on two matrices
    T = A @ B
    m = np.mean(A)             # the mean's adjoint divides by the size: 16, then 4
    n = np.mean(v)
    return np.sum(np.sin(t)) + np.sum(np.sin(T)) + np.sin(m) + np.sin(n)


def same_rule_with_other_constants(A):
    p = np.sum(A, axis=0)      # (A is square: the adjoints are alike but for the axis)
    q = np.sum(A, axis=1)
    r = np.mean(A, axis=0)
    u = np.mean(A, axis=1)
    return np.sum(np.sin(p) * np.arange(4.0)) + np.sum(np.sin(q)) + np.sum(np.sin(r) ** 2) + np.sum(np.sin(u) * p)


def test_one_name_twice_is_not_two_names(rng):
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert_grads_close(same_rule_on_one_name_and_on_two,
                       s2sgrad.grad(same_rule_on_one_name_and_on_two, wrt=(0, 1))(x, y), (x, y), (0, 1))


def test_other_shapes_get_their_own_instance(rng):
    A, B, v = rng.normal(size=(4, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    assert_grads_close(same_rule_on_arrays_of_other_shapes,
                       s2sgrad.grad(same_rule_on_arrays_of_other_shapes, wrt=(0, 1, 2))(A, B, v), (A, B, v), (0, 1, 2))


def test_other_constants_get_their_own_instance(rng):
    A = rng.normal(size=(4, 4))
    assert_grads_close(same_rule_with_other_constants, [s2sgrad.grad(same_rule_with_other_constants)(A)], (A,), (0,))
