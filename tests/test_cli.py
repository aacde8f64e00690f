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
    out = emitted.grad_cost(X, W, b)
    grads = out[1] if len(out) == 2 and np.ndim(out[0]) == 0 else out
    np.testing.assert_allclose(grads[0], dW, rtol=1e-12)
    np.testing.assert_allclose(grads[1], db, rtol=1e-12)
    assert "import s2sgrad" not in target.read_text() and "from s2sgrad" not in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["cost_grad.py", "model.py"] or \
        sorted(p for p in os.listdir(tmp_path) if p != "__pycache__") == ["cost_grad.py", "model.py"]


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
