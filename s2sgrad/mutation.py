"""Calls that change one of their arguments, or the object they are called on, in place.

The derivative transformers read a normalized function as a chain of values:
each assignment makes a new one. A call such as ``y.fill(0.0)``,
``np.sin(x, out=y)`` or ``np.copyto(y, x)`` changes ``y`` without assigning
it, so a transformer that did not know would go on taking ``y`` to hold its
old value, and give a derivative that is wrong and looks right. This module is
the one table of such calls: :func:`writes` says what a call writes into, for

* activity analysis (:mod:`s2sgrad.activity`), where the write is a flow into
  the name written (``np.copyto(w, x)`` makes ``w`` depend on ``x``);
* the aliasing check (:mod:`s2sgrad.aliasing`), where it is a write into
  memory another name may share;
* :func:`refuse_unsupported`, which each transformer calls with the writes it
  does differentiate (``xs.append(v)``, ``np.add.at``): any other write into a
  value that carries a derivative is a :class:`GradError`. A write into a value
  that carries none (an integer index array sorted in place, a constant
  buffer filled) is fine: the primal code runs as written.
"""

import ast
import inspect
import operator
from dataclasses import dataclass

import gast
import numpy as np

from .astutil import names_in, walk_statements
from .errors import GradError, origin_of
from .naming import user_name

# methods that change the object they are called on -> the hint ({y}: that object)
MUTATING_METHODS = {
    # arrays
    "fill": "write {y} = np.full_like({y}, value) instead",
    "sort": "write {y} = np.sort({y}) (a new array) instead",
    "partition": "write {y} = np.partition({y}, k) (a new array) instead",
    "put": "write an index assignment, {y}[i] = v, instead",
    "itemset": "write an index assignment, {y}[i] = v, instead",
    "resize": "make a new array of the new shape ({y} = np.resize({y}, shape), np.pad or np.concatenate)",
    "setfield": "make a new array instead",
    "byteswap": "write {y} = {y}.byteswap() (a copy) instead",
    # the methods behind the syntax, called by name: y.__setitem__(i, v) is y[i] = v unseen
    "__setitem__": "write an index assignment, {y}[i] = v, instead",
    "__delitem__": "build the value without that item instead",
    "__setattr__": "assign to a local variable instead",
    "__delattr__": "keep the value in a local variable instead",
    "__setstate__": "make a new value instead",
    **{f"__i{op}__": f"write {{y}} = {{y}} {sign} v (a new value) instead" for op, sign in (
        ("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("floordiv", "//"), ("mod", "%"),
        ("pow", "**"), ("matmul", "@"), ("and", "&"), ("or", "|"), ("xor", "^"), ("lshift", "<<"),
        ("rshift", ">>"))},
    # lists, dicts (the transformers differentiate xs.append(v) and v = xs.pop())
    "append": "append one item at a time: {y}.append(v)",
    "extend": "append the items one at a time: for v in vs: {y}.append(v)",
    "insert": "append the items in the order wanted: {y}.append(v)",
    "pop": "keep what it returns: v = {y}.pop()",
    "remove": "build the list without that item, one {y}.append(v) at a time",
    "clear": "write {y} = [] (a new list) instead",
    "reverse": "read the items in reverse order where they are used (for v in reversed({y}), or {y}[-1 - i])",
    "update": "assign one item at a time: {y}[k] = v",
    "setdefault": "assign the item: {y}[k] = v",
    "popitem": "build a new dict instead",
}

# NumPy functions that write into their first argument -> the hint
_FIRST_ARGUMENT_WRITERS = {
    np.copyto: "write {y} = the new values (with where=: {y} = np.where(where, values, {y})) instead",
    np.put: "write an index assignment, {y}[i] = v, instead",
    np.place: "write an index assignment, {y}[mask] = values, instead",
    np.putmask: "write {y} = np.where(mask, values, {y}) instead",
    np.fill_diagonal: "write an index assignment instead: i = np.arange(min({y}.shape)); {y}[i, i] = value",
    np.put_along_axis: "write an index assignment, {y}[...] = values, instead",
}
# the same through the operator module and the builtins: operator.setitem(y, i, v), operator.iadd(y, v)
_FIRST_ARGUMENT_WRITERS.update({
    operator.setitem: "write an index assignment, {y}[i] = v, instead",
    operator.delitem: "build the value without that item instead",
    setattr: "assign to a local variable instead",
    delattr: "keep the value in a local variable instead",
    **{getattr(operator, f"i{op}"): f"write {{y}} = {{y}} {sign} v (a new value) instead" for op, sign in (
        ("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("floordiv", "//"), ("mod", "%"),
        ("pow", "**"), ("matmul", "@"), ("and", "&"), ("or", "|"), ("xor", "^"), ("lshift", "<<"),
        ("rshift", ">>"), ("concat", "+"))},
})
FIRST_ARGUMENT_WRITERS = {id(f): (f, hint) for f, hint in _FIRST_ARGUMENT_WRITERS.items()}
_SHUFFLE_HINT = "index with a permutation instead: p = rng.permutation(len({y})); {y} = {y}[p]"
_RANDOM_STATES = (np.random.Generator, np.random.RandomState)


@dataclass(frozen=True)
class Write:
    """One operand a call writes into: ``target`` (a normalized atom) and how to say it."""

    call: gast.Call
    target: gast.AST
    what: str             # ".fill()", "out=", "np.copyto", "np.multiply.at": the key transformers support
    hint: str             # what to write instead, with {y} for the target

    @property
    def name(self):
        """The local name written into, or None (a module-level array, a display)."""
        t = self.target
        return t.id if isinstance(t, gast.Name) and not getattr(t, "external", False) else None


def writes(call):
    """Every operand ``call`` (a normalized call) writes into, as :class:`Write` s; empty for most calls."""
    if not isinstance(call, gast.Call):
        return []
    found = []
    method = getattr(call, "method", None)
    callee = getattr(call, "callee", None)
    if method is not None:
        if method in MUTATING_METHODS:
            found.append(Write(call, call.func.value, f".{method}()", MUTATING_METHODS[method]))
        elif method == "shuffle" and call.args:          # rng.shuffle(y) on a local generator
            found.append(Write(call, call.args[0], ".shuffle()", _SHUFFLE_HINT))
    elif callee is not None:
        entry = FIRST_ARGUMENT_WRITERS.get(id(callee))
        mutator = getattr(callee, "__name__", None) if isinstance(getattr(callee, "__name__", None), str) else None
        mutator = mutator if mutator in MUTATING_METHODS else None
        if entry is not None and entry[0] is callee and call.args:
            module = getattr(callee, "__module__", None) or ""
            spelled = f"np.{callee.__name__}" if module.startswith("numpy") else \
                callee.__name__ if module == "builtins" else f"operator.{callee.__name__}"
            found.append(Write(call, call.args[0], spelled, entry[1]))
        elif mutator and hasattr(callee, "__objclass__") and not hasattr(callee, "__self__") and call.args:
            # np.ndarray.__setitem__(y, i, v), list.append(xs, v): the method, unbound, on its first argument
            found.append(Write(call, call.args[0], f"{callee.__objclass__.__name__}.{mutator}",
                               MUTATING_METHODS[mutator]))
        elif mutator and not inspect.ismodule(getattr(callee, "__self__", None)) \
                and hasattr(callee, "__self__") and not isinstance(callee.__self__, (np.ufunc,) + _RANDOM_STATES):
            # BUF.fill(v), OBJ.a.__setitem__(0, v): a method of an object from outside the function
            found.append(Write(call, call.func, f".{mutator}()", MUTATING_METHODS[mutator]))
        elif getattr(callee, "__name__", None) == "shuffle" and call.args \
                and isinstance(getattr(callee, "__self__", None), _RANDOM_STATES):
            found.append(Write(call, call.args[0], "shuffle", _SHUFFLE_HINT))
        elif getattr(callee, "__name__", None) == "at" and isinstance(getattr(callee, "__self__", None), np.ufunc) \
                and call.args:
            ufunc = callee.__self__.__name__
            found.append(Write(call, call.args[0], f"np.{ufunc}.at",
                               f"only np.add.at is differentiated; write an index assignment, {{y}}[i] = np.{ufunc}({{y}}[i], v), "
                               f"where the indices do not repeat"))
    for out in _out_operands(call, callee):
        for target in (out.elts if isinstance(out, (gast.Tuple, gast.List)) else [out]):
            if not (isinstance(target, gast.Constant) and target.value is None):
                found.append(Write(call, target, "out=", "write {y} = " + _without_out(call) + " (a new array) instead"))
    return found


def _out_operands(call, callee):
    """The ``out`` arguments of a call: by keyword, or by position (``np.add(a, b, y)``, ``np.dot(a, b, y)``)."""
    outs = [kw.value for kw in call.keywords if kw.arg == "out"]
    position = _out_position(callee)
    if position is not None:
        outs += call.args[position:] if isinstance(callee, np.ufunc) else call.args[position:position + 1]
    return outs


_OUT_POSITIONS = {}


def _out_position(callee):
    """The position of a callee's ``out`` parameter, if it can be passed by position (None if not)."""
    if callee is None:
        return None
    if isinstance(callee, np.ufunc):
        return callee.nin
    key = id(callee)
    if key not in _OUT_POSITIONS:
        try:
            params = list(inspect.signature(callee).parameters.values())
        except (TypeError, ValueError):
            params = []
        _OUT_POSITIONS[key] = (callee, next(
            (i for i, p in enumerate(params) if p.name == "out"
             and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), None))
    return _OUT_POSITIONS[key][1]


def _without_out(call):
    """How the user wrote the call, without its ``out=`` argument: ``np.sin(x)`` for ``np.sin(x, out=y)``."""
    written = getattr(call, "written", None)
    if written is None:
        return "the call's result"
    tree = gast.gast_to_ast(written)
    position = _out_position(getattr(call, "callee", None))
    if position is not None and getattr(call, "array_method", None):
        position -= 1                  # x.clip(0, 1, y) is np.clip(x, 0, 1, y)
    args = tree.args[:position] if position is not None else tree.args
    return ast.unparse(ast.Call(func=tree.func, args=args, keywords=[k for k in tree.keywords if k.arg != "out"]))


def construct(call):
    """The call as the user wrote it (``y.fill(0.0)``), for messages."""
    written = getattr(call, "written", None)
    return ast.unparse(gast.gast_to_ast(written)) if written is not None else "this call"


def refuse_unsupported(body, active, supported):
    """Raise :class:`GradError` at the first write into an active value that ``supported`` does not accept.

    ``supported(write, stmt)`` says whether the transformer differentiates this
    write (reverse mode: ``xs.append(v)``, ``v = xs.pop()``, ``np.add.at``).
    A write into a module-level array is refused when the call reads an active
    value: the derivative takes such arrays for constants.
    """
    for stmt in walk_statements(body):
        call = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
        for write in writes(call):
            if write.name is not None:
                carries = write.name in active
            else:
                carries = bool(names_in(call, gast.Load) & active)
            if carries and not supported(write, stmt):
                _refuse(write, stmt)


def _refuse(write, stmt):
    shown = _user_name(write)
    raise GradError(f"{construct(write.call)} changes {shown} in place, which s2sgrad does not differentiate",
                    origin_of(stmt) or origin_of(write.call),
                    write.hint.format(y=shown))


def _user_name(write):
    """The name written into as the user wrote it (``y`` for the version ``y_1``)."""
    t = write.target
    if isinstance(t, gast.Name) and not getattr(t, "external", False):
        return user_name(t.id)
    return ast.unparse(gast.gast_to_ast(t))
