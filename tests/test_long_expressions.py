"""Long expressions: a sum or product of 1,500 terms differentiates (once a RecursionError inside s2sgrad).

The function is written out to a module file, as a user's would be; its
gradient is checked against central finite differences, and the generated
source, as ``s2sgrad emit`` writes it, compiles on its own at Python's default
recursion limit. (Forward mode is not checked here: generating it for 1,500
terms takes minutes, growing faster than the square of the length; that is a
compile-time problem of its own.)
"""

import importlib.util
import sys

import numpy as np
import pytest

import s2sgrad
from finite_differences import assert_grads_close

TERMS = 1500


def long_function(tmp_path, name, body):
    """A module file defining ``name(x, w)`` as ``return body``, imported."""
    path = tmp_path / f"{name}.py"
    path.write_text(f"import numpy as np\n\n\ndef {name}(x, w):\n    return {body}\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


BODIES = {
    "sum": "np.sum(" + " + ".join(f"x * w[{i % 3}]" if i % 2 else "np.sin(x)" for i in range(TERMS)) + ")",
    "product": "np.sum(" + " * ".join("(1.0 + x * 0.001)" if i % 2 else "w[0] ** 0.001" for i in range(TERMS)) + ")",
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_long_expression_differentiates(kind, tmp_path, rng):
    func = long_function(tmp_path, f"long_{kind}", BODIES[kind])
    x, w = rng.uniform(0.5, 1.0, size=3), rng.uniform(0.5, 1.0, size=3)
    limit = sys.getrecursionlimit()
    dx, dw = s2sgrad.grad(func, wrt=(0, 1))(x, w)
    assert sys.getrecursionlimit() == limit           # the room it took is given back
    assert_grads_close(func, [dx, dw], (x, w), (0, 1), rtol=1e-5)
    compile(s2sgrad.grad(func, wrt=(0, 1)).source, "emitted", "exec")   # at the default limit, as emitted


def test_beyond_what_fits_is_a_grad_error(tmp_path):
    """Far past any room s2sgrad gives itself: refused at the function, with a workaround."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(60_000)          # (for CPython to compile the user's module at all)
    try:
        func = long_function(tmp_path, "far_too_long", "np.sum(" + " + ".join(["x"] * 12_000) + ")")
    finally:
        sys.setrecursionlimit(old)
    with pytest.raises(s2sgrad.GradError) as info:
        s2sgrad.grad(func)
    assert "nested too deeply" in str(info.value)
    assert "far_too_long.py:4" in str(info.value)
    assert "partial sums" in info.value.hint
    assert sys.getrecursionlimit() == old


def recurses_forever(x, n):
    if n > 0:
        return recurses_forever(x * 1.0, n + 1)
    return x


def calls_what_recurses_forever(x):
    return np.sum(recurses_forever(x, 1))


def test_the_users_own_endless_recursion_stays_theirs():
    """Room is made only for s2sgrad's own recursion; the user's, run on the arguments, is their RecursionError."""
    with pytest.raises(RecursionError):
        s2sgrad.grad(calls_what_recurses_forever)(np.ones(3))
