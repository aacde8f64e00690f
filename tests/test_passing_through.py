"""Where an operand's adjoint is the incoming adjoint itself (``R = A + B``: dA is dR), reverse mode
names it so instead of writing a copy ``dA = dR`` for the cleanup passes to fold away. These are the
cases where a copy is still needed: the two must stay apart, or the copy is what the cleanup keeps."""

import numpy as np

import s2sgrad
from s2sgrad import optimize
from finite_differences import assert_grads_close


def sum_of_single_use_values(x, y):
    a = np.sin(x)
    b = np.cos(y)
    r = a + b                # da and db are dr: no copies
    return np.sum(np.sin(r))


def operand_written_into_later(x, v):
    b = x * 3.0
    a = x * 1.0
    a[0] = v                 # the sweep zeroes da[0] in place: da must not be db's memory
    r = a + b
    return np.sum(r * r)


def incoming_adjoint_added_to(x, y):
    a = np.sin(x)
    b = np.cos(y)
    r = a + b                # r read twice: dr is assigned twice, so da and db are copies of it
    return np.sum(r * r)


def _unoptimized_source(f, *args, wrt):
    with optimize.disabled():
        return s2sgrad.grad(f, wrt=wrt).source_for(*args)


def test_single_use_operands_take_the_incoming_name(rng):
    x, y = rng.normal(size=4), rng.normal(size=4)
    text = _unoptimized_source(sum_of_single_use_values, x, y, wrt=(0, 1))
    assert "da = " not in text and "db = " not in text, text
    assert "dx = dr * np.cos(x)" in text, text
    assert_grads_close(sum_of_single_use_values, s2sgrad.grad(sum_of_single_use_values, wrt=(0, 1))(x, y),
                       (x, y), (0, 1))


def test_an_operand_written_into_keeps_memory_of_its_own(rng):
    x, v = rng.normal(size=4), np.array(0.7)
    text = _unoptimized_source(operand_written_into_later, x, v, wrt=(0, 1))
    assert "da = dr" in text, text
    assert_grads_close(operand_written_into_later, s2sgrad.grad(operand_written_into_later, wrt=(0, 1))(x, v),
                       (x, v), (0, 1))


def test_an_incoming_adjoint_assigned_twice_is_copied(rng):
    x, y = rng.normal(size=4), rng.normal(size=4)
    text = _unoptimized_source(incoming_adjoint_added_to, x, y, wrt=(0, 1))
    assert "dr = dr + " in text and "da = dr" in text and "db = dr" in text, text
    assert_grads_close(incoming_adjoint_added_to, s2sgrad.grad(incoming_adjoint_added_to, wrt=(0, 1))(x, y),
                       (x, y), (0, 1))
