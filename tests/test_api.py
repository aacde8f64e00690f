"""The public API: wrt forms, decorators, value_and_grad, vjp, .source, caching, errors."""

import linecache

import numpy as np
import pytest

import s2sgrad
from s2sgrad import GradError, grad, value_and_grad, vjp

import api_functions as af
from finite_differences import assert_grads_close, numerical_grad


@pytest.fixture
def args(rng):
    return rng.normal(size=(4, 3)), rng.normal(size=3), 0.3


@pytest.mark.parametrize("wrt, indices", [(0, (0,)), ("w", (1,)), (("x", "b"), (0, 2)), ((2, 1), (2, 1)),
                                           (-2, (1,))])
def test_wrt_forms(args, wrt, indices):
    g = grad(af.loss, wrt=wrt)(*args)
    grads = g if isinstance(wrt, tuple) else (g,)
    assert_grads_close(af.loss, grads, args, indices)


def test_a_one_element_tuple_wrt_gives_a_tuple(args):
    (dw,) = grad(af.loss, wrt=("w",))(*args)
    assert dw.shape == args[1].shape


def test_keyword_arguments_and_defaults(args):
    x, w, _ = args
    g = grad(af.loss, wrt="w")
    np.testing.assert_allclose(g(x, w), g(x, w, 0.5))
    np.testing.assert_allclose(g(x, w=w, b=0.3), g(x, w, 0.3))


def test_decorators(rng):
    x = rng.normal(size=5)
    np.testing.assert_allclose(af.decorated(x), np.cos(x))
    x, w, b = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    dw, db = af.decorated_wrt(x, w, b)
    np.testing.assert_allclose(db, 2 * (x * w + b))
    assert af.decorated.__wrapped__.__name__ == "decorated"


def test_value_and_grad(args):
    value, dw = value_and_grad(af.loss, wrt=1)(*args)
    assert value == pytest.approx(af.loss(*args))
    np.testing.assert_allclose(dw, grad(af.loss, wrt=1)(*args))


def test_vjp_of_an_array_output(rng):
    x, w = rng.normal(size=4), rng.normal(size=4)
    dout = rng.normal(size=4)
    dx, dw = vjp(af.vector_valued, wrt=(0, 1))(x, w, dout)
    np.testing.assert_allclose(dx, dout * (1 - np.tanh(x * w) ** 2) * w)
    np.testing.assert_allclose(dw, dout * (1 - np.tanh(x * w) ** 2) * x)


def test_source_is_readable_python_registered_for_tracebacks(args):
    g = grad(af.loss, wrt="w")
    g(*args)
    assert g.source.startswith("def grad_loss(x, w, b=0.5):")
    assert "import s2sgrad" not in g.source
    filename = g._latest.function.__code__.co_filename
    assert filename.startswith("<s2sgrad")
    assert "".join(linecache.getlines(filename)) == g.source


def test_derivatives_are_cached_per_function_and_wrt(args):
    assert grad(af.loss, wrt="w") is grad(af.loss, wrt="w")
    assert grad(af.loss, wrt="w") is not grad(af.loss, wrt="x")


def test_new_shapes_get_their_own_specialization(rng):
    g = grad(af.loss, wrt="w")
    for n in (2, 7):
        args = (rng.normal(size=(n, 3)), rng.normal(size=3), 0.1)
        assert_grads_close(af.loss, (g(*args),), args, (1,))


def test_grad_of_a_non_scalar_output_is_an_error(rng):
    with pytest.raises(GradError, match="scalar output") as info:
        grad(af.not_scalar)(rng.normal(size=3))
    assert "api_functions.py:" in str(info.value)


@pytest.mark.parametrize("wrt", ["z", 5, 1.5, ()])
def test_a_bad_wrt_is_an_error_naming_the_parameters(wrt):
    with pytest.raises(GradError) as info:
        grad(af.loss, wrt=wrt)
    assert "api_functions.py:" in str(info.value)


def test_integer_arguments_have_no_gradient(rng):
    with pytest.raises(GradError, match="integers"):
        grad(af.loss, wrt="w")(rng.normal(size=(2, 3)), np.arange(3), 0.1)


def test_check_grad_catches_a_wrong_rule(rng, monkeypatch):
    from s2sgrad.rules import lookup

    rule = lookup(np.sin)
    monkeypatch.setitem(rule.vjp, "x", type(rule.vjp["x"]).parse("g * np.sin(x)"))   # deliberately wrong
    with pytest.raises(AssertionError, match="differs from finite differences"):
        s2sgrad.check_grad(af.sum_of_sines, (rng.normal(size=3),))


def test_check_grad_takes_parameters_passed_in_a_dict(rng):
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    assert s2sgrad.check_grad(af.layer_with_params, (params, rng.normal(size=(4, 3)))) < 1e-6


def test_check_grad_names_the_item_of_a_tuple_whose_gradient_is_wrong(rng, monkeypatch):
    from s2sgrad.rules import lookup
    rule = lookup(np.sin)
    monkeypatch.setitem(rule.vjp, "x", type(rule.vjp["x"]).parse("g * np.sin(x)"))   # deliberately wrong
    pair = (rng.normal(size=3), rng.normal(size=3))
    with pytest.raises(AssertionError, match=r"with respect to pair\[0\] differs"):
        s2sgrad.check_grad(af.sines_of_a_pair, (pair, rng.normal(size=3)))


def test_the_first_grad_in_a_process_imports_no_numpy_submodules(tmp_path):
    """Resolving NumPy functions by module path reads the modules' own dictionaries: reading NumPy's
    attributes imports its lazy submodules (f2py, testing, ...), a third of a second the first time."""
    import subprocess
    import sys
    script = tmp_path / "first.py"
    script.write_text(
        "import sys\n"
        "import numpy as np\n"
        "import s2sgrad\n"
        "def f(x):\n"
        "    return np.sum(np.tanh(x) * np.linalg.norm(x))\n"
        "before = set(sys.modules)\n"
        "s2sgrad.grad(f)(np.ones(3))\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('numpy')))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
