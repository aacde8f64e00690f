"""Running on arrays other than NumPy's: what the user's own code does that cannot follow them.

Generated code is array-generic: it makes every array from an existing one
(``np.zeros_like(x)``) and calls NumPy functions, which hand the work to the
arguments' own library through NumPy's dispatch protocols
(``__array_function__``, ``__array_ufunc__``). Called with CuPy arrays it runs
on the GPU, with Dask arrays it builds a lazy graph (see ``docs/arrays.md``).

The primal statements in a derivative are the user's own, though, and a few
constructs in them cannot follow the arguments: reading an array's value into
Python (``float(x)``, ``x.item()``, an ``if`` on an array) copies it from the
GPU, or computes the Dask graph built so far, on every call; ``np.asarray(x)``
converts to NumPy (CuPy refuses, Dask computes); and an array made from a
shape (``np.zeros((n, m))``) is a NumPy array, which CuPy will not combine
with its own. :func:`check` finds these in the normalized program when a
derivative is specialized to non-NumPy arguments, and warns once per
specialization, naming the user's line; :func:`explained` turns the failure
that may follow into a :class:`GradError` that points at the cause.
"""

import builtins
import contextlib
import warnings

import gast
import numpy as np

from .astutil import names_in, walk_statements
from .errors import GradError, origin_of
from .rules.methods import NONDIFFERENTIABLE_ATTRIBUTES


class ArrayDispatchWarning(UserWarning):
    """The user's function does something that cannot stay on the arguments' array library."""


# Functions that make a NumPy array from shapes or Python values, not from an existing array.
CONSTRUCTORS = {id(f): f for f in (np.zeros, np.ones, np.empty, np.full, np.eye, np.identity, np.arange,
                                   np.linspace, np.logspace, np.tri, np.indices)}
# Functions that convert their argument to a NumPy array.
CONVERSIONS = {id(f): f for f in (np.asarray, np.array, np.asanyarray, np.ascontiguousarray,
                                  np.asfortranarray)}
# Python builtins and array methods that read an array's value into Python.
TO_PYTHON = {id(f): f for f in (builtins.float, builtins.int, builtins.bool, builtins.complex)}
TO_PYTHON_METHODS = frozenset({"item", "tolist"})
# ``x.shape``, ``len(x)``: values about an array that never read its data
_METADATA_FUNCTIONS = {id(f) for f in (builtins.len, np.shape, np.ndim, np.size)}
_LIKE_SUFFIX = {"zeros": "zeros_like", "ones": "ones_like", "empty": "empty_like", "full": "full_like"}


def foreign_arrays(args):
    """The array arguments that are not NumPy arrays (CuPy, Dask, ...), by position."""
    return {i: a for i, a in enumerate(args)
            if not isinstance(a, (np.ndarray, np.generic)) and hasattr(a, "__array_function__")
            and hasattr(a, "shape") and hasattr(a, "dtype")}


def takes_numpy_operands(array):
    """Whether ``array``'s library combines NumPy arrays with its own.

    A Dask array wraps a NumPy operand into its graph as a constant; device
    arrays (CuPy) refuse one rather than copy it over silently.
    """
    return hasattr(array, "__dask_graph__")


def describe(array):
    kind = type(array)
    module = kind.__module__.split(".")[0]
    return f"{module}.{kind.__name__}"


def check(program, args):
    """Warn about each construct of ``program`` that cannot follow ``args``' array library.

    Returns the findings as ``(origin, message)`` pairs (empty for NumPy arguments).
    """
    foreign = foreign_arrays(args)
    if not foreign:
        return []
    example = next(iter(foreign.values()))
    params = program.params
    for i, array in foreign.items():
        if not all(isinstance(n, int) for n in array.shape):     # Dask after a boolean mask: nan sizes
            param = params[i] if i < len(params) else f"#{i}"
            raise GradError(f"the argument {param} of {program.parsed.name} has unknown chunk sizes (shape "
                            f"{array.shape}), so its derivative cannot be sized", program.parsed.origin,
                            f"call {param}.compute_chunk_sizes() first")
    arrays = _array_valued(program.node.body, {params[i] for i in foreign if i < len(params)})
    findings = []
    for node, message in _constructs(program.node.body, arrays, example):
        origin = origin_of(node)
        findings.append((origin, message))
        if origin is not None:
            warnings.warn_explicit(f"{program.parsed.name}: {message}", ArrayDispatchWarning,
                                   origin.filename, origin.lineno)
        else:
            warnings.warn(f"{program.parsed.name}: {message}", ArrayDispatchWarning, stacklevel=4)
    return findings


@contextlib.contextmanager
def explained(findings):
    """Re-raise a failure while running the user's code as a GradError naming the construct found."""
    try:
        yield
    except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        if not findings:
            raise
        origin, message = findings[0]
        raise GradError(f"{message}; running it failed with {type(exc).__name__}: {exc}", origin) from exc


def _constructs(body, arrays, example):
    library = describe(example)
    reads_back = ("copies it from the GPU to the host" if not takes_numpy_operands(example)
                  else "computes the Dask graph built so far")
    for stmt in walk_statements(body):
        if isinstance(stmt, (gast.If, gast.While)) and names_in(stmt.test, gast.Load) & arrays:
            keyword = "if" if isinstance(stmt, gast.If) else "while"
            yield stmt, (f"`{keyword}` on an array value reads it into Python, which {reads_back} on every "
                         f"call; keep the branch in the arrays (np.where) or decide it outside the function")
            continue
        if not isinstance(stmt, gast.Assign) or not isinstance(stmt.value, gast.Call):
            continue
        call = stmt.value
        callee = getattr(call, "callee", None)
        operands = set().union(*[names_in(a, gast.Load) for a in call.args]) if call.args else set()
        method = getattr(call, "method", None)
        if method in TO_PYTHON_METHODS and names_in(call.func, gast.Load) & arrays:
            yield stmt, (f".{method}() reads an array's value into Python, which {reads_back} on every call")
        elif id(callee) in TO_PYTHON and operands & arrays:
            yield stmt, (f"{callee.__name__}() of an array reads its value into Python, which {reads_back} on "
                         f"every call; leave it an array (a 0-d array works wherever a number does)")
        elif id(callee) in CONVERSIONS and operands & arrays:
            what = ("CuPy refuses implicitly" if not takes_numpy_operands(example) else "Dask computes it")
            yield stmt, (f"np.{callee.__name__}() converts a {library} to a NumPy array ({what}); drop it, "
                         f"the value is an array already")
        elif not takes_numpy_operands(example) and not any(k.arg == "like" for k in call.keywords) \
                and (id(callee) in CONSTRUCTORS or (id(callee) in CONVERSIONS and not operands & arrays)):
            name_ = callee.__name__
            fix = (f"np.{_LIKE_SUFFIX[name_]}(x, {'value, ' if name_ == 'full' else ''}shape=...)"
                   if name_ in _LIKE_SUFFIX else f"np.{name_}(..., like=x)")
            yield stmt, (f"np.{name_}() makes a NumPy array, which cannot be combined with the {library} "
                         f"arguments; make it from an argument x instead: {fix}")


def _array_valued(body, params):
    """Names that may hold arrays of the arguments' library: anything computed from their data."""
    arrays = set(params)
    changed = True
    while changed:
        changed = False
        for stmt in walk_statements(body):
            if isinstance(stmt, gast.For):
                targets, value = names_in(stmt.target, gast.Store), stmt.iter
            elif isinstance(stmt, gast.Assign):
                targets, value = names_in(stmt.targets[0], gast.Store), stmt.value
            else:
                continue
            if targets - arrays and names_in(value, gast.Load) & arrays and not _metadata(value):
                arrays |= targets
                changed = True
    return arrays


def _metadata(expr):
    """Whether ``expr`` reads only what an array is (shape, size, dtype), never its values."""
    if isinstance(expr, gast.Attribute):
        return expr.attr in NONDIFFERENTIABLE_ATTRIBUTES
    if isinstance(expr, gast.Subscript):
        return _metadata(expr.value)
    if isinstance(expr, gast.Call):
        return id(getattr(expr, "callee", None)) in _METADATA_FUNCTIONS
    return False



def fill_by_adding(fn, numpy_alias):
    """Rewrite ``np.full_like(a, v)`` as ``np.zeros_like(a) + v`` where ``v`` is not a plain number.

    Rules fill arrays with a number the derivative computed (``np.full_like(x, g)``
    for the adjoint of a sum). On Dask arrays that number is a 0-d lazy array,
    and Dask's ``full_like`` fills through ``np.copyto``, which it does not
    implement: it would compute the graph. Used where the arguments may not all
    be NumPy's; NumPy code keeps the one-pass ``full_like``.
    """
    class FillByAdding(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            if isinstance(func, gast.Attribute) and func.attr == "full_like" and isinstance(func.value, gast.Name) \
                    and func.value.id == numpy_alias and len(node.args) == 2 and not node.keywords \
                    and not isinstance(node.args[1], gast.Constant):
                zeros = gast.Call(func=gast.Attribute(value=func.value, attr="zeros_like", ctx=gast.Load()),
                                  args=[node.args[0]], keywords=[])
                return gast.BinOp(left=zeros, op=gast.Add(), right=node.args[1])
            return node

    return FillByAdding().visit(fn)
