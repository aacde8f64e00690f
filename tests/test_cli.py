"""The command line, run as users run it: a real subprocess, exit codes, stderr, files on disk.

Exit codes: 0 success, 1 a GradError or a failure of the user's own code, 2 a
usage error. No run, failing or not, prints a Python traceback. ``emit``
writes through a temporary file and a rename, never leaves a half-written or
temporary file behind, and refuses to overwrite without ``--force``.
"""

import ast
import importlib.util
import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad
from s2sgrad import cli

MODEL = '''
import numpy as np


def cost(X, W, b):
    Z = np.tanh(X @ W + b)
    return np.mean(Z ** 2)


def bad(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def mismatched(X, W):
    U = X @ W
    return np.sum(U)


def example():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)


def branchy(X, W, b):
    s = np.sum(X @ W)
    if s > 0:
        out = np.sum(np.sin(X @ W) + b)
    else:
        out = np.sum(W ** 2) * s
    return out
'''


def line_of(text):
    """The line number of ``text`` in the model file."""
    return next(i for i, line in enumerate(textwrap.dedent(MODEL).splitlines(), 1) if text in line)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(MODEL))
    return path


def run(*args, cwd=None):
    """``s2sgrad ARGS`` in a fresh interpreter: (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "s2sgrad.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def load(path, name="emitted"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_show_prints_the_gradient(model):
    code, out, err = run("show", f"{model}:cost", "--wrt", "W,b")
    assert code == 0, err
    assert "def grad_cost(X, W, b):" in out
    compile(out, "shown", "exec")


def test_show_specialized_to_shapes(model, in_process):
    code, out, err = in_process("show", f"{model}:cost", "--wrt", "W", "--shapes", "X=5x3,W=3x2,b=2")
    assert code == 0, err
    assert "unbroadcast" not in out       # shapes known: the exact reduction, no runtime helper


def test_emit_writes_a_module_that_agrees_with_grad(model, tmp_path):
    target = tmp_path / "cost_grad.py"
    code, _, err = run("emit", f"{model}:cost", "--wrt", "W,b", "--example", "example", "-o", target)
    assert code == 0, err
    assert f"wrote {target}" in err
    emitted = load(target)
    user = load(model, "model_for_check")
    X, W, b = user.example()
    dW, db = s2sgrad.grad(user.cost, wrt=("W", "b"))(X, W, b)
    grads = emitted.grad_cost(X, W, b)
    np.testing.assert_allclose(grads[0], dW, rtol=1e-12)
    np.testing.assert_allclose(grads[1], db, rtol=1e-12)
    assert "import s2sgrad" not in target.read_text() and "from s2sgrad" not in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["cost_grad.py", "model.py"] or \
        sorted(p for p in os.listdir(tmp_path) if p != "__pycache__") == ["cost_grad.py", "model.py"]


def flat(result):
    """The arrays and numbers of a (nested) result, in order, and its nesting, to compare results whole."""
    if isinstance(result, tuple):
        items = [flat(r) for r in result]
        return [a for arrays, _ in items for a in arrays], tuple(shape for _, shape in items)
    return [np.asarray(result)], "leaf"


def assert_same_result(found, expected):
    (found_arrays, found_shape), (expected_arrays, expected_shape) = flat(found), flat(expected)
    assert found_shape == expected_shape, (found, expected)
    for f, e in zip(found_arrays, expected_arrays):
        np.testing.assert_allclose(f, e, rtol=1e-12)


CONVENTION = [   # (function, --wrt, extra options): generic code, shape-specialized code, value kept in branches
    ("cost", "W,b", ()), ("cost", "W,b", ("--example", "example")), ("cost", "W", ()),
    ("cost", "W", ("--example", "example")), ("branchy", "W,b", ("--example", "example")), ("branchy", "W,b", ()),
]


@pytest.mark.parametrize("with_value", [False, True], ids=["grad", "value_and_grad"])
@pytest.mark.parametrize("fname, wrt, options", CONVENTION, ids=[f"{f}-{w}-{'example' if o else 'generic'}"
                                                               for f, w, o in CONVENTION])
def test_emitted_functions_return_what_the_api_returns(model, tmp_path, in_process, fname, wrt, options,
                                                      with_value):
    """grad_f returns exactly what grad(f) returns, whichever code the module holds (once the generic code,
    or code for a value assigned in branches, returned (value, gradients), so dW, db = grad_f(...) put the
    loss into dW); value_and_grad_f, with --with-value, returns (value, gradients)."""
    target = tmp_path / f"{fname}_out.py"
    flags = ("--with-value",) if with_value else ()
    code, _, err = in_process("emit", f"{model}:{fname}", "--wrt", wrt, *options, *flags, "-o", target)
    assert code == 0, err
    emitted, user = load(target, f"emitted_{fname}_{with_value}"), load(model, "model_for_convention")
    args = user.example()
    wrt_names = tuple(wrt.split(",")) if "," in wrt else wrt
    api = s2sgrad.value_and_grad if with_value else s2sgrad.grad
    expected = api(getattr(user, fname), wrt=wrt_names)(*args)
    written = getattr(emitted, f"{'value_and_grad' if with_value else 'grad'}_{fname}")
    assert_same_result(written(*args), expected)
    shown = in_process("show", f"{model}:{fname}", "--wrt", wrt, *options, *flags)[1]
    assert shown.strip() in target.read_text()       # show prints the module's functions


def test_the_source_attribute_follows_the_convention(model):
    """``.source`` run as it is: its grad_f returns what the call returns."""
    user = load(model, "model_for_source")
    args = user.example()
    for make, name in ((s2sgrad.grad, "grad_branchy"), (s2sgrad.value_and_grad, "value_and_grad_branchy")):
        derivative = make(user.branchy, wrt=("W", "b"))
        expected = derivative(*args)
        namespace = {"np": np}
        exec(derivative.source, namespace)
        assert_same_result(namespace[name](*args), expected)


def test_emitted_grad_refuses_a_non_scalar_output(tmp_path, in_process):
    path = tmp_path / "vector.py"
    path.write_text("import numpy as np\n\n\ndef branchy(x):\n    if np.sum(x) > 0:\n        y = np.sin(x)\n"
                    "    else:\n        y = np.sum(x)\n    return y\n")
    code, _, err = in_process("emit", f"{path}:branchy", "-o", tmp_path / "out.py")
    assert code == 0, err
    with pytest.raises(ValueError, match="scalar output"):
        load(tmp_path / "out.py", "emitted_vector").grad_branchy(np.ones(3))


def test_forward_mode_emits_what_jvp_returns(model, tmp_path, in_process):
    target = tmp_path / "cost_jvp.py"
    code, _, err = in_process("emit", f"{model}:cost", "--wrt", "W,b", "--mode", "forward", "-o", target)
    assert code == 0, err
    user = load(model, "model_for_jvp")
    X, W, b = user.example()
    dW, db = np.ones_like(W), np.full_like(b, 0.5)
    expected = s2sgrad.jvp(user.cost, wrt=("W", "b"))(X, W, b, (dW, db))
    assert_same_result(load(target, "emitted_jvp").jvp_cost(X, W, b, dW=dW, db=db), expected)


def test_with_value_is_for_reverse_mode(model, in_process):
    code, _, err = in_process("show", f"{model}:cost", "--mode", "forward", "--with-value")
    assert code == 2 and "--with-value" in err


def test_emit_refuses_to_overwrite_without_force(model, tmp_path):
    target = tmp_path / "cost_grad.py"
    target.write_text("# mine, do not touch\n")
    code, _, err = run("emit", f"{model}:cost", "-o", target)
    assert code == 2
    assert "--force" in err
    assert target.read_text() == "# mine, do not touch\n"
    code, _, err = run("emit", f"{model}:cost", "-o", target, "--force")
    assert code == 0, err
    assert "def grad_cost" in target.read_text()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".s2sgrad-")]


def test_emit_gives_the_file_ordinary_permissions(model, tmp_path, in_process):
    target = tmp_path / "cost_grad.py"
    code, _, err = in_process("emit", f"{model}:cost", "-o", target)
    assert code == 0, err
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.py"
    target.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        cli.write_atomically(str(target), "new\n", force=True)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.py"]


def test_a_grad_error_exits_1_with_file_line_and_hint(model):
    code, out, err = run("show", f"{model}:bad")
    assert code == 1
    assert f"{model}:{line_of('try:')}: try/except is not supported" in err
    assert "hint:" in err
    assert out == ""


def test_a_wrong_wrt_exits_1(model, in_process):
    code, _, err = in_process("show", f"{model}:cost", "--wrt", "V")
    assert code == 1
    assert "'V' names no parameter of cost" in err


def test_numpys_own_error_at_call_time_exits_1_naming_the_users_line(model, in_process):
    code, _, err = in_process("show", f"{model}:mismatched", "--wrt", "W", "--shapes", "X=2x3,W=4x2")
    assert code == 1
    assert "ValueError" in err and "matmul" in err
    assert f"{model}:{line_of('U = X @ W')}" in err and "U = X @ W" in err


@pytest.fixture
def in_process(monkeypatch, capsys):
    """``cli.main`` in this process (a fresh interpreter per usage mistake would cost a second each):
    (exit code, stdout, stderr), with sys.path and sys.modules put back afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))

    def main(*args):
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return code, out, err
    return main


def test_usage_errors_in_a_real_process(model, tmp_path):
    code, out, err = run("show", f"{model}:cost", "--no-such-option")
    assert (code, out) == (2, "") and "unrecognized arguments" in err


@pytest.mark.parametrize("args, words", [
    (("show", "{model}"), "expected FILE.py:FUNCTION"),
    (("show", "{dir}/nowhere.py:cost"), "no such file"),
    (("show", "{model}:nothing"), "defines no nothing"),
    (("show", "{model}:cost", "--shapes", "X=5xthree"), "--shapes"),
    (("show", "{model}:cost", "--shapes", "Q=5x3"), "not a parameter"),
    (("show", "{model}:cost", "--shapes", "X=5x3"), "no shape for W, b"),
    (("show", "{model}:cost", "--example", "nothing"), "defines no nothing"),
    (("emit", "{model}:cost", "-o", "{dir}/missing/dir/out.py"), "no such directory"),
    (("show", "{model}:cost", "--no-such-option"), "unrecognized arguments"),
    (("frobnicate", "{model}:cost"), "invalid choice"),
], ids=["no-colon", "no-file", "no-function", "bad-shapes", "unknown-shape-name", "missing-shapes",
        "no-example", "no-output-dir", "unknown-option", "unknown-command"])
def test_usage_errors_exit_2(model, tmp_path, in_process, args, words):
    args = [a.format(model=model, dir=tmp_path) for a in args]
    code, out, err = in_process(*args)
    assert code == 2, err
    assert words in err
    assert out == ""


def test_a_module_that_fails_to_import_exits_1_without_a_traceback(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\n\nSCALE = 1 / 0\n\n\ndef cost(x):\n    return np.sum(x)\n")
    code, _, err = run("show", f"{path}:cost")
    assert code == 1
    assert "ZeroDivisionError" in err and f"{path}:3" in err


def test_a_module_with_a_syntax_error_exits_1(tmp_path, in_process):
    path = tmp_path / "typo.py"
    path.write_text("def cost(x)\n    return x\n")
    code, _, err = in_process("show", f"{path}:cost")
    assert code == 1
    assert "SyntaxError" in err and f"{path}:1" in err


def test_the_readme_says_the_cli_runs_the_users_module():
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "the CLI imports your file" in readme and "runs the file's" in readme


def test_nothing_in_s2sgrad_evaluates_strings():
    """Only the generated code is executed, from source s2sgrad itself wrote from the syntax tree
    (codegen.exec_source); no eval/exec/compile of anything else, so no string from user data runs."""
    package = os.path.dirname(s2sgrad.__file__)
    calls = []
    for root, _, files in os.walk(package):
        for f in files:
            if not f.endswith(".py"):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                        and node.func.id in ("eval", "exec", "compile", "__import__"):
                    calls.append((os.path.relpath(path, package), node.func.id))
    allowed = {("codegen.py", "exec"), ("codegen.py", "compile"), ("references.py", "__import__"),
               ("provenance.py", "compile")}    # (the user's own source, compiled to compare, never run)
    assert set(calls) <= allowed, sorted(set(calls) - allowed)
