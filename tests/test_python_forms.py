"""Python forms people write around NumPy: starred items in a tuple or list (``np.zeros((*x.shape, 2))``),
a method's shape passed starred (``x.reshape(*shape)``), the builtin ``sum`` of an array (over its rows),
and a loss kept in a class as a ``@staticmethod``.

Each is checked against central finite differences in reverse mode, and
forward mode against reverse mode.
"""

import numpy as np
import pytest

import s2sgrad
from s2sgrad import GradError


def starred_shape(x):
    z = np.zeros((*x.shape, 2))
    z[..., 0] = x
    z[..., 1] = x ** 2
    return np.sum(z ** 2)


def starred_in_front(x):
    return np.sum(np.broadcast_to(x, (2, *x.shape)) ** 2)


def starred_list_of_arrays(x, y):
    parts = [*[x, y], x * y]
    return np.sum(np.stack(parts) ** 2)


def starred_numbers(x):
    t = (*x, 1.0)
    return t[0] * t[1] + t[2]


def reshape_starred(x):
    shape = (x.shape[0] * x.shape[1],)
    return np.sum(x.reshape(*shape)[::2] * 3.0) + np.sum(x.transpose(*(1, 0))[0] ** 2)


def builtin_sum_of_an_array(x):
    return sum(x ** 2) + sum(np.sin(x))


def builtin_sum_of_rows(A):
    return np.sum(sum(A) ** 2)


class Model:
    @staticmethod
    def loss(W, x):
        return np.sum(np.tanh(x @ W) ** 2)


CASES = [
    (Model.loss, [(3, 2), (4, 3)]),
    (starred_shape, [(2, 3)]),
    (starred_in_front, [(3,)]),
    (starred_list_of_arrays, [(3,), (3,)]),
    (starred_numbers, [(2,)]),
    (reshape_starred, [(2, 3)]),
    (builtin_sum_of_an_array, [(4,)]),
    (builtin_sum_of_rows, [(3, 2)]),
]


@pytest.mark.parametrize("func, shapes", CASES, ids=[f.__name__ for f, _ in CASES])
def test_gradient_matches_finite_differences(func, shapes, rng):
    s2sgrad.check_grad(func, [rng.normal(size=s) for s in shapes], wrt=0)


@pytest.mark.parametrize("func, shapes", CASES, ids=[f.__name__ for f, _ in CASES])
def test_forward_mode_agrees_with_reverse_mode(func, shapes, rng):
    args = [rng.normal(size=s) for s in shapes]
    tangent = rng.normal(size=shapes[0])
    _, forward = s2sgrad.jvp(func)(*args, tangent)
    assert forward == pytest.approx(float(np.sum(s2sgrad.grad(func)(*args) * tangent)), rel=1e-10)


def test_a_starred_call_argument_is_still_refused():
    def scaled(x):
        return np.sum(np.multiply(*[x, x]))
    with pytest.raises(GradError, match="starred argument"):
        s2sgrad.grad(scaled)


def test_sum_of_a_name_in_shape_generic_code_says_what_to_write():
    # a Hessian is built from code for arguments of any shape, where a list and an array look alike
    with pytest.raises(GradError, match=r"np.sum\(x, axis=0\)"):
        s2sgrad.hvp(builtin_sum_of_an_array)
