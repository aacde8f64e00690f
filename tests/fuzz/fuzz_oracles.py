"""The oracles every generated program is held to.

For one program (see :mod:`fuzz_programs`), written to a real module file and
imported as a user's module would be:

``value``     ``value_and_grad`` returns the function's own value, and a gradient
              of each ``wrt`` argument's shape;
``fd``        reverse mode against central finite differences (Richardson-
              extrapolated, along a random direction), at the arguments and at
              other values of the same shapes (which reuse the specialization);
``vjp``       ``vjp`` with a unit cotangent against ``grad``;
``jvp``       forward mode against reverse mode, the dot-product test
              ``<jvp(v), 1> == <grad, v>`` (once ``s2sgrad.jvp`` exists);
``optimize``  the optimized derivative against the one generated without the
              cleanup passes;
``generic``   the shape-generic derivative against the specialized one;
``emit``      the exec'd derivative against the same derivative written out as
              a module (atomically, as ``s2sgrad emit`` does) and imported;
``purity``    nothing changed the arguments or the user's module globals.

Complex arguments follow autograd's and JAX's convention: for a real-valued
``f`` of ``z = x + iy`` the gradient is ``df/dx - i df/dy`` (JAX's autodiff
cookbook: ``grad(f)(3 + 4j)`` of ``x**2 + y**2`` is ``6 - 8j``), so a
derivative along a complex direction ``v`` is ``Re(sum(grad * v))``
(:func:`along`); a real argument gets a real gradient.

A finite-difference comparison at a point where the function is not smooth
(``abs``, ``max``, a branch on a value, within reach of the step) is
*inconclusive*, not a failure: one-sided differences that disagree, or
extrapolations at two step sizes that disagree, say so. So does a function
that fails within a step of the point (a mask there selects nothing).
"""

import importlib.util
import itertools
import os
import sys
import warnings

import numpy as np

import s2sgrad
from fuzz_time_limit import time_limit
from s2sgrad import GradError
from s2sgrad.aliasing import SharedMemoryError
from s2sgrad.api import Gradient, ValueAndGradient, VectorJacobianProduct
from s2sgrad.cli import write_atomically
from s2sgrad.complex_values import holds_complex, may_make_complex
from s2sgrad.optimize import disabled as optimizer_disabled

CHECKS = ("value", "fd", "vjp", "jvp", "optimize", "generic", "emit", "purity")
_counter = itertools.count()


class Failure(AssertionError):
    """s2sgrad gave a wrong or inconsistent answer on a valid program."""

    def __init__(self, check, message):
        self.check = check
        super().__init__(f"[{check}] {message}")


# how a GradError says that a construct is refused on purpose (not a crash dressed as an error)
_REFUSALS = ("not supported", "is not differentiated")


class Unsupported(Exception):
    """s2sgrad rejected the program with a GradError saying a construct is not supported (yet)."""

    def __init__(self, error):
        self.error = error
        super().__init__(str(error))

    @property
    def construct(self):
        text = self.error.message
        for marker in ("differentiating ", "no derivative rule for "):
            if marker in text:
                return text.split(marker, 1)[1].split(" is not")[0]
        return text.split(" is not supported")[0].split(" is not differentiated")[0]


# Bugs found by this fuzzer in code other than the tests, not fixed yet, each with a strict-xfail
# regression test in test_fuzz_regressions.py: tag (see fuzz_programs.tags_of) -> (checks it breaks,
# None for all; what goes wrong). A program with such a construct that fails counts as "known", not
# as a new failure; one that passes counts as passed. Remove an entry when its regression test XPASSes.
KNOWN_BUGS = {}


class KnownBug(Exception):
    """A failure on a program containing a construct with a known, reported bug (KNOWN_BUGS)."""

    def __init__(self, tag, error):
        self.tag = tag
        super().__init__(f"known bug {tag!r}: {KNOWN_BUGS[tag][1]}\n  ({error})")


class GeneratorBug(Exception):
    """The generated program itself does not run: a bug in the generator, not in s2sgrad."""


def load(program, directory):
    """Write the program as a module file in ``directory`` and import it."""
    name = f"s2sfuzz_{os.getpid()}_{next(_counter)}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(program.source)
    return import_file(name, path)


def import_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def unload(module):
    sys.modules.pop(module.__name__, None)
    path = getattr(module, "__file__", None)
    if path and os.path.exists(path):
        os.unlink(path)


def check_program(program, directory, checks=CHECKS):
    """Run the oracles on ``program``; returns notes on inconclusive checks.

    Raises :class:`Failure` for a wrong answer, :class:`Unsupported` when
    s2sgrad rejects a construct as not supported yet, and lets any other
    exception from s2sgrad through (a crash is a failure too).
    """
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module = load(program, directory)
    try:
        return _check(program, module, directory, checks)
    except (Unsupported, GeneratorBug):
        raise
    except Exception as exc:
        check = getattr(exc, "check", None)
        for tag in sorted(program.tags & set(KNOWN_BUGS)):
            affected = KNOWN_BUGS[tag][0]
            if affected is None or check in affected:
                raise KnownBug(tag, exc) from exc
        raise
    finally:
        unload(module)


def _check(program, module, directory, checks):
    f = getattr(module, program.name)
    args, args2 = program.args, program.args2
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with time_limit():
                expected = f(*_copies(args))
        except Exception as exc:
            raise GeneratorBug(f"the generated program does not run: {exc!r}") from exc
        if not np.isfinite(expected):
            raise GeneratorBug("the generated program's value is not finite")
        try:   # the second point is for free: the program was generated to run at the first
            with time_limit():        # (where a while loop may not end)
                expected2 = f(*_copies(args2))
        except Exception as exc:
            expected2 = exc
        if isinstance(expected2, Exception) or np.ndim(expected2) != 0 or not np.isfinite(expected2):
            notes.append("the program does not run at the second point; checked at the first only")
            args2 = None

    globals_before = dict(vars(module))
    saved = _copies(args)
    try:
        vg = ValueAndGradient(f, program.wrt)
        value, grads = vg(*args)
    except GradError as exc:
        if any(words in exc.message for words in _REFUSALS):
            raise Unsupported(exc) from exc
        raise
    grads = _as_tuple(grads, program)
    wrt = program.wrt_indices

    if "value" in checks:
        if not np.allclose(value, expected, rtol=1e-11, atol=1e-12):
            raise Failure("value", f"value_and_grad gives the value {value!r}, the function {expected!r}")
        for i, g in zip(wrt, grads):
            if np.shape(g) != np.shape(args[i]):
                raise Failure("value", f"the gradient of argument {i} has shape {np.shape(g)}, "
                                       f"the argument {np.shape(args[i])}")
            kinds = "fc" if np.iscomplexobj(args[i]) else "f"     # a real argument gets a real gradient
            if np.asarray(g).dtype.kind not in kinds:
                raise Failure("value", f"the gradient of argument {i} has dtype {np.asarray(g).dtype}")

    if "fd" in checks:
        for point, label in ((args, "the arguments"), (args2, "other arguments of the same shapes")):
            if point is None:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = grads if point is args else _as_tuple(vg(*point)[1], program)
                note = directional_check(f, point, wrt, g, seed=len(program.source))
            if note:
                notes.append(f"fd at {label}: {note}")

    if "vjp" in checks:
        cotangents = _as_tuple(VectorJacobianProduct(f, program.wrt)(*args, 1.0), program)
        _same("vjp", cotangents, grads, "vjp with a unit cotangent", "grad")

    if "jvp" in checks and hasattr(s2sgrad, "jvp"):
        rng = np.random.default_rng(7)
        directions = [_like(args[i], _direction(rng, args[i])) for i in wrt]
        tangent = forward_derivative(f, program, args, directions)
        reverse = sum(float(np.sum(along(g, d))) for g, d in zip(grads, directions))
        scale = 1 + sum(float(np.sum(np.abs(along(g, d)))) for g, d in zip(grads, directions))
        if abs(tangent - reverse) > 1e-9 * scale:
            raise Failure("jvp", f"forward mode gives <J v> = {tangent!r}, reverse mode <grad, v> = {reverse!r}")

    if "optimize" in checks:
        with optimizer_disabled():
            plain = ValueAndGradient(f, program.wrt)
            plain_value, plain_grads = plain(*args)
        _same("optimize", _as_tuple(plain_grads, program), grads, "unoptimized", "optimized")
        _same("optimize", (plain_value,), (value,), "unoptimized value", "optimized value")

    if "generic" in checks and _has_generic(vg):
        # shape-generic code is written for arrays (it reads x.shape where it cannot know it):
        # a Python float goes in as np.float64. Specialized code takes Python floats as they are.
        generic_args = [np.float64(a) if type(a) is float else np.complex128(a) if type(a) is complex else a
                        for a in args]
        if any(holds_complex(a) for a in args):
            # written for real arrays (docs/complex.md): a complex argument must be refused, not differentiated
            try:
                vg.generic.function(*generic_args)
            except TypeError as exc:
                if "for real arguments" not in str(exc):
                    raise
            else:
                raise Failure("generic", "the shape-generic code took a complex argument for a real one")
        else:
            generic_value, generic_grads = vg.generic.function(*generic_args)
            _same("generic", _as_tuple(vg._as_requested(generic_grads), program), grads, "shape-generic",
                  "specialized")

    if "emit" in checks:
        text = vg.module_source()
        name = f"s2sfuzz_emitted_{os.getpid()}_{next(_counter)}"
        path = os.path.join(directory, name + ".py")
        write_atomically(path, text, force=False)
        emitted = import_file(name, path)
        try:
            out = getattr(emitted, vg._latest.name)(*args)
            ref = vg._latest.function(*args)
            for a, b in zip(_flatten(out), _flatten(ref)):
                if not np.array_equal(a, b, equal_nan=True):
                    raise Failure("emit", f"the emitted module gives {a!r}, the exec'd function {b!r}")
        finally:
            unload(emitted)

    if "purity" in checks:
        for i, (a, b) in enumerate(zip(saved, args)):
            if not np.array_equal(a, b):
                raise Failure("purity", f"argument {i} was changed by s2sgrad")
        after = vars(module)
        # (Python's warnings machinery adds __warningregistry__ to the module of any frame that warns: the
        # oracle's own finite differences call the user's function after the snapshot)
        added = set(after) - set(globals_before) - {"__warningregistry__"}
        changed = [k for k in globals_before if after.get(k) is not globals_before[k]
                   and k not in program.own_globals]      # (the function's own `global` rebinds)
        if added or changed:
            raise Failure("purity", f"s2sgrad added {sorted(added)} / rebound {changed} in the user's module")
    return notes


def _has_generic(derivative):
    """Whether a shape-generic derivative exists: not where ``y += v`` may write into shared memory,
    which only the shape probe can rule out (by seeing that ``y`` holds a number), nor for a function that
    makes complex values."""
    if may_make_complex(derivative.program.node):   # refused: written for real arrays (docs/complex.md)
        return False
    try:
        derivative.generic
    except SharedMemoryError:
        return False
    return True


def forward_derivative(f, program, args, directions):
    """<J v, 1>: the forward-mode directional derivative of the scalar output."""
    jvp = s2sgrad.jvp(f, wrt=program.wrt)
    tangents = tuple(directions) if isinstance(program.wrt, tuple) else directions[0]
    _, tangent = jvp(*args, tangents)
    total = np.sum(tangent)
    if abs(np.imag(total)) > 1e-9 * (1 + abs(total)):
        raise Failure("jvp", f"forward mode gives a complex tangent {total!r} for a real-valued function")
    return float(np.real(total))


def directional_check(f, args, wrt, grads, seed, tolerance=1e-5):
    """Compare ``<grads, v>`` with finite differences of ``f`` along a random ``v``.

    Returns None when they agree, a note when the finite differences are
    inconclusive (a kink or a branch within reach of the step), and raises
    :class:`Failure` when they disagree.
    """
    rng = np.random.default_rng(seed)
    directions = [_direction(rng, args[i]) for i in wrt]
    products = [along(g, d) for g, d in zip(grads, directions)]
    analytic = sum(float(np.sum(p)) for p in products)
    scale = 1 + sum(float(np.sum(np.abs(p))) for p in products)

    def phi(t):
        moved = list(args)
        for i, d in zip(wrt, directions):
            moved[i] = _like(args[i], np.asarray(args[i]) + t * d)
        return float(f(*moved))

    def central(h):
        return (phi(h) - phi(-h)) / (2 * h)

    def richardson(h):
        return (4 * central(h / 2) - central(h)) / 3

    f0, step = phi(0.0), 1e-6
    try:
        coarse, fine = richardson(1e-3), richardson(1e-4)
        one_sided = abs((phi(step) - f0) / step - (f0 - phi(-step)) / step)
    except Exception as exc:      # the program itself fails within a step (a mask that selects nothing)
        return f"the program does not run within a step of the point ({type(exc).__name__})"
    if not (np.isfinite(coarse) and np.isfinite(fine)):
        return "finite differences are not finite"
    if one_sided > 1e-3 * scale:
        return f"not differentiable here (one-sided differences differ by {one_sided:.3g})"
    if abs(coarse - fine) > tolerance * (1 + abs(coarse) + abs(fine)):
        return f"finite differences do not settle ({coarse!r} vs {fine!r})"
    if scale > 1e8:
        return f"too ill-conditioned to compare (|grad| |v| = {scale:.3g})"
    rounding = 10 * abs(f0) * np.finfo(float).eps / 1e-4    # what rounding f leaves in a difference of step 1e-4
    if rounding > tolerance * scale:
        return f"the value ({f0:.3g}) is too large for differences to see the derivative (rounding {rounding:.3g})"
    if abs(analytic - fine) > tolerance * scale:
        raise Failure("fd", f"<grad, v> = {analytic!r}, finite differences give {fine!r} "
                            f"(difference {abs(analytic - fine):.3g}, scale {scale:.3g})")
    return None


def along(gradient, direction):
    """The terms of the derivative along ``direction`` that ``gradient`` stands for.

    For a real direction, ``gradient * direction``. For a complex argument
    ``z = x + iy`` and direction ``v = a + ib``, the derivative is
    ``df/dx a + df/dy b``; with the gradient ``df/dx - i df/dy`` (autograd's
    and JAX's convention) that is ``Re(gradient * v)``, never with a conjugate.
    """
    if np.iscomplexobj(direction):
        return np.real(np.asarray(gradient) * direction)
    return np.asarray(gradient, dtype=float) * direction


def _direction(rng, arg):
    """A random direction in the space of ``arg``: complex where ``arg`` is complex."""
    if np.iscomplexobj(arg):
        return rng.standard_normal(np.shape(arg)) + 1j * rng.standard_normal(np.shape(arg))
    return rng.standard_normal(np.shape(arg))


# ------------------------------------------------------------------ helpers
def _like(original, value):
    """``value`` in the type of ``original`` (a Python float stays a float)."""
    if type(original) is float:
        return float(value)
    if type(original) is complex:
        return complex(value)
    if isinstance(original, (np.floating, np.complexfloating)):
        return type(original)(value)
    return np.asarray(value, dtype=np.asarray(original).dtype)


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _as_tuple(grads, program):
    return tuple(grads) if isinstance(program.wrt, tuple) else (grads,)


def _flatten(out):
    if isinstance(out, tuple):
        for item in out:
            yield from _flatten(item)
    else:
        yield out


def _same(check, got, want, got_label, want_label):
    for k, (a, b) in enumerate(zip(got, want)):
        kind = complex if np.iscomplexobj(a) or np.iscomplexobj(b) else float
        a, b = np.asarray(a, dtype=kind), np.asarray(b, dtype=kind)
        if a.shape != b.shape:
            raise Failure(check, f"{got_label} gives shape {a.shape} for output {k}, {want_label} {b.shape}")
        bound = 1e-10 * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
        if not np.allclose(a, b, rtol=1e-9, atol=bound, equal_nan=True):
            worst = float(np.max(np.abs(a - b)))
            raise Failure(check, f"{got_label} and {want_label} differ in output {k} by {worst:.3g}:\n"
                                 f"{a!r}\n{b!r}")
