"""Writes through an index that names an element twice: the derivative of what NumPy computes.

``y[[0, 0, 1]] = v`` keeps the last write to each element, and ``y[idx] += v`` (read, add, assign)
adds once per distinct element, the last duplicate's sum winning too; the reverse sweep sent ``dy``
to every duplicate (issue 19, item 11: [1.4, 1.4, 0.8] for [0, 1.4, 0.8]). ``np.add.at`` does add
every duplicate, and so does the adjoint of a read ``x[idx]``. Each case is checked in reverse and
forward mode (and the Hessian) against finite differences.
"""

import numpy as np
import pytest

from s2sgrad import grad

from both_modes import check_modes

WEIGHTS = np.arange(1.0, 5.0)


def assign_constant_repeats(x):
    y = np.zeros(2)
    y[[0, 0, 1]] = x[:3] ** 2
    return np.sum(y * np.array([2.0, 0.4]))


def add_constant_repeats(x):
    y = np.ones(2) * x[3]
    y[[0, 0, 1]] += x[:3] ** 2
    return np.sum(y * np.array([2.0, 0.4]))


def assign_index_argument(x, idx):
    y = np.zeros(4)
    y[idx] = x[:3] ** 2
    return np.sum(y * WEIGHTS)


def add_index_argument(x, idx):
    y = x * 1.0
    y[idx] += x[:3] ** 2
    return np.sum(y ** 2 * WEIGHTS)


def subtract_then_scale(x, idx):
    y = x * 2.0
    y[idx] -= x[:3] * 3.0
    y[idx] *= x[1:]
    return np.sum(y ** 2)


def assign_a_column(x, idx):
    y = np.zeros((4, 2))
    y[idx, 1] = x[:3] ** 2
    y[idx, 0] = 3.0 * x[0]              # a number broadcast to repeated positions
    return np.sum(y ** 2 * np.arange(8.0).reshape(4, 2))


def assign_in_a_loop(x, idx):
    y = np.zeros((3, 4))
    for k in range(3):
        y[k, idx] = x[:3] * x[k]
    return np.sum(y ** 2)


def add_at_every_duplicate(x, idx):
    y = np.zeros(4)
    np.add.at(y, idx, x[:3] ** 2)
    return np.sum(y * WEIGHTS)


def read_every_duplicate(x, idx):
    return np.sum(x[idx] ** 2 * np.arange(1.0, 4.0))


X = np.array([0.3, 0.5, 0.7, 1.1])


@pytest.mark.parametrize("f", [assign_constant_repeats, add_constant_repeats], ids=lambda f: f.__name__)
def test_a_constant_index_with_repeats(f):
    check_modes(f, (X,), second=True)


@pytest.mark.parametrize("f", [assign_index_argument, add_index_argument, subtract_then_scale, assign_a_column,
                               assign_in_a_loop, add_at_every_duplicate, read_every_duplicate],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("idx", [[2, 0, 2], [1, 1, 1], [3, -1, 0], [0, 1, 2]], ids=str)
def test_an_index_argument(f, idx):
    # (no Hessian through np.add.at: its adjoint undoes the write with np.subtract.at, which forward mode
    # refuses)
    check_modes(f, (X, np.array(idx)), second=f is not add_at_every_duplicate)


def test_the_issues_numbers():
    def f(x):
        y = np.zeros(2)
        y[[0, 0, 1]] = x[:3]
        return np.sum(y * np.array([1.4, 0.8]))

    np.testing.assert_allclose(grad(f)(np.ones(4)), [0.0, 1.4, 0.8, 0.0])


def test_indices_that_cannot_repeat_read_as_before(rng):
    """Readability and cost: a slice, a mask, np.arange or distinct constants get no last_writes mask."""
    def f(x):
        y = np.zeros(4)
        y[np.arange(3)] = x[:3] ** 2
        y[x > 0.4] = 2.0 * x[x > 0.4]
        y[[1, 3]] = x[:2] * x[2:]
        y[1:3] = y[1:3] * x[0]
        return np.sum(y * WEIGHTS)

    gradient = grad(f)
    x = rng.random(4)
    check_modes(f, (x,))
    gradient(x)
    assert "last_writes" not in gradient.source


def test_a_written_out_module_carries_the_helper():
    gradient = grad(assign_index_argument)
    gradient(X, np.array([2, 0, 2]))
    assert "def last_writes(" in gradient.source
    namespace = {"np": np, "WEIGHTS": WEIGHTS}
    exec(gradient.source, namespace)
    np.testing.assert_allclose(namespace["grad_assign_index_argument"](X, np.array([2, 0, 2])),
                               grad(assign_index_argument)(X, np.array([2, 0, 2])))
