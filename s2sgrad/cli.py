"""The command line: print or write out a generated derivative.

    s2sgrad show path/to/file.py:cost --wrt W,V
    s2sgrad emit path/to/file.py:cost --wrt W,V -o cost_grad.py [--force]

``--shapes "X=150x3,W=16x3"`` (or ``--example module_function`` returning the
example arguments) specializes the code to those shapes, as a call would.

What the written functions return is what the API's derivative returns: the
module of ``--mode reverse`` defines ``grad_cost``, returning exactly what
``grad(cost)`` returns (the gradients); with ``--with-value`` it defines
``value_and_grad_cost``, returning ``(value, gradients)`` as ``value_and_grad``
does. ``--mode forward`` defines ``jvp_cost(*args, *, dW, ...)``, returning
``(value, tangent)`` as ``jvp`` does (see :mod:`s2sgrad.convention`).
Note that the CLI imports the file, which runs its top-level code.

Exit codes: 0 success, 1 a GradError or a failure of the user's own code (the
message on stderr, with file:line), 2 a usage error. None prints a traceback.
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import traceback

import numpy as np

from . import api
from .errors import GradError

EXIT_OK, EXIT_GRAD_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class UserCodeError(Exception):
    """The user's own module or function failed (on import, or on the example arguments)."""


def load_function(target):
    """``path/to/file.py:name`` -> the function object (importing the file as a module)."""
    path, sep, fname = target.rpartition(":")
    if not sep or not path or not fname:
        raise UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    module_name = os.path.splitext(os.path.basename(path))[0]
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file itself fails: say where, not how the CLI got there
        raise UserCodeError(f"importing {path} failed: {describe(exc, path)}") from None
    func = getattr(module, fname, None)
    if func is None:
        raise UsageError(f"{path} defines no {fname}")
    return getattr(func, "__wrapped__", func), module


def parse_wrt(text):
    if text is None:
        return 0
    items = tuple(int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in text.split(","))
    return items[0] if len(items) == 1 else items


def example_arguments(func, module, shapes, example):
    """Arrays of the requested shapes (float64 ones), or what an example function returns."""
    if example:
        maker = getattr(module, example, None)
        if maker is None:
            raise UsageError(f"the module defines no {example}")
        try:
            args = maker()
        except Exception as exc:
            raise UserCodeError(f"{example}() failed: {describe(exc)}") from None
        return tuple(args) if isinstance(args, (tuple, list)) else (args,)
    if not shapes:
        return None
    import inspect
    params = list(inspect.signature(func).parameters)
    given = {}
    for item in shapes.split(","):
        name, _, dims = item.partition("=")
        if name.strip() not in params:
            raise UsageError(f"--shapes names {name.strip()!r}, which is not a parameter ({', '.join(params)})")
        dims = dims.strip()
        try:
            shape = () if dims in ("", "()", "scalar") else tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise UsageError(f"--shapes: cannot read {item.strip()!r}; write NAME=3x4 (or NAME=scalar)") from None
        given[name.strip()] = shape
    missing = [p for p in params if p not in given]
    if missing:
        raise UsageError(f"--shapes gives no shape for {', '.join(missing)}")
    rng = np.random.default_rng(0)
    return tuple(float(rng.random()) + 0.5 if given[p] == () else rng.random(given[p]) + 0.5 for p in params)


def make_derivative(args):
    func, module = load_function(args.target)
    wrt = parse_wrt(args.wrt)
    if args.mode == "reverse":
        derivative = (api.value_and_grad if args.with_value else api.grad)(func, wrt=wrt)
    elif args.with_value:
        raise UsageError("--with-value is for --mode reverse (forward mode's jvp_f returns the value already)")
    else:
        derivative = _forward(func, wrt)
    examples = example_arguments(func, module, args.shapes, args.example)
    if examples is not None:
        try:
            derivative.source_for(*examples)
        except GradError:
            raise
        except Exception as exc:  # the user's function fails on these arguments (NumPy's own error)
            raise UserCodeError(f"{func.__name__} fails on the example arguments: {describe(exc)}") from None
    return derivative


def _forward(func, wrt):
    from .higher import jvp
    return jvp(func, wrt=wrt)


def write_atomically(path, text, force):
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename.

    Readers see the old file or the whole new one, never half of one; a failure
    leaves the old file as it was and no temporary behind. The file gets the
    permissions a plain ``open(path, "w")`` would give it (mkstemp's are private).
    """
    if os.path.exists(path) and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"no such directory: {directory}")
    fd, temp = tempfile.mkstemp(prefix=".s2sgrad-", suffix=".py", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def build_parser():
    parser = argparse.ArgumentParser(prog="s2sgrad", description="Generate readable derivatives of NumPy functions.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command, text in (("show", "print the generated derivative"),
                          ("emit", "write the generated derivative as a standalone module")):
        p = sub.add_parser(command, help=text)
        p.add_argument("target", help="FILE.py:FUNCTION")
        p.add_argument("--wrt", help="comma-separated parameter names or indices (default: the first)")
        p.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
        p.add_argument("--shapes", help='example shapes to specialize to, e.g. "X=150x3,Y=150x3,W=16x3,V=3x16"')
        p.add_argument("--example", help="a function in the file returning example arguments")
        p.add_argument("--with-value", action="store_true",
                       help="write value_and_grad_FUNCTION, returning (value, gradients), instead of grad_FUNCTION")
        if command == "emit":
            p.add_argument("-o", "--output", required=True, help="the module file to write")
            p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        derivative = make_derivative(args)
        if args.command == "show":
            sys.stdout.write(derivative.source)
        else:
            write_atomically(args.output, derivative.module_source(), args.force)
            print(f"wrote {args.output}", file=sys.stderr)
        return EXIT_OK
    except UsageError as exc:
        print(f"s2sgrad: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GradError as exc:
        print(f"s2sgrad: {exc}", file=sys.stderr)
        return EXIT_GRAD_ERROR
    except UserCodeError as exc:
        print(f"s2sgrad: {exc}", file=sys.stderr)
        return EXIT_GRAD_ERROR


def describe(exc, path=None):
    """``Type: message`` of a failure in the user's code, with its ``file:line`` and any notes."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError) and exc.lineno:
        text = f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if path is None or os.path.abspath(f.filename) == os.path.abspath(path)]
        if frames and path is not None:
            text = f"{frames[-1].filename}:{frames[-1].lineno}: {text}"
    notes = getattr(exc, "__notes__", None)
    return text + "".join(f"\n  {note}" for note in notes or ())


if __name__ == "__main__":
    sys.exit(main())
