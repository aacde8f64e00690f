"""Calls that change an array in place (s2sgrad/mutation.py): refused where the array carries a derivative
(tests/test_errors.py), accepted, and right, where it carries none.

A call such as ``w.fill(2.0)`` or ``np.exp(c, out=w)`` on a constant, or
``idx.sort()`` on an integer index array, runs in the primal as written: each
accepted case below is checked against central finite differences in both
modes, and its value against the function's. The forward transformer
differentiates the list methods on the tangent lists; those are checked here
too, and method mappings that must copy (``x.flatten()``) are checked to copy.
"""

import numpy as np
import pytest

from finite_differences import numerical_grad
from s2sgrad import GradError, jvp, value_and_grad


# ------------------------------------------------------- accepted: no derivative flows through the write
def sorts_an_index_array(x):
    idx = np.array([2, 0, 1])
    idx.sort()                      # integers: no derivative
    return np.sum(x[idx] * np.arange(3.0))


def fills_a_constant(x):
    w = np.zeros(3)
    w.fill(2.0)
    return np.sum(x * w)


def writes_a_constant_by_out(x):
    w = np.zeros(3)
    b = w + 1.0                     # read before the write: the old values
    np.exp(np.array([0.1, 0.2, 0.3]), out=w)
    return np.sum(x * b * w)


def fills_after_a_read(x):
    w = np.array([1.0, 2.0, 3.0])
    a = np.sin(w)
    w.fill(0.5)
    return np.sum(x * a) + np.sum(x * (a + w))


def sorts_a_constant_after_a_loop_read_it(x):
    cs = np.array([3.0, 1.0, 2.0])
    y = x
    for c in cs:
        y = np.sin(y) * c           # the reverse sweep needs each c as it was
    cs.sort()
    return np.sum(y)


def fills_a_constant_inside_a_loop(x):
    cs = np.array([3.0, 1.0, 2.0])
    y = x
    for i in range(3):
        y = np.sin(y) * cs[i]
        cs.fill(2.0)
    return np.sum(y)


def writes_a_value_nothing_reads_later(x):
    y = x * 2.0
    np.sin(x, out=y)                # y carries a derivative, but the result does not depend on it
    return np.sum(x ** 2)


def marks_an_array_read_only(x):
    y = x * 2.0
    y.setflags(write=False)         # changes no value
    return np.sum(y * y)


def flattens_then_writes(X):
    y = X.T.flatten()               # a copy: the write below does not reach X
    y[1] = 3.0
    return np.sum(np.sin(y) * X.ravel()) + np.sum(X)


ACCEPTED = [
    (sorts_an_index_array, np.array([0.3, 0.1, 0.7])),
    (fills_a_constant, np.array([0.3, 0.1, 0.7])),
    (writes_a_constant_by_out, np.array([0.3, 0.1, 0.7])),
    (fills_after_a_read, np.array([0.3, 0.1, 0.7])),
    (sorts_a_constant_after_a_loop_read_it, np.array([0.3, 0.1, 0.7])),
    (fills_a_constant_inside_a_loop, np.array([0.3, 0.1, 0.7])),
    (writes_a_value_nothing_reads_later, np.array([0.3, 0.1, 0.7])),
    (marks_an_array_read_only, np.array([0.3, 0.1, 0.7])),
    (flattens_then_writes, np.array([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]])),
]


@pytest.mark.parametrize("func, x", ACCEPTED, ids=[f.__name__ for f, _ in ACCEPTED])
def test_writes_that_carry_no_derivative_are_accepted_and_right(func, x):
    expected = numerical_grad(func, (x,), 0)
    value, g = value_and_grad(func)(x.copy())
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(value, func(x.copy()))
    direction = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    value, tangent = jvp(func)(x.copy(), direction)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(value, func(x.copy()))


# -------------------------------------------------- forward mode: list methods follow on the tangent list
def reverses_a_list(x):
    hs = [x * 2.0, np.sin(x)]
    hs.reverse()
    return np.sum(hs[0] * x)


def extends_a_list(x):
    hs = [x * 2.0]
    hs.extend([np.sin(x), x ** 2])
    return np.sum(hs[1] * hs[2])


def inserts_into_a_list(x):
    hs = [x * 2.0]
    hs.insert(0, np.cos(x))
    return np.sum(hs[0] * hs[1])


def pops_and_drops(x):
    hs = [x * 2.0, np.sin(x)]
    hs.pop()
    return np.sum(hs[-1] ** 2)


LIST_METHODS = [reverses_a_list, extends_a_list, inserts_into_a_list, pops_and_drops]


@pytest.mark.parametrize("func", LIST_METHODS, ids=[f.__name__ for f in LIST_METHODS])
def test_forward_mode_differentiates_the_list_methods(func):
    x = np.array([0.3, -0.1, 0.7])
    direction = np.array([0.5, 1.0, -2.0])
    value, tangent = jvp(func)(x, direction)
    np.testing.assert_allclose(tangent, np.sum(numerical_grad(func, (x,), 0) * direction), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(value, func(x))


@pytest.mark.parametrize("func", LIST_METHODS, ids=[f.__name__ for f in LIST_METHODS])
def test_reverse_mode_refuses_them(func):
    with pytest.raises(GradError, match="changes hs in place, which s2sgrad does not differentiate"):
        value_and_grad(func)(np.array([0.3, -0.1, 0.7]))


def drops_items_of_a_constant_list(x):
    hs = []
    hs.append(1.0)
    hs.append(2.0)
    hs.pop()          # the reverse sweep takes back the items appended: this one is gone already
    return np.sum(x * hs[0])


def test_reverse_mode_refuses_a_change_to_a_list_it_appends_to_even_without_derivative():
    with pytest.raises(GradError, match=r"hs\.pop\(\) changes hs in place"):
        value_and_grad(drops_items_of_a_constant_list)(np.array([0.3, -0.1, 0.7]))
    x = np.array([0.3, -0.1, 0.7])
    value, tangent = jvp(drops_items_of_a_constant_list)(x, np.ones(3))
    assert tangent == pytest.approx(3.0) and value == pytest.approx(np.sum(x))


# -------------------------------------------------------------- through shared memory
def fills_a_view_of_a_value_read_later(x):
    y = x * 2.0
    z = y.reshape(-1)       # z carries no derivative the result needs, but it is y's memory
    z.fill(0.0)
    return np.sum(y)


def test_a_write_through_a_view_is_refused_by_the_aliasing_check():
    with pytest.raises(GradError) as info:
        value_and_grad(fills_a_view_of_a_value_read_later)(np.array([0.3, -0.1, 0.7]))
    assert info.value.message.startswith("changing z in place (.fill()) is not supported here: z may share "
                                         "memory with y")


def test_flatten_copies_where_ravel_may_not():
    """x.flatten() is never a view of x (np.ravel(x) may be): the generated primal copies, as NumPy does."""
    x = np.array([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]])
    source = value_and_grad(flattens_then_writes).source_for(x)
    assert "np.copy(np.ravel(" in source
    before = x.copy()
    value_and_grad(flattens_then_writes)(x)
    np.testing.assert_array_equal(x, before)
