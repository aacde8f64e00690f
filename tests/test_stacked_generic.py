"""Shape-generic code for the decompositions holds for a matrix and for stacks with any number of leading
axes, while code specialized to one matrix keeps the notation a person writes (``.T``, ``np.diag``).

(``tests/special_points.py`` checks each rule on a stack with one leading axis; here one function runs
on a matrix and on a stack of stacks through the same generic code, in both modes.)
"""

import numpy as np
import pytest

import s2sgrad

from finite_differences import numerical_grad


def decompositions(a, R):
    w = np.linalg.eigvalsh(a)
    L = np.linalg.cholesky(a)
    s = np.linalg.svd(a[..., :2], compute_uv=False)
    return np.sum(w * w) + np.sum(L * R) + np.sum(np.linalg.pinv(a) * R) + np.sum(s ** 2)


def _spd(rng, *lead):
    q = np.linalg.qr(rng.standard_normal(lead + (3, 3)))[0]
    return q @ (np.arange(1.0, 4.0) * q).swapaxes(-1, -2) + 0.1 * rng.standard_normal(lead + (3, 3))


@pytest.mark.parametrize("lead", [(), (2, 2)], ids=["matrix", "stack of stacks"])
def test_generic_code_for_any_number_of_leading_axes(lead):
    rng = np.random.default_rng(7)
    a, R, da = _spd(rng, *lead), rng.standard_normal(lead + (3, 3)), rng.standard_normal(lead + (3, 3))
    expected = numerical_grad(decompositions, (a, R), 0)
    reverse = s2sgrad.value_and_grad(decompositions)
    _, generic = reverse.generic.function(a, R)
    np.testing.assert_allclose(generic, expected, rtol=1e-5, atol=1e-6, err_msg=reverse.generic.source)
    forward = s2sgrad.jvp(decompositions)
    _, tangent = forward.generic.function(a, R, da=da)
    np.testing.assert_allclose(tangent, np.sum(expected * da), rtol=1e-5, err_msg=forward.generic.source)


def test_code_for_one_matrix_reads_as_for_one_matrix():
    rng = np.random.default_rng(8)
    a, R = _spd(rng), rng.standard_normal((3, 3))
    reverse, forward = s2sgrad.value_and_grad(decompositions), s2sgrad.jvp(decompositions)
    generic = [reverse.source, forward.source]          # before a call: for arguments of any shape
    reverse(a, R)
    forward(a, R, np.ones((3, 3)))
    for before, after in zip(generic, [reverse.source, forward.source]):
        assert "np.swapaxes" in before, before
        assert "np.swapaxes" not in after and "[..., np.newaxis, :]" not in after and ".T" in after, after
