"""The first call for new shapes gives what every later call gives, and leaves the caller's arrays alone.

The first call runs the function once to learn shapes (``shapes.probe``);
a function that writes into its argument must not write into the caller's
array there, nor have its derivative taken at the values it wrote (issue 19,
item 2; Tangent's test_subscript2/3). Each case is checked on a derivative
compiled afresh (``clear_cache``), in every mode, against finite differences.
"""

import copy

import numpy as np
import pytest

import s2sgrad
from finite_differences import numerical_grad


def write_item(x):
    x[0] = x[0] * x[1]
    return np.sum(x * x)


def add_into_item(x):
    x[1] += x[0] * x[2]
    return np.sum(x * x)


def scale_in_place(x):
    x *= x[1]
    return np.sum(x ** 3)


def write_whole_slice(x):
    x[:] = np.sin(x) * x[0]
    return np.sum(x * x)


def add_at(x):
    np.add.at(x, np.array([0, 0, 2]), x[1] * x[:3])
    return np.sum(x * x)


def add_at_index(x, i):
    x[i] += x[0] * x[2]
    return np.sum(x * x)


ARRAY_CASES = [write_item, add_into_item, scale_in_place, write_whole_slice, add_at]


def point():
    return np.array([1.0, 2.0, 3.0, 4.0])


def expected_gradient(f, x, *rest):
    """Finite differences of ``f`` at ``x``, each evaluation on arrays of its own (``f`` writes into them)."""
    return numerical_grad(lambda y, *r: f(y.copy(), *r), [x, *rest], 0)


def first_and_later(call, make_args):
    """What ``call`` gives on its first call (the probe's) and on a later one, and the caller's arguments
    after the first (checked to be as a later call leaves them)."""
    args, again = make_args(), make_args()
    first = call(*args)
    later = call(*again)
    for a, b in zip(args, again):
        for k in (range(len(a)) if isinstance(a, list) else a if isinstance(a, dict) else [None]):
            np.testing.assert_array_equal(a if k is None else a[k], b if k is None else b[k])
    return first, later, args


MODES = ["grad", "value_and_grad", "vjp", "jvp", "hvp", "hessian"]
# (hvp and hessian of np.add.at are refused: forward mode does not differentiate the np.subtract.at that the
# generated gradient restores x with)
CASES = [(f, mode) for f in ARRAY_CASES + [add_at_index] for mode in MODES
         if not (f is add_at and mode in ("hvp", "hessian"))]


@pytest.mark.parametrize("f, mode", CASES, ids=[f"{mode}-{f.__name__}" for f, mode in CASES])
def test_first_call_of_a_function_writing_into_its_argument(f, mode):
    s2sgrad.clear_cache()
    rest = (1,) if f is add_at_index else ()
    make_args = lambda: (point(),) + rest
    g = expected_gradient(f, point(), *rest)
    v = np.array([0.5, -1.0, 0.25, 2.0])
    if mode == "grad":
        call, want = s2sgrad.grad(f), g
    elif mode == "value_and_grad":
        call, want = (lambda *a: s2sgrad.value_and_grad(f)(*a)[1]), g
    elif mode == "vjp":
        call, want = (lambda *a: s2sgrad.vjp(f)(*a, 1.0)), g
    elif mode == "jvp":
        call, want = (lambda *a: s2sgrad.jvp(f)(*a, v.copy())[1]), g @ v
    else:
        hv = (expected_gradient_at(f, point() + 1e-4 * v, rest) - expected_gradient_at(f, point() - 1e-4 * v, rest)) \
            / 2e-4
        if mode == "hvp":
            call, want = (lambda *a: s2sgrad.hvp(f)(*a, v.copy())), hv
        else:
            call, want = (lambda *a: s2sgrad.hessian(f)(*a) @ v), hv
    first, later, args = first_and_later(call, make_args)
    if mode != "jvp":     # (generated forward-mode code writes into an argument as the function does, each call alike)
        np.testing.assert_array_equal(args[0], point())       # the caller's array is as it was
    np.testing.assert_allclose(first, later, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first, want, rtol=1e-4, atol=1e-5)
    if mode == "value_and_grad":
        value = s2sgrad.value_and_grad(f)(*make_args())[0]
        np.testing.assert_allclose(value, f(*make_args()))


def expected_gradient_at(f, x, rest):
    return s2sgrad.grad(f)(x, *rest)


def write_into_dict_item(p):
    W = p["W"]
    W[0] = W[0] * W[1]
    return np.sum(W * W)


def replace_dict_item(p):
    p["W"] = p["W"] * p["W"][1]
    return np.sum(p["W"] ** 2)


def scale_list_item(xs):
    a = xs[0]
    a *= xs[1]
    return np.sum(a * a)


def dict_point():
    return {"W": np.array([1.0, 2.0, 3.0])}


def list_point():
    return [np.array([1.0, 2.0]), np.array([3.0, 4.0])]


def container_gradient(f, make):
    """Finite differences for each array in the container ``make()`` builds."""
    base = make()
    keys = list(base) if isinstance(base, dict) else range(len(base))
    out = {} if isinstance(base, dict) else [None] * len(base)
    for k in keys:
        def along(y, k=k):
            c = copy.deepcopy(base)
            c[k] = y.copy()
            return f(c)
        out[k] = numerical_grad(along, [base[k].copy()], 0)
    return out


@pytest.mark.parametrize("f, make", [(write_into_dict_item, dict_point), (replace_dict_item, dict_point),
                                     (scale_list_item, list_point)], ids=["dict-item", "dict-replace", "list"])
@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp"])
def test_first_call_of_a_function_writing_into_a_container_argument(f, make, mode):
    s2sgrad.clear_cache()
    call = {"grad": s2sgrad.grad(f), "value_and_grad": lambda a: s2sgrad.value_and_grad(f)(a)[1],
            "vjp": lambda a: s2sgrad.vjp(f)(a, 1.0)}[mode]
    first, later, (arg,) = first_and_later(call, lambda: (make(),))
    pristine = make()
    for k in (pristine if isinstance(pristine, dict) else range(len(pristine))):
        np.testing.assert_array_equal(arg[k], pristine[k])    # the caller's container and arrays as they were
    want = container_gradient(f, make)
    for k in (want if isinstance(want, dict) else range(len(want))):
        np.testing.assert_allclose(first[k], later[k], rtol=1e-12)
        np.testing.assert_allclose(first[k], want[k], rtol=1e-5, atol=1e-7)


def test_the_reverse_jacobian_does_not_run_the_function_on_the_callers_array():
    def doubled_head(x):
        x[0] = x[0] * x[1]
        return x * 2.0
    x = point()
    jac = s2sgrad.jacobian(doubled_head)(x)
    np.testing.assert_array_equal(x, point())
    expected = np.diag([2.0, 2.0, 2.0, 2.0])
    expected[0] = [4.0, 2.0, 0.0, 0.0]
    np.testing.assert_allclose(jac, expected)
    np.testing.assert_allclose(s2sgrad.jacobian(doubled_head)(point()), expected)


def test_a_failing_function_that_wrote_into_its_argument_leaves_the_callers_array_alone():
    def fails_after_writing(x):
        x[0] = 5.0
        return np.sum(x @ np.ones(7))          # (a 4-vector against a 7-vector: NumPy's ValueError)
    x = point()
    with pytest.raises(ValueError) as info:
        s2sgrad.grad(fails_after_writing)(x)
    assert "fails_after_writing" in "".join(getattr(info.value, "__notes__", []))   # pointed at the user's line
    np.testing.assert_array_equal(x, point())


@pytest.mark.parametrize("f", [write_item, add_into_item, write_whole_slice],
                         ids=lambda f: f.__name__)
def test_jvp_leaves_the_callers_tangent_as_given(f):
    """A function writing into its argument writes the same item of the argument's tangent (``dx[0] = ...``):
    into a copy of it, so that one tangent serves several calls."""
    x, t = point(), np.array([0.5, -1.0, 2.0, 0.25])
    given = t.copy()
    j = s2sgrad.jvp(f)
    first = j(x.copy(), t)[1]
    np.testing.assert_array_equal(t, given)
    np.testing.assert_allclose(j(x.copy(), t)[1], first)
    np.testing.assert_allclose(first, expected_gradient(f, x) @ given, rtol=1e-6)
