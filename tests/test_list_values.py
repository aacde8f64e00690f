"""Lists and tuples as values: concatenated, sliced, repeated, copied, reversed, summed, unpacked, stacked.

On lists ``+`` concatenates and ``*`` repeats, and an adjoint list added to
another with ``+`` would grow instead of summing: each pattern here is checked
against central finite differences in reverse mode (``grad``, and the value of
``value_and_grad``) and forward mode (``jvp`` along a random tangent). The
refused list constructs are audited in test_errors.py.
"""

import numpy as np
import pytest

import s2sgrad
from s2sgrad import grad, jvp, value_and_grad
from finite_differences import assert_grads_close

W = np.random.default_rng(7).normal(size=(3, 3)) * 0.5


def concatenates(x):
    hs = [x * 2]
    hs = hs + [x * 3, x * 4]
    return np.sum(hs[1])                    # 3, not 4: the adjoint lines up with the concatenated list


def concatenates_on_the_left(x):
    hs = [x * 2]
    hs = [x * 3, np.ones(3)] + hs           # an item that carries no derivative keeps its slot
    return np.sum(hs[2] * hs[0] * hs[1])


def concatenates_a_list_with_itself(x):
    a = [x * 2]
    b = [np.sin(x)]
    c = a + b
    d = c + a
    return np.sum(d[0] * d[1] * d[2])


def drops_the_last(x):
    hs = [x * 2, x * 3]
    hs = hs[:-1]
    return np.sum(hs[-1])                   # 2, not 3


def reverses_by_slice(x):
    hs = [x * 2, x * 3]
    hs = hs[::-1]
    return np.sum(hs[0] * 5 + hs[1])


def slices_overlapping(x):
    hs = [x * 2, x * 3, np.sin(x)]
    a = hs[1:]
    b = hs[:2]
    return np.sum(a[0] * b[1]) + np.sum(a[1] * b[0])


def repeats(x):
    hs = [x * 2, np.cos(x)] * 2
    return np.sum(hs[0] * hs[3] + hs[2])


def repeats_on_the_left(x):
    hs = 3 * [x]
    return np.sum(hs[0] * hs[1] * hs[2])


def copies(x):
    hs = [x * 2, x * 3]
    ks = list(hs)
    t = tuple(ks)
    return np.sum(ks[1] * t[0])


def lists_the_rows(x):
    rows = list(np.outer(x, x))
    return np.sum(rows[0] * rows[1])


def lists_reversed(x):
    hs = [x * 2, np.sin(x)]
    ks = list(reversed(hs))
    return np.sum(ks[0] * 5 + ks[1])


def lists_rows_reversed(x):
    rows = list(reversed(np.outer(x, x)))
    return np.sum(rows[0] * 3 + rows[1])


def loops_over_reversed(x):
    hs = [x * 2, np.sin(x)]
    s = 0.0
    for h in reversed(hs):
        s = s * 2 + np.sum(h * h)
    return s


def loops_over_reversed_rows(x):
    s = 0.0
    for row in reversed(np.outer(x, x)):
        s = s * 2 + np.sum(np.sin(row))
    return s


def sums_a_slice(x):
    hs = [x * 2, x * 3, np.sin(x)]
    return np.sum(sum(hs[1:]) ** 2)


def unpacks(x):
    hs = [x * 2, np.sin(x)]
    a, b = hs
    c, d, e = (x * 2,) * 3
    return np.sum(a * b * c * d * e)


def zips_in_a_loop(x):
    hs = [x * 2, np.sin(x)]
    s = 0.0
    for i, (h, k) in enumerate(zip(hs[::-1], hs + hs)):
        s = s + (i + 1) * np.sum(h * k)
    return s


def aliases(x):
    hs = [x * 2, np.sin(x)]
    ks = hs
    return np.sum(ks[0]) + np.sum(hs[1] * hs[0])


def concatenates_tuples(x):
    t = (x * 2,)
    t = t + (np.sin(x), x * 4)
    u = t[1:]
    return np.sum(t[1] * t[0] * u[-1])


def rnn_by_concatenation(x):
    hs = [x]
    for t in range(3):
        hs = hs + [np.tanh(hs[-1] @ W)]
    return np.sum(hs[-1]) + np.sum(hs[1] ** 2)


def rnn_by_augmented_concatenation(x):
    hs = [x]
    for t in range(3):
        hs += [np.tanh(hs[-1] @ W)]
    return np.sum(hs[-1] ** 2)


def rnn_stacks_the_states(x):
    hs = [x]
    for t in range(3):
        hs = hs + [np.tanh(hs[-1] @ W)]
    return np.sum(np.stack(hs[1:]) ** 2)


def rnn_backwards_into_an_array(x):
    hs = []
    h = x
    for t in range(3):
        h = np.tanh(h @ W)
        hs = hs + [h]
    return np.sum(np.array(hs[::-1]) * np.arange(3.0)[:, None])


def rnn_with_tuples(x):
    hs = (x,)
    for t in range(2):
        hs = hs + (np.tanh(W @ hs[-1]),)
    return np.sum(hs[-1] * hs[0])


def stacks_rows_built_in_a_loop(x):
    rows = []
    for k in range(3):
        rows.append(x * (k + 1))
    return np.sum(np.vstack(rows) ** 2)         # (a list built earlier: its pieces are split at run time)


def stacks_a_named_list_side_by_side(x):
    parts = [x, np.sin(x)]
    return np.sum(np.hstack(parts) ** 2)


def stacks_columns_built_in_a_loop(x):
    cols = []
    for k in range(2):
        cols.append(np.cos(x * k))
    return np.sum(np.column_stack(cols) ** 3)


def stacks_planes_of_a_named_list(x):
    planes = [x, x * x]
    return np.sum(np.dstack(planes) ** 2)


PATTERNS = [stacks_rows_built_in_a_loop, stacks_a_named_list_side_by_side, stacks_columns_built_in_a_loop,
            stacks_planes_of_a_named_list, concatenates, concatenates_on_the_left, concatenates_a_list_with_itself, drops_the_last,
            reverses_by_slice, slices_overlapping, repeats, repeats_on_the_left, copies, lists_the_rows,
            lists_reversed, lists_rows_reversed, loops_over_reversed, loops_over_reversed_rows, sums_a_slice,
            unpacks, zips_in_a_loop, aliases, concatenates_tuples, rnn_by_concatenation,
            rnn_by_augmented_concatenation, rnn_stacks_the_states, rnn_backwards_into_an_array, rnn_with_tuples]
IDS = [f.__name__ for f in PATTERNS]


@pytest.fixture
def x():
    return np.random.default_rng(3).normal(size=3) * 0.5


@pytest.mark.parametrize("f", PATTERNS, ids=IDS)
def test_reverse_mode(f, x):
    assert_grads_close(f, [grad(f)(x)], [x], [0])
    value, gradient = value_and_grad(f)(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    assert_grads_close(f, [gradient], [x], [0])


@pytest.mark.parametrize("f", PATTERNS, ids=IDS)
def test_forward_mode(f, x):
    v = np.random.default_rng(4).normal(size=3)
    value, tangent = jvp(f)(x, v)
    eps = 1e-6
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, (f(x + eps * v) - f(x - eps * v)) / (2 * eps), rtol=1e-5, atol=1e-8)


def test_the_adjoint_of_a_concatenation_is_split_where_the_lists_meet(x):
    source = grad(concatenates).source_for(x)
    assert "[:len(hs)]" in source and "[len(hs):]" in source, source
    assert "add_each" not in source.split("def grad_concatenates")[1], source    # one contribution each


def test_two_contributions_to_a_list_add_item_by_item(x):
    source = grad(aliases).source_for(x)
    assert "add_each(" in source.split("def grad_aliases")[1], source


def test_adjoint_lists_of_different_lengths_do_not_add_silently():
    with pytest.raises(ValueError):
        s2sgrad.runtime.add_each([np.ones(2)], [np.ones(2), np.ones(2)])


def test_a_module_level_matrix_on_the_right_of_a_vector(x):
    f = lambda x: np.sum(np.tanh(x @ W)) + np.sum(np.tanh(W @ x))  # noqa: E731
    assert_grads_close(f, [grad(f)(x)], [x], [0])


@pytest.mark.parametrize("f", [aliases, sums_a_slice, rnn_by_concatenation, repeats],
                         ids=["aliases", "sums_a_slice", "rnn_by_concatenation", "repeats"])
def test_second_derivatives_through_list_adjoints(f, x):
    """The gradient's own list code (add_each, sum_copies, sliced adjoint lists) differentiated again."""
    gradient, eps = grad(f), 1e-5
    expected = np.stack([(gradient(x + eps * e) - gradient(x - eps * e)) / (2 * eps) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(s2sgrad.hessian(f)(x), expected, rtol=1e-5, atol=1e-6)
