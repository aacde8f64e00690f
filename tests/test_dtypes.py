"""A float32 (or float16) parameter gets a gradient of its own dtype, as the model it updates expects,
though NumPy promotes to float64 wherever a rule's constant or index array meets a float32 array."""

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close


def through_promoting_rules(a, b):
    return (np.sum(np.exp2(a) * 1.5) + np.nansum(a) + np.median(a) + np.sum(np.sin(np.diff(a)))
            + np.einsum("i,i->", a, b) + np.sum(np.polyval(b, a)))


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_the_gradient_has_the_parameters_dtype(dtype, rng):
    a, b = np.linspace(0.1, 0.9, 4).astype(dtype), rng.normal(size=4).astype(dtype)
    for derivative in (s2sgrad.grad(through_promoting_rules, wrt=(0, 1)),
                       lambda *args: s2sgrad.value_and_grad(through_promoting_rules, wrt=(0, 1))(*args)[1]):
        grads = derivative(a, b)
        assert [g.dtype for g in grads] == [np.dtype(dtype)] * 2
    if dtype is np.float64:
        assert_grads_close(through_promoting_rules, grads, (a, b), (0, 1))
    else:       # the same numbers, to the precision of the dtype
        exact = s2sgrad.grad(through_promoting_rules, wrt=(0, 1))(a.astype(float), b.astype(float))
        for g, e in zip(grads, exact):
            np.testing.assert_allclose(g, e, rtol=2e-2 if dtype is np.float16 else 1e-4, atol=1e-2)
