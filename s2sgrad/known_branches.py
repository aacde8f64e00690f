"""Branches decided by shapes: kept only as the arguments' shapes take them.

Code that works for several ranks branches on them (``if W.ndim == 2``);
the shape-generic code s2sgrad generates does too, in its conditional
expressions, and normalization turns those into ``if`` statements. Once a
derivative is specialized to its arguments' shapes those tests are constants,
so before differentiating, each such ``if`` is replaced by the branch taken.
The derivative then reads like the code that runs, and no rule is asked to
differentiate a branch that cannot run (and may not be differentiable at these
shapes, such as a product of ranks the branch exists to exclude).
"""

import operator

import gast
import numpy as np

from .astutil import name_nodes
from .simplify import literal

_COMPARE = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt, gast.LtE: operator.le,
            gast.Gt: operator.gt, gast.GtE: operator.ge, gast.Is: operator.is_, gast.IsNot: operator.is_not}
_BINARY = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
           gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod}
_UNKNOWN = object()
_SHAPE_FUNCTIONS = ((np.ndim, len), (np.shape, tuple))


def fold_known_branches(fn, shapes):
    """Replace each ``if`` whose test the known ``shapes`` decide by the branch taken (in place)."""
    if not any(isinstance(stmt, gast.If) for stmt in fn.body):
        return fn        # (only the function's own branches are folded, and the branches they keep)
    once = _assigned_once(fn)
    fn.body = _fold(fn.body, {}, shapes, once)
    return fn


def _fold(body, known, shapes, once):
    out = []
    for stmt in body:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id in once:
            value = _evaluate(stmt.value, known, shapes)
            if value is not _UNKNOWN:
                known[stmt.targets[0].id] = value
        if isinstance(stmt, gast.If):
            test = _evaluate(stmt.test, known, shapes)
            if test is not _UNKNOWN and isinstance(test, (bool, np.bool_, int)):
                out.extend(_fold(stmt.body if test else stmt.orelse, known, shapes, once))
                continue
        out.append(stmt)
    return out


def _evaluate(node, known, shapes):
    """The value of a normalized right-hand side if shapes and constants decide it, else _UNKNOWN."""
    try:
        return literal(node)
    except ValueError:
        pass
    if isinstance(node, gast.Name):
        return known.get(node.id, _UNKNOWN)
    if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and node.attr in ("ndim", "shape"):
        shape = shapes.get(node.value.id)
        if shape is None:
            return _UNKNOWN
        return len(shape) if node.attr == "ndim" else tuple(shape)
    if isinstance(node, gast.Subscript):
        base, index = _evaluate(node.value, known, shapes), _evaluate(node.slice, known, shapes)
        if isinstance(base, tuple) and isinstance(index, int) and -len(base) <= index < len(base):
            return base[index]
        return _UNKNOWN
    if isinstance(node, gast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return _apply(_COMPARE[type(node.ops[0])], node.left, node.comparators[0], known, shapes)
    if isinstance(node, gast.BinOp) and type(node.op) in _BINARY:
        return _apply(_BINARY[type(node.op)], node.left, node.right, known, shapes)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        value = _evaluate(node.operand, known, shapes)
        return _UNKNOWN if value is _UNKNOWN else not value
    if isinstance(node, gast.BoolOp):
        values = [_evaluate(v, known, shapes) for v in node.values]
        if any(v is _UNKNOWN for v in values):
            return _UNKNOWN
        return all(values) if isinstance(node.op, gast.And) else any(values)
    measure = next((m for f, m in _SHAPE_FUNCTIONS if getattr(node, "callee", None) is f), None)
    if measure is not None and len(node.args) == 1 and not node.keywords:
        shape = shapes.get(node.args[0].id) if isinstance(node.args[0], gast.Name) else None
        return _UNKNOWN if shape is None else measure(shape)
    return _UNKNOWN


def _apply(op, left, right, known, shapes):
    a, b = _evaluate(left, known, shapes), _evaluate(right, known, shapes)
    if a is _UNKNOWN or b is _UNKNOWN or not all(isinstance(v, (int, tuple, type(None))) for v in (a, b)):
        return _UNKNOWN
    try:
        return op(a, b)
    except TypeError:
        return _UNKNOWN


def _assigned_once(fn):
    counts = {}
    for node in name_nodes(fn):
        if isinstance(node.ctx, (gast.Store, gast.Param)):
            counts[node.id] = counts.get(node.id, 0) + 1
    return {n for n, c in counts.items() if c == 1}
