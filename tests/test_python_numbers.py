"""Values taken out of arrays as Python numbers (``float(s)``, ``s.item()``) keep their derivative, as
the user's arithmetic on them does; ``x.tolist()`` is refused where a derivative would flow through it
(it used to be taken for a constant: a zero gradient that looked right)."""

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close


def loss_returned_with_item(x, w):
    loss = np.mean((x @ w - 1.0) ** 2)
    return loss.item()                  # as PyTorch code writes it


def number_used_again(x):
    s = np.sum(x ** 2).item()
    t = float(np.sum(x))
    return s * t + np.sum(x)


def item_for_a_message_only(x):
    value = np.sum(x ** 2)
    shown = value.item()
    message = f"loss {shown:.3f}"
    return value


@pytest.mark.parametrize("func, wrt", [(loss_returned_with_item, (0, 1)), (number_used_again, (0,)),
                                       (item_for_a_message_only, (0,))])
def test_a_python_number_keeps_its_derivative(func, wrt, rng):
    args = (rng.normal(size=(4, 3)), rng.normal(size=3)) if func is loss_returned_with_item else (rng.normal(size=3),)
    grads = s2sgrad.grad(func, wrt=wrt)(*args)
    assert_grads_close(func, grads, args, wrt)
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in wrt)
    _, tangent = s2sgrad.jvp(func, wrt=wrt)(*args, tangents)
    np.testing.assert_allclose(tangent, sum(np.sum(g * t) for g, t in zip(grads, tangents)), rtol=1e-7, atol=1e-9)


def through_a_python_list(x):
    values = (x * 2).tolist()
    return sum(v * v for v in values)


def a_list_of_data(x, data):
    weights = data.tolist()             # no derivative flows through: fine
    return np.sum(x * np.array(weights))


def test_tolist_on_a_value_with_a_derivative_is_refused(rng):
    with pytest.raises(s2sgrad.GradError, match=r"no derivative rule for the method \.tolist\(\)") as info:
        s2sgrad.grad(through_a_python_list)(rng.normal(size=3))
    assert "x[i]" in info.value.hint
    x, data = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(s2sgrad.grad(a_list_of_data)(x, data), data)


def branch_on_a_python_float(a, W):
    m = np.negative(a)
    m -= (m if float(np.sum(m)) > 0 else np.arctan(a)).T
    return np.mean(np.cos(m) * m) + np.sum(W)


def test_a_branch_that_gives_a_python_float_only_on_the_path_the_probe_did_not_take():
    """The code generated at a < 0 (the branch m, a NumPy float) serves a > 0 too, where the branch's
    tangent is da / (1 + a ** 2), a Python float with no .T (the campaign's seed 2705233, shrunk)."""
    W = np.array([0.5, -1.0])
    forward = s2sgrad.jvp(branch_on_a_python_float, wrt=0)
    for a in (-0.3, 0.4):            # one specialization: a is a float both times
        _, tangent = forward(a, W, 1.0)
        expected = (branch_on_a_python_float(a + 1e-6, W) - branch_on_a_python_float(a - 1e-6, W)) / 2e-6
        assert tangent == pytest.approx(expected, rel=1e-6)
        assert s2sgrad.grad(branch_on_a_python_float)(a, W) == pytest.approx(expected, rel=1e-6)
