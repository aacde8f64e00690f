"""Idioms: a helper with a well-known body keeps its call and gets the hand-derived rule."""

import numpy as np
import pytest

import s2sgrad
from s2sgrad import grad, jvp

import idiom_functions as fns
from finite_differences import assert_grads_close, numerical_grad


@pytest.mark.parametrize("helper", fns.HELPERS, ids=lambda h: h.__name__)
def test_gradient_and_tangent_match_finite_differences(rng, helper):
    loss = fns.loss_of(helper)
    S, R = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    R = R if helper not in (fns.lse, fns.lse_last) else R[:, :1]
    assert_grads_close(loss, (grad(loss)(S, R),), (S, R), (0,))
    tangent = rng.normal(size=S.shape)
    _, forward = jvp(loss)(S, R, tangent)
    np.testing.assert_allclose(forward, np.sum(numerical_grad(loss, (S, R), 0) * tangent), rtol=1e-6)


def test_an_idiom_is_called_not_inlined_and_differentiated_as_derived(rng):
    g = grad(fns.sigmoid_loss)
    g(rng.normal(size=3), rng.normal(size=3))
    assert "sigmoid(S)" in g.source
    assert "(1 - " in g.source and "np.exp" not in g.source


def test_a_near_miss_is_inlined(rng):
    loss = fns.loss_of(fns.steep_sigmoid)
    g = grad(loss)
    g(rng.normal(size=3), rng.normal(size=3))
    assert "steep_sigmoid" not in g.source and "np.exp" in g.source


def test_a_written_out_module_imports_the_idiom_from_its_module(rng):
    g = s2sgrad.value_and_grad(fns.softplus_loss)     # the value needs softplus itself
    g(rng.normal(size=3), rng.normal(size=3))
    assert "from idiom_functions import softplus" in g.module_source()


def test_users_register_their_own_idioms(rng):
    from s2sgrad.rules.idioms import idiom

    @idiom(vjp={"q": "g * 3 * q ** 2"}, jvp={"q": "dq * 3 * q ** 2"})
    def cube(q):                       # noqa: F841  (registered by the decorator)
        return q * q * q

    import idiom_user
    args = (rng.normal(size=3),)
    g = grad(idiom_user.cubic_loss)
    assert_grads_close(idiom_user.cubic_loss, (g(*args),), args, (0,))
    assert "cube_it(x)" in g.source and "3 * x ** 2" in g.source
    assert s2sgrad.check_grad(idiom_user.cubic_loss, args) < 1e-6
