"""s2sgrad works at the oldest dependencies pyproject.toml allows (``scripts/test_floors.py`` runs the
whole suite there); these tests keep the two fixes that made that so from being undone with the newest
releases installed, by giving s2sgrad what the old releases do, and check that the floors the script pins
are the ones pyproject declares.
"""

import subprocess
import sys

import astor
import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close
from project_scripts import ROOT, load_script


def _astor_080_to_source(node, indent_with=" " * 4, add_line_information=False, pretty_string=None,
                         pretty_source=None, source_generator_class=None):
    """astor 0.8.0's ``to_source`` as far as s2sgrad met it: any class given as the generator is refused."""
    if source_generator_class is not None and not isinstance(source_generator_class,
                                                             astor.code_gen.SourceGenerator):
        raise TypeError("source_generator_class should be a subclass of SourceGenerator")
    raise AssertionError("not reached by these tests")


def test_gradients_print_with_astor_080(monkeypatch):
    monkeypatch.setattr(astor, "to_source", _astor_080_to_source)
    monkeypatch.setattr(astor.code_gen, "to_source", _astor_080_to_source)

    def loss_for_astor_080(w, x):
        h = np.tanh(x @ w)
        return np.sum(h ** 2) / 2

    w, x = np.linspace(-1, 1, 6).reshape(3, 2), np.linspace(0.5, 2, 12).reshape(4, 3)
    g = s2sgrad.grad(loss_for_astor_080)
    assert "def " in g.source
    assert_grads_close(loss_for_astor_080, [g(w, x)], (w, x), [0])
    _, tangent = s2sgrad.jvp(loss_for_astor_080)(w, x, np.ones_like(w))
    np.testing.assert_allclose(tangent, np.sum(g(w, x)), rtol=1e-10)


SCIPY_BEFORE_1_15 = '''
import sys
import numpy as np
import scipy.special
vars(scipy.special).pop("softplus", None)      # as in SciPy before 1.15
sys.path[:0] = [{root!r}, {tests!r}]     # this checkout's s2sgrad, and the test helpers
import s2sgrad
from finite_differences import assert_grads_close


def plain(x):
    return np.sum(np.sin(x) * x)


def special(x):
    return np.sum(scipy.special.expit(x) * scipy.special.erf(x))


x = np.linspace(-1.5, 2.0, 5)
for f in (plain, special):
    assert_grads_close(f, [s2sgrad.grad(f)(x)], (x,), [0])
    _, tangent = s2sgrad.jvp(f)(x, np.ones_like(x))
    np.testing.assert_allclose(tangent, np.sum(s2sgrad.grad(f)(x)), rtol=1e-10)
print("ok", s2sgrad.__file__)
'''


def test_gradients_work_with_a_scipy_before_softplus(tmp_path):
    """SciPy's rules are registered at the first gradient after user code imports SciPy; a SciPy
    without ``scipy.special.softplus`` (before 1.15) made that raise AttributeError, every call."""
    pytest.importorskip("scipy.special", reason="needs SciPy (in the test extra)")
    script = tmp_path / "user_program.py"
    script.write_text(SCIPY_BEFORE_1_15.format(root=str(ROOT), tests=str(ROOT / "tests")))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", str(ROOT / "s2sgrad" / "__init__.py")]


def _floors_script():
    return load_script("test_floors")


def test_the_pinned_floors_are_those_pyproject_declares():
    floors = _floors_script()
    pins = floors.constraints_from(ROOT / "pyproject.toml")
    assert pins, "pyproject.toml declares no floors"
    assert (ROOT / "scripts" / "floors-constraints.txt").read_text() == pins, \
        "scripts/floors-constraints.txt is out of date: run python scripts/test_floors.py --write"
    assert "numpy==" in pins and "gast==" in pins and "astor==" in pins
