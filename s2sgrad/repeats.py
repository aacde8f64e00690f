"""Whether an index written through may name one element twice (``y[[0, 0, 1]] = v``).

NumPy writes a repeated index once: by assignment the last write wins, and
``y[idx] += v`` (read, add, assign) keeps only the last duplicate's sum too.
So the adjoint of such a write must send ``dy`` back to the last occurrence of
each element only (:func:`s2sgrad.runtime.last_writes`), while the adjoint of a
read (``x[idx]``) and of ``np.add.at`` adds every duplicate. Working out the
winners costs a scratch array the size of ``y`` at run time, so the generated
code does it only where repeats cannot be ruled out here: ints, slices,
``None`` and ``...`` cannot repeat, nor can a boolean mask (a comparison, a
logical operation) or an index array that cannot hold a value twice
(``np.arange``, ``np.argsort``, ``np.unique``, ``np.flatnonzero``).
"""

import gast
import numpy as np

from .astutil import walk_statements

# calls whose result, used as an index, selects each element at most once
_NO_REPEATS = tuple(id(f) for f in (np.arange, np.argsort, np.unique, np.flatnonzero, np.logical_and,
                                    np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isfinite,
                                    np.isinf, np.greater, np.less, np.equal, np.not_equal, np.greater_equal,
                                    np.less_equal))


class RepeatFree:
    """:func:`repeat_free_names` of a body, worked out the first time a write asks (most functions have
    no write by an index array at all)."""

    def __init__(self, body):
        self.body = body
        self.names = None

    def __contains__(self, n):
        if self.names is None:
            self.names = repeat_free_names(self.body)
        return n in self.names


def repeat_free_names(body):
    """The names every assignment of which makes an index that cannot repeat (see the module's account)."""
    values = {}
    for stmt in walk_statements(body):
        if isinstance(stmt, gast.Assign):
            for target in stmt.targets:
                for node in gast.walk(target):
                    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                        single = isinstance(target, gast.Name)
                        values.setdefault(node.id, []).append(stmt.value if single else None)
        elif isinstance(stmt, gast.For):
            for node in gast.walk(stmt.target):
                if isinstance(node, gast.Name):
                    values.setdefault(node.id, []).append(None)
    free = set()
    changed = True
    while changed:          # ~m where m is a mask is a mask too
        changed = False
        for n, assigned in values.items():
            if n not in free and all(v is not None and _cannot_repeat(v, free) for v in assigned):
                free.add(n)
                changed = True
    return free


def _distinct_constants(node):
    """``[0, 2]``: a list of int constants, none twice."""
    if not isinstance(node, (gast.List, gast.Tuple)) or not all(
            isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts):
        return False
    return len({e.value for e in node.elts}) == len(node.elts)


def _cannot_repeat(value, free):
    if isinstance(value, gast.Compare) or _distinct_constants(value):
        return True
    if isinstance(value, gast.Call):
        return id(getattr(value, "callee", None)) in _NO_REPEATS
    if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.Invert, gast.Not)):
        return isinstance(value.operand, gast.Name) and value.operand.id in free
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.BitAnd, gast.BitOr, gast.BitXor)):
        return all(isinstance(v, gast.Name) and v.id in free for v in (value.left, value.right))
    return isinstance(value, gast.Name) and value.id in free


def may_repeat(index, is_basic, free):
    """Whether ``y[index]`` may name an element twice: ``is_basic`` tells an int, slice or ``None`` part,
    ``free`` holds the names :func:`repeat_free_names` found (a :class:`RepeatFree`)."""
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    arrays = [p for p in parts if not is_basic(p)]
    if not arrays:
        return False
    if len(arrays) == 1 and (_distinct_constants(arrays[0])
                             or isinstance(arrays[0], gast.Name) and arrays[0].id in free):
        return False
    return True
