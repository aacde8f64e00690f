"""One gradient checked three ways against central finite differences: reverse mode, forward mode
(the tangent along a random direction) and, where asked, the Hessian (forward over reverse)."""

import numpy as np

from s2sgrad import grad, hessian, jvp

from finite_differences import jacobian_by_differences, numerical_grad


def check_modes(f, args, index=0, second=False, seed=0):
    expected = numerical_grad(f, args, index)
    np.testing.assert_allclose(grad(f, wrt=index)(*args), expected, rtol=1e-5, atol=1e-7)
    direction = np.random.default_rng(seed).normal(size=np.shape(args[index]))
    _, tangent = jvp(f, wrt=index)(*args, direction)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=1e-5, atol=1e-6)
    if second:
        np.testing.assert_allclose(hessian(f, wrt=index)(*args),
                                   jacobian_by_differences(grad(f, wrt=index), args, index),
                                   rtol=1e-4, atol=1e-5)
