"""Rules users register for their own functions (s2sgrad.adjoint / s2sgrad.tangent / defrule)."""

import importlib.util
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import s2sgrad
from s2sgrad import cli
from s2sgrad.rules import lookup, registry

import custom_rules_module as m

HERE = Path(__file__).parent


def directional(f, args, index, direction, eps=1e-6):
    up, down = list(args), list(args)
    up[index] = args[index] + eps * direction
    down[index] = args[index] - eps * direction
    return (f(*up) - f(*down)) / (2 * eps)


@pytest.fixture
def logistic_data(rng):
    X = rng.standard_normal((6, 3))
    y = np.sign(rng.standard_normal(6))
    W = rng.standard_normal(3)
    return W, X, y


def test_reverse_mode_uses_the_users_rule_inline(logistic_data):
    s2sgrad.check_grad(m.loss, logistic_data)
    source = s2sgrad.grad(m.loss).source_for(*logistic_data)
    assert "sigmoid(" in source            # the rule's expression, written out where softplus is called
    assert "logaddexp" not in source       # softplus's body is not inlined: its rule is used


def test_forward_mode_uses_the_users_rule(logistic_data, rng):
    direction = rng.standard_normal(3)
    value, tangent = s2sgrad.jvp(m.loss)(*logistic_data, direction)
    assert np.isclose(value, m.loss(*logistic_data))
    assert np.isclose(tangent, directional(m.loss, logistic_data, 0, direction), rtol=1e-6)
    assert "sigmoid(" in s2sgrad.jvp(m.loss).source


def test_rule_with_two_parameters_a_constant_and_a_local(rng):
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    s2sgrad.check_grad(m.weighted, (x, w), wrt=(0, 1))
    source = s2sgrad.grad(m.weighted, wrt=(0, 1)).source_for(x, w)
    assert "np.expand_dims(" in source and "axis is None" not in source   # the constant axis folded away
    dx, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _, tangent = s2sgrad.jvp(m.weighted, wrt=(0, 1))(x, w, (dx, dw))
    expected = directional(m.weighted, (x, w), 0, dx) + directional(m.weighted, (x, w), 1, dw)
    assert np.isclose(tangent, expected, rtol=1e-6)


def test_tangent_body_is_split_per_parameter():
    rule = lookup(m.scaled_sum)
    assert rule.jvp["x"].text == "np.sum(dx * w, axis=axis)"
    assert rule.jvp["w"].text == "np.sum(x * dw, axis=axis)"
    assert rule.params == ["x", "w", "axis"] and rule.defaults["axis"] is None


def test_emitted_module_imports_the_users_function(logistic_data, tmp_path, monkeypatch):
    out = tmp_path / "loss_grad.py"
    status = cli.main(["emit", f"{HERE / 'custom_rules_module.py'}:loss", "--shapes", "W=3,X=6x3,y=6",
                       "-o", str(out)])
    assert status == 0
    text = out.read_text()
    assert "from custom_rules_module import" in text and "softplus" in text and "sigmoid" in text
    assert "import s2sgrad" not in text
    monkeypatch.syspath_prepend(str(HERE))
    spec = importlib.util.spec_from_file_location("loss_grad", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.grad_loss(*logistic_data), s2sgrad.grad(m.loss)(*logistic_data))


def load(tmp_path, monkeypatch, name, source):
    """Import ``source`` as the module ``name`` from a file (s2sgrad reads rules from files)."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def rules_table_restored():
    """The rules a test registers are the process's until it ends: put the table back after each test,
    so that no other test meets them (the tables of imported libraries are registered first, so that
    putting the table back does not drop them)."""
    registry.load_deferred()
    saved = [(table, dict(table)) for table in (registry._REGISTRY, registry._KEEPALIVE, registry._NONDIFF,
                                                registry._METHODS)]
    yield
    for table, contents in saved:
        table.clear()
        table.update(contents)


def test_rule_for_a_c_extension_function(tmp_path, monkeypatch, rng):
    special = pytest.importorskip("scipy.special")
    assert lookup(special.k0) is None        # (no built-in rule: the user gives one)
    module = load(tmp_path, monkeypatch, "bessel_model", """
        import numpy as np
        import s2sgrad
        from scipy.special import k0, k1

        @s2sgrad.adjoint(k0)          # k0 is a ufunc compiled in C: s2sgrad cannot read it
        def _(x, g):
            dx = -g * k1(x)

        def energy(x):
            return np.sum(k0(x) ** 2)
    """)
    x = rng.uniform(0.2, 2.0, 5)
    s2sgrad.check_grad(module.energy, (x,))
    assert "scipy.special.k1(x)" in s2sgrad.grad(module.energy).source_for(x)
    assert special.k0 is module.k0


def test_a_rule_for_one_mode_is_refused_in_the_other(tmp_path, monkeypatch, rng):
    """An adjoint alone says nothing of the tangent (and a tangent alone nothing of the adjoint): the
    derivative in the other mode is unknown, not zero."""
    module = load(tmp_path, monkeypatch, "one_sided", """
        import numpy as np
        import s2sgrad

        def cube(x):
            return x ** 3

        def square(x):
            return x * x

        @s2sgrad.adjoint(cube)
        def _(x, g):
            dx = g * 3 * x ** 2

        @s2sgrad.tangent(square)
        def _(x, dx):
            dans = 2 * x * dx

        def uses_cube(x):
            return np.sum(cube(x) ** 2)

        def uses_square(x):
            return np.sum(square(x) ** 2)
    """)
    x = rng.uniform(0.2, 2.0, 3)
    s2sgrad.check_grad(module.uses_cube, (x,))
    with pytest.raises(s2sgrad.GradError, match="cube has a reverse-mode rule for its argument x but no forward"):
        s2sgrad.jvp(module.uses_cube)(x, np.ones(3))
    _, tangent = s2sgrad.jvp(module.uses_square)(x, np.ones(3))
    np.testing.assert_allclose(tangent, np.sum(4 * x ** 3))
    with pytest.raises(s2sgrad.GradError, match="square has a forward-mode rule for its argument x but no reverse"):
        s2sgrad.grad(module.uses_square)(x)


def test_string_templates_with_defrule(rng):
    def cube(x):
        return x ** 3

    s2sgrad.defrule(cube, "x", vjp={"x": "3 * g * x ** 2"}, jvp={"x": "3 * dx * x ** 2"})

    def f(x):
        return np.sum(cube(x))

    x = rng.standard_normal(4)
    np.testing.assert_allclose(s2sgrad.grad(f)(x), 3 * x ** 2)
    assert "3 * " in s2sgrad.grad(f).source_for(x)


def test_an_adjoint_that_assigns_nothing_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="assigns none of dx"):
        load(tmp_path, monkeypatch, "bad_rule", """
            import s2sgrad

            def h(x):
                return x

            @s2sgrad.adjoint(h)
            def _(x, g):
                y = g
        """)


def test_integer_wrt_arguments_are_refused(rng):
    def f(x):
        return np.sum(x * 2.0)

    with pytest.raises(s2sgrad.GradError, match="holds integers"):
        s2sgrad.grad(f)(np.arange(3))
    with pytest.raises(s2sgrad.GradError, match="holds integers"):
        s2sgrad.grad(f)(3)
    np.testing.assert_allclose(s2sgrad.grad(f)(np.arange(3).astype(float)), 2.0)


def test_docs_example_runs(tmp_path, monkeypatch):
    """The complete example of docs/rules.md, run as a module of its own (it checks its own gradient)."""
    text = (HERE.parent / "docs" / "rules.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    load(tmp_path, monkeypatch, "rules_doc_example", text[start:text.index("```", start)])


def test_scipy_rules_wait_for_scipy_and_a_users_earlier_rule_wins(tmp_path):
    """``import s2sgrad`` does not import SciPy; its table is registered when the user's code has
    imported it, without replacing a rule the user registered for a SciPy function before that."""
    pytest.importorskip("scipy")
    script = tmp_path / "uses_scipy.py"
    script.write_text(textwrap.dedent("""
        import sys
        import numpy as np
        import s2sgrad
        assert "scipy.special" not in sys.modules, "import s2sgrad imported SciPy"
        from s2sgrad.rules import defrule, lookup
        import scipy.special
        defrule(scipy.special.erfc, "x", vjp={"x": "g * 7.0"})     # a user's (deliberately odd) rule, first
        assert lookup(scipy.special.expit) is not None             # SciPy's table, registered on demand

        def f(x):
            return np.sum(scipy.special.erfc(x)) + np.sum(scipy.special.expit(x))

        print(*s2sgrad.grad(f)(np.zeros(2)))
    """))
    import subprocess
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7.25", "7.25"]
