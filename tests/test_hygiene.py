"""Name hygiene: user code may use any name, and s2sgrad touches nothing of the user's.

Generated code shares its namespace with everything the user wrote, so each
case below uses the names s2sgrad itself would like to use (adjoints ``dX``,
temporaries ``t1``, the tape, template names ``g``/``ans``, runtime helpers,
builtins it calls, NumPy's alias) and checks the gradient against finite
differences. Every case also checks that s2sgrad neither reads nor writes the
user's module globals beyond what the function reads, and leaves nothing on
disk (except what ``emit`` is asked to write).
"""

import importlib.util
import os
import sys
import tempfile
import textwrap

import numpy as np
import pytest

import s2sgrad
from s2sgrad import check_grad, grad, value_and_grad, vjp

USER_MODULE = '''
import numpy as onp
import numpy

np = 3                                     # a global named np that is not NumPy


def uses_generated_names(X, W):
    dX = X * 2.0
    dW = W * 3.0
    t1 = onp.tanh(dX @ dW)
    dt1 = t1 * t1
    _stack = [dt1]
    grad = onp.sum(_stack[0])
    tape = grad * 2
    g = tape + 1.0
    ans = g * onp.sum(X)
    dout = ans
    i = 3
    trips = dout * i
    return trips


def np_parameter(np, x):
    return onp.sum(onp.sin(np) * x)


def np_local(x):
    np = onp.sin(x)
    y = np[[0, 0, 1]]                      # an advanced index: the add_at helper, which uses NumPy
    return onp.sum(y * y)


def shadows_builtins(x):
    list = x * 2.0
    reversed = onp.sin(list)
    len = 0.0
    total = x * 0.0
    for row in onp.ones(3):                # a loop whose adjoint counts trips with range()
        total = total + reversed * row
    range = total
    return onp.sum(range) + len


def shadows_list_builtins(x):
    hs = []
    list = x * 2.0
    for k in onp.arange(2.0):
        hs.append(list * k)
    zip = onp.stack(hs)                    # the adjoint of a list is made with list()
    return onp.sum(zip * zip)


def shadows_template_builtins(x):
    tuple = 2.0
    range = x * tuple
    slice = onp.broadcast_to(range, (4, 3))  # its rule calls tuple(range(...))
    return onp.sum(slice ** 2)


def unicode_names(θ, Δ):
    ŵ = θ * Δ
    return onp.sum(onp.exp(-ŵ ** 2))


def exp(x):
    return onp.exp(x) + 1.0


def unbroadcast(a, b):
    return a * b


def add_at(a):
    return a + 1.0


def grad_named_like_rules(x):
    return x * 2.0


def named_like_rules(x, y):
    return onp.sum(exp(x) * unbroadcast(x, y) + add_at(y) + grad_named_like_rules(x))


def global_np_is_not_numpy(x):
    return numpy.sum(x * np)


SCALE = onp.linspace(0.5, 1.5, 3)


def reads_a_global_array(x):
    return onp.sum(onp.sin(x) * SCALE)


def make_loss(scale):
    def loss(x):
        return onp.sum(onp.sin(x) * scale)
    return loss


closure_loss = make_loss(2.5)
'''

CASES = [
    ("uses_generated_names", [(2, 3), (3, 2)], (0, 1)),
    ("np_parameter", [(3,), (3,)], (0, 1)),
    ("np_local", [(3,)], 0),
    ("shadows_builtins", [(3,)], 0),
    ("shadows_list_builtins", [(3,)], 0),
    ("shadows_template_builtins", [(3,)], 0),
    ("unicode_names", [(3,), (3,)], ("θ", "Δ")),
    ("named_like_rules", [(3,), (3,)], (0, 1)),
    ("global_np_is_not_numpy", [(3,)], 0),
    ("reads_a_global_array", [(3,)], 0),
    ("closure_loss", [(3,)], 0),
]


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """The module above, imported from its own directory, with a private temporary directory and cwd."""
    directory = tmp_path / "user"
    directory.mkdir()
    path = directory / "hygiene_user.py"
    path.write_text(textwrap.dedent(USER_MODULE), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("hygiene_user", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "hygiene_user", module)
    spec.loader.exec_module(module)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.chdir(directory)
    return module, directory, private_tmp


def snapshot(directory):
    return sorted(os.path.relpath(os.path.join(root, f), directory)
                  for root, _, files in os.walk(directory) for f in files)


def arguments(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1, 1, s) for s in shapes)


@pytest.mark.parametrize("name, shapes, wrt", CASES, ids=[c[0] for c in CASES])
def test_any_user_name_works_and_nothing_is_touched(user_module, name, shapes, wrt):
    module, directory, private_tmp = user_module
    func = getattr(module, name)
    args = arguments(shapes)
    saved = [a.copy() for a in args]
    globals_before = dict(vars(module))
    disk_before, tmp_before = snapshot(directory), snapshot(private_tmp)

    assert check_grad(func, args, wrt=wrt) < 1e-6
    value, _ = value_and_grad(func, wrt=wrt)(*args)
    np.testing.assert_allclose(value, func(*args), rtol=1e-12)
    vjp(func, wrt=wrt)(*args, 1.0)
    if hasattr(s2sgrad, "jvp"):
        tangents = tuple(np.ones_like(args[i]) for i in _indices(wrt, func)) if isinstance(wrt, tuple) \
            else np.ones_like(args[wrt])
        s2sgrad.jvp(func, wrt=wrt)(*args, tangents)
    derivative = grad(func, wrt=wrt)
    derivative(*args)
    text = derivative.module_source()
    assert "s2sgrad" not in text.split('"""', 2)[-1], "a written-out module must not import s2sgrad"

    for a, b in zip(saved, args):
        np.testing.assert_array_equal(a, b)
    after = vars(module)
    assert set(after) == set(globals_before), set(after) ^ set(globals_before)
    assert all(after[k] is globals_before[k] for k in globals_before), \
        [k for k in globals_before if after[k] is not globals_before[k]]
    assert snapshot(directory) == disk_before
    assert snapshot(private_tmp) == tmp_before == []


def _indices(wrt, func):
    import inspect
    params = list(inspect.signature(func).parameters)
    return [w if isinstance(w, int) else params.index(w) for w in wrt]


def test_the_emitted_module_of_shadowing_code_imports_and_agrees(user_module, tmp_path):
    module, directory, _ = user_module
    from s2sgrad.cli import write_atomically
    for name in ("shadows_builtins", "shadows_list_builtins", "np_local", "uses_generated_names"):
        case = next(c for c in CASES if c[0] == name)
        func, args = getattr(module, name), arguments(case[1], seed=1)
        derivative = grad(func, wrt=case[2])
        expected = derivative(*args)
        path = tmp_path / f"emitted_{name}.py"
        write_atomically(str(path), derivative.module_source(), force=False)
        spec = importlib.util.spec_from_file_location(f"emitted_{name}", path)
        emitted = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(emitted)
        out = getattr(emitted, f"grad_{name}")(*args)
        got = out[1] if isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 0 else out
        for a, b in zip(np.atleast_1d(got) if not isinstance(got, tuple) else got,
                        np.atleast_1d(expected) if not isinstance(expected, tuple) else expected):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_closure_value_is_not_written_into_the_module(user_module):
    module, _, _ = user_module
    loss = module.make_loss(4.0)
    before = dict(vars(module))
    g = grad(loss)(np.linspace(0, 1, 3))
    np.testing.assert_allclose(g, 4.0 * np.cos(np.linspace(0, 1, 3)))
    assert "scale" not in vars(module) and dict(vars(module)).keys() == before.keys()


def test_the_function_object_is_left_as_it_was(user_module):
    module, _, _ = user_module
    func = module.uses_generated_names
    attributes = dict(vars(func))
    code, defaults, closure = func.__code__, func.__defaults__, func.__closure__
    grad(func, wrt=(0, 1))(*arguments([(2, 3), (3, 2)]))
    assert vars(func) == attributes
    assert func.__code__ is code and func.__defaults__ is defaults and func.__closure__ is closure
