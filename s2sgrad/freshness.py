"""What a compiled derivative took from outside the function, and whether that still holds.

Normalization resolves free names once, at compile time: a module constant
(``LAM = 0.1``) is folded in as a literal, a helper's body is inlined, an
array or an outside object is bound by reference. Python reads them at each
call instead, so after ``LAM = 5.0``, ``helper = np.cos`` or ``f.__code__ =
...`` the compiled derivative would be of a function that no longer runs.

So every resolution is recorded here as it is made (:class:`Bindings`, one per
normalized program): which namespace or closure cell a name was read from and
what it held, which attribute of an outside object, which code object and
default values each parsed function had. Before each call the derivative asks
:meth:`Bindings.unchanged` (a few dictionary reads, tens of nanoseconds each)
and compiles afresh where anything changed. What is bound by reference and
changed in place (``ARR[:] = 0``, ``CFG["lam"] = 2``) needs no check: the
generated code reads it at each call, as the function does.

Recording is active while a program is normalized (and while its derivatives
are generated, which may parse more helpers): :func:`recording`.
"""

import contextlib
import types
import weakref

import numpy as np

MISSING = object()
_ACTIVE = []          # the Bindings being recorded into, innermost last
_STABLE_MODULES = ("numpy", "scipy")   # their attributes are not rebound: np.exp is always NumPy's


class Bindings:
    """The outside values one normalized program was compiled against."""

    __slots__ = ("_names", "_cells", "_attributes", "_functions", "_nested", "_checks", "__weakref__")

    def __init__(self):
        self._names = {}        # (id(namespace), name) -> (namespace, name, value or MISSING)
        self._cells = {}        # id(cell) -> (cell, value or MISSING)
        self._attributes = {}   # (id(owner), attr) -> (owner, attr, value)
        self._functions = {}    # id(code) -> (weak function, code, defaults) (keyword-only parameters are refused)
        self._nested = {}       # id(x) -> x: programs and derivatives this one took in whole
        self._checks = None     # the five tables as tuples, for the per-call check (made when first asked)

    def unchanged(self):
        """Whether every recorded value is still what the function would read now."""
        checks = self._checks
        if checks is None:
            checks = self._checks = tuple(tuple(table.values()) for table in (
                self._names, self._cells, self._attributes, self._functions, self._nested))
        names, cells, attributes, functions, nested = checks
        for namespace, key, value in names:
            now = namespace.get(key, MISSING)
            if now is not value and not _same_constant(now, value):
                return False
        for cell, value in cells:
            try:
                now = cell.cell_contents
            except ValueError:
                now = MISSING
            if now is not value and not _same_constant(now, value):
                return False
        for owner, attr, value in attributes:
            now = getattr(owner, attr, MISSING)
            if now is not value and not _same_constant(now, value) and not _same_method(now, value):
                return False
        for ref, code, defaults in functions:
            func = ref()
            if func is None or func.__code__ is not code or func.__defaults__ is not defaults:
                return False
        for other in nested:
            if not other.unchanged():
                return False
        return True


def _same_constant(a, b):
    """Whether ``a``, rebound in place of ``b``, folds to the same literal (0.1 read again, not -0.0 for 0.0)."""
    return type(a) is type(b) and type(a) in _CONSTANT_TYPES and repr(a) == repr(b)


def _same_method(a, b):
    """Whether ``a`` and ``b`` are the same method of the same object (``rng.normal`` makes a new one each time)."""
    owner = getattr(b, "__self__", MISSING)
    return owner is not MISSING and not isinstance(owner, types.ModuleType) \
        and getattr(a, "__self__", None) is owner and getattr(a, "__func__", None) is getattr(b, "__func__", None) \
        and getattr(a, "__name__", None) == getattr(b, "__name__", None)


_CONSTANT_TYPES = (int, float, complex, bool, str, tuple, type(None))   # what normalization folds to literals


@contextlib.contextmanager
def recording(bindings):
    """Record into ``bindings`` what is resolved inside the block (nested programs record into their own)."""
    _ACTIVE.append(bindings)
    try:
        yield bindings
    finally:
        _ACTIVE.pop()


def _recording():
    """The Bindings recorded into now (its tuples for the check are made again when next asked)."""
    bindings = _ACTIVE[-1]
    bindings._checks = None
    return bindings


def note_name(namespace, key, value):
    """A free name read from a module's globals (``value`` is MISSING where it fell through to builtins)."""
    if _ACTIVE:
        _recording()._names.setdefault((id(namespace), key), (namespace, key, value))


def note_cell(cell, value):
    """A free name read from a closure cell."""
    if _ACTIVE:
        _recording()._cells.setdefault(id(cell), (cell, value))


def attribute(owner, attr):
    """``getattr(owner, attr)``, recorded unless ``owner`` is NumPy or SciPy (``cfg.LAM``, ``model.scale``)."""
    value = getattr(owner, attr)
    if _ACTIVE and not (isinstance(owner, types.ModuleType) and owner.__name__.split(".")[0] in _STABLE_MODULES) \
            and not isinstance(owner, np.ufunc):
        _recording()._attributes.setdefault((id(owner), attr), (owner, attr, value))
    return value


def note_function(func):
    """A function whose source was parsed: its code and defaults are what that source was taken for."""
    if _ACTIVE:
        _recording()._functions.setdefault(id(func.__code__), (weakref.ref(func), func.__code__, func.__defaults__))


def note_nested(other):
    """Another program's bindings, or a derivative (``.unchanged()``), that this program took in whole."""
    if _ACTIVE and other is not _ACTIVE[-1]:
        _recording()._nested.setdefault(id(other), other)
