"""A loop target used again after its loop: the reverse sweep must see the value the name had there.

A reversed loop rebinds its target on every pass and leaves it at the first pass's value; undoing
what ran before the loop then read that value instead of the one before the loop (issue 19, item
10: ``for i, row in enumerate(W): a[i] = ...`` then ``for i in range(2)`` gave the last row no
gradient). Each function here reuses a name in another way; each is checked in reverse and forward
mode (and the Hessian where cheap) against finite differences.
"""

import numpy as np
import pytest

from s2sgrad import GradError, grad, value_and_grad

from both_modes import check_modes


def enumerate_then_range(W):
    a = np.zeros(W.shape)
    for i, row in enumerate(W):
        a[i] = row ** 2
    s = 0.0
    for i in range(2):
        s = s + np.sum(a[i])
    return s + np.sum(a)


def enumerate_then_a_list(W):
    a = np.zeros(W.shape)
    for i, row in enumerate(W):
        a[i] = row ** 2
    for i in [0, 1]:            # a loop replayed from the tape, not from its range
        a[i] = a[i] * 3.0
    return np.sum(a ** 2)


def range_then_break(W):
    a = np.zeros(W.shape)
    for i in range(W.shape[0]):
        a[i] = W[i] ** 2 + W[i]
    for i in range(3):
        if i > 1:
            break
        a[i] = a[i] * 2.0
    return np.sum(a ** 2)


def inner_loop_reuses_the_outer_target(W):
    a = np.zeros(W.shape)
    for i in range(3):
        a[i] = a[i] + W[i] ** 2     # undone after the inner loop's adjoint, with the outer i
        for i in range(2):
            a[i] = a[i] * W[i]
    return np.sum(a)


def loop_inside_a_while_reuses_its_name(W):
    a = np.zeros(W.shape)
    k = 0
    while k < 2:
        i = k + 1
        a[i] = a[i] + W[i] ** 2
        for i in range(2):
            a[i] = a[i] * W[k]
        k = k + 1
    return np.sum(a ** 2)


def comprehension_after_a_loop(W):
    a = np.zeros(W.shape)
    for i, row in enumerate(W):
        a[i] = row ** 3
    i = 1
    b = [a[i] * 2.0 for i in range(2)]
    return np.sum(a ** 2) + np.sum(b[0] * a[i])


def assignment_then_a_loop(W):
    a = np.zeros(W.shape)
    i = 2
    a[i] = W[i] ** 2
    for i in range(2):
        a[i] = W[i] * W[i + 1]
    return np.sum(a ** 2)


FUNCTIONS = [enumerate_then_range, enumerate_then_a_list, range_then_break, inner_loop_reuses_the_outer_target,
             loop_inside_a_while_reuses_its_name, comprehension_after_a_loop, assignment_then_a_loop]


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_a_reused_loop_name(rng, f):
    check_modes(f, (rng.normal(size=(3, 4)),), second=f is not loop_inside_a_while_reuses_its_name)


def test_the_first_loops_last_row_gets_its_gradient(rng):
    """The issue's case, by hand: d/dW of sum(a) + a[0] + a[1] with a = W ** 2 is 2 W (twice in rows 0, 1)."""
    W = rng.normal(size=(3, 4))
    np.testing.assert_allclose(grad(enumerate_then_range)(W), 2 * W * np.array([[2.0], [2.0], [1.0]]))


def test_loops_that_only_share_a_name_record_nothing_for_it(rng):
    """Readability: two loops over ``i`` one after the other need no record of ``i`` between them."""
    def two_loops(W):
        a = np.zeros(W.shape)
        for i in range(3):
            a[i] = W[i] ** 2
        for i in range(3):
            a[i] = a[i] * W[i]
        return np.sum(a)

    gradient = grad(two_loops)
    gradient(rng.normal(size=(3, 4)))
    assert "tape.append(i)" not in gradient.source and "i = tape.pop()" not in gradient.source


# A name holding values of different kinds at different points (issue 19, the fuzzer's reused loop names): an
# integer counter, then rows or an array. One generated name for all of them shared one adjoint (a float adjoint
# added into the counter's integer one, and the counter's "adjoint" flowing on into the rows) and one shape fact
# (the counter's "scalar" used for the array in the shape-generic code). Now a loop target nobody reads after its
# loop is the loop's own name (s2sgrad/loop_names.py), and an assignment after a loop makes a new version.

def rows_then_a_counter_in_an_outer_loop(b):
    y = b[0] * 1.0
    for k in range(2):
        for i in b:
            y = y + i * 2.0
        for i in range(3):
            y = y * (i + 1) * 0.5
    return np.sum(np.sin(y))


def a_counter_then_rows(b):
    y = 1.0
    for i in range(2):
        y = y * (i + 2.0)
    for i in b:
        y = y + np.sin(i)
    return np.sum(y * y)


def a_counter_read_after_its_loop_then_an_array(b):
    for i in range(3):
        b = b * (i + 1.0)
    y = b * i
    i = np.tanh(b)
    i = i * np.sum(i, axis=0)
    return np.sum(np.sin(i + y))


def a_while_counter_then_an_array(b):
    i = 0
    while i < 2:
        b = np.sin(b) * 1.5
        i = i + 1
    i = np.cos(b)
    i = i * np.sum(i)
    return np.sum(np.sin(i))


def a_counter_then_an_array_in_an_outer_loop(b):
    for k in range(2):
        for i in range(2):
            b = b * (i + 1.0)
        i = np.sin(b)
        b = b + i * np.sum(i, axis=-1, keepdims=True)
    return np.sum(b)


def rows_then_an_array_changed_in_place(b):
    s = 0.0
    for i in b:
        s = s + i
    i = s * 2.0
    i += np.sin(s)
    i *= np.sum(i, axis=0)
    return np.sum(np.sin(i))


def a_parameter_reused_as_a_counter(b, i):
    y = b * i
    for i in range(3):
        y = y * (i + 1.0)
    return np.sum(np.sin(y))


KINDS = [rows_then_a_counter_in_an_outer_loop, a_counter_then_rows, a_counter_read_after_its_loop_then_an_array,
         a_while_counter_then_an_array, a_counter_then_an_array_in_an_outer_loop, rows_then_an_array_changed_in_place,
         a_parameter_reused_as_a_counter]


@pytest.mark.parametrize("f", KINDS, ids=lambda f: f.__name__)
def test_a_name_reused_for_another_kind_of_value(rng, f):
    args = (rng.normal(size=(3, 2)),) + ((rng.normal(size=2),) if f is a_parameter_reused_as_a_counter else ())
    for index in range(len(args)):
        check_modes(f, args, index=index, second=True)
    derivative = value_and_grad(f, wrt=tuple(range(len(args))))
    value, grads = derivative(*args)
    generic_value, generic_grads = derivative.generic.function(*args)
    np.testing.assert_allclose(generic_value, value, rtol=1e-12)
    for got, want in zip(derivative._as_requested(generic_grads), grads):   # (the shape-generic code's)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_a_loop_of_its_own_gets_its_own_name(rng):
    """Readability and the reason: the range loop's counter is not the rows' i, so nothing of it is an adjoint."""
    gradient = grad(a_counter_then_rows)
    gradient(rng.normal(size=(3, 2)))
    assert "di = np.zeros_like(i" not in gradient.source and "for i_" in gradient.source


@pytest.mark.parametrize("source_line, f", [
    (2, "counter_then_rows_read_after"), (2, "array_then_a_counter_read_after"), (6, "array_then_a_counter_in_a_helper")])
def test_a_counter_sharing_a_name_read_after_its_loop_is_refused(rng, source_line, f):
    """Where renaming cannot separate them (the name is read after the loop), a range loop's counter and
    another value under one name are refused by name, at the loop's line: the gradient was wrong (or the
    derivative crashed adding a float adjoint into the counter's integer one)."""
    function = REFUSED[f]
    with pytest.raises(GradError) as info:
        grad(function)(rng.normal(size=(3, 2)))
    error = info.value
    assert "reusing i as a range loop's counter and as another value is not supported" in error.message
    assert "for i_ in" in error.hint
    first = function.__code__.co_firstlineno
    assert error.origin.lineno == first + source_line


def counter_then_rows_read_after(b):
    y = 1.0
    for i in range(2):
        y = y * (i + 2.0)
    for i in b:
        y = y + np.sin(i)
    return np.sum(y * y) + np.sum(i * i)


def array_then_a_counter_read_after(b):
    i = b * 2.0
    for i in range(3):
        b = b * (i + 1.0)
    return np.sum(np.sin(b)) * i


def array_then_a_counter_in_a_helper(b):
    i = b * 2.0

    def scaled(x):
        return x * i        # (a local function reads i: the loop cannot have a name of its own)
    y = scaled(b)
    for i in range(3):
        y = y * (i + 1.0)
    return np.sum(np.sin(y))


REFUSED = {f.__name__: f for f in (counter_then_rows_read_after, array_then_a_counter_read_after,
                                   array_then_a_counter_in_a_helper)}


def rebinds_what_it_iterates(W):
    h = W * 2.0
    for h in h:
        y = h * 3.0
    return np.sum(np.sin(h)) + np.sum(y)


def enumerate_rebinds_what_it_iterates(W):
    n = W + 1.0
    for i, n in enumerate(n):
        y = n * 2.0
    return np.sum(n * y)


@pytest.mark.parametrize("f", [rebinds_what_it_iterates, enumerate_rebinds_what_it_iterates],
                         ids=lambda f: f.__name__)
def test_a_loop_rebinding_the_name_it_iterates_over_is_refused(f):
    """``for h in h``: the items and the array walked shared one name and one adjoint, which crashed in the
    generated code (campaign seeds 6002341, 6005863); refused at the loop's line, with renaming as the way out."""
    with pytest.raises(GradError) as info:
        grad(f)(np.ones((2, 3)))
    assert "rebinds the name it iterates over" in info.value.message and "another name" in info.value.hint
    assert info.value.origin.lineno == f.__code__.co_firstlineno + 2
