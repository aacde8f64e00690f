"""Nested tuple unpacking: of tuple displays, of names holding tuples, of calls' results, in loop targets.

``(p, q), r = (x, 2 * x), x`` was refused as "the name t2 is not defined": the
inner display, already normalized into a temporary, was read again as if the
user had written its name. Each case is checked against central finite
differences in reverse mode, and forward mode against reverse mode.
"""

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close


def nested_displays(x):
    (p, q), r = (x, 2 * x), x
    return np.sum(p * q * r)


def deeper_displays(x):
    a, (b, (c, d)) = x, (x * 2, (x * 3, np.sin(x)))
    return np.sum(a * b * c * d)


def a_name_holding_a_tuple(x):
    t = (x, 2 * x)
    t = (t[1], t[0] * 3)        # (t is a new version here: the unpacking reads this one)
    (p, q), r = t, x
    return np.sum(p * q * r)


def a_calls_results(x):
    (p, q), r = np.split(x, [1]), x
    return np.sum(p) * np.sum(q ** 2) * np.sum(r)


def chained_targets(x):
    a = b = (x, x * 2)
    (p, q) = c = (x * 3, x)
    (u, v), w = a, b[1]
    return np.sum(p * q * u * v * w * c[0])


def swaps(x):
    a, b = x, x * 2
    (a, b), c = (b, a), a
    return np.sum(a * b ** 2 * c ** 3)


def loop_targets(x):
    pairs = [(x, 2 * x), (3 * x, x)]
    total = 0.0
    for i, ((p, q), r) in enumerate(zip(pairs, [x, x * x])):
        total = total + np.sum(p * q * r) * (i + 1)
    return total


CASES = [nested_displays, deeper_displays, a_name_holding_a_tuple, a_calls_results, chained_targets, swaps,
         loop_targets]


@pytest.mark.parametrize("func", CASES, ids=[f.__name__ for f in CASES])
def test_nested_unpacking_differentiates(func, rng):
    x = rng.uniform(0.2, 1.0, size=4)
    gradient = s2sgrad.grad(func)(x)
    assert_grads_close(func, [gradient], (x,), (0,))
    v = rng.normal(size=4)
    _, tangent = s2sgrad.jvp(func)(x, v)
    np.testing.assert_allclose(tangent, np.sum(gradient * v), rtol=1e-7, atol=1e-9)
    # and the code for arguments of any shape, as `s2sgrad emit` writes it without example arguments
    namespace = {"np": np}
    exec(s2sgrad.grad(func).generic_source, namespace)
    np.testing.assert_allclose(namespace[f"grad_{func.__name__}"](x), gradient, rtol=1e-12)
