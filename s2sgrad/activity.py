"""Activity analysis: which values need derivatives at all.

A value is *varied* if it depends on a ``wrt`` argument through differentiable
operations, and *useful* if the output depends on it. Only values that are
both (active) get adjoints or tangents, so ``grad(cost, wrt=("W", "V"))``
computes no adjoint of ``X`` or ``Y``, and nothing flows through ``x.shape``,
comparisons or ``np.argmax``.

The analysis is by name and ignores statement order inside loops, so it is
conservative for code that overwrites names: it iterates to a fixpoint.
"""

import builtins

import gast
import numpy as np

from .astutil import name_nodes, names_in, walk, walk_statements
from .mutation import writes
from .rules import is_nondifferentiable
from .rules.methods import NONDIFFERENTIABLE_ATTRIBUTES

# (x.item() is differentiated, as float(x) is; x.tolist() has no rule, so that a derivative through it is
# refused rather than dropped)
NONDIFFERENTIABLE_METHODS = frozenset({"keys", "argmax", "argmin", "argsort"})


def carries_derivative(rhs):
    """Whether the result of ``rhs`` can depend differentiably on its operands."""
    if isinstance(rhs, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
        return False
    if isinstance(rhs, gast.UnaryOp) and isinstance(rhs.op, (gast.Not, gast.Invert)):
        return False
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, (gast.FloorDiv, gast.BitAnd, gast.BitOr,
                                                           gast.BitXor, gast.LShift, gast.RShift)):
        return False
    if isinstance(rhs, gast.Attribute) and rhs.attr in NONDIFFERENTIABLE_ATTRIBUTES:
        return False
    if isinstance(rhs, gast.Call):
        callee = getattr(rhs, "callee", None)
        if callee is not None and is_nondifferentiable(callee):
            return False
        if getattr(rhs, "method", None) in NONDIFFERENTIABLE_METHODS:
            return False
    return True


def operand_names(rhs):
    """Names read by a normalized right-hand side (outside references excluded)."""
    return {n.id for n in name_nodes(rhs) if isinstance(n.ctx, gast.Load) and not getattr(n, "external", False)}


def _assignments(body):
    """Every (targets, rhs, extra operands, whether it is a call's write) in a normalized body, loops and
    branches included."""
    for node in walk_statements(body):
        if isinstance(node, gast.Assign):
            targets = names_in(node.targets[0], gast.Store)
            if isinstance(node.targets[0], gast.Subscript):   # x[i] = v writes into x
                targets = {node.targets[0].value.id}
                yield targets, node.value, {node.targets[0].value.id}, False
            else:
                yield targets, node.value, set(), False
        elif isinstance(node, gast.For):
            for target, sequence in iterated(node.target, node.iter):
                yield names_in(target, gast.Store), sequence, set(), False
        if isinstance(node, (gast.Assign, gast.Expr)):
            for write in writes(node.value):      # hs.append(h), np.copyto(w, x), np.sin(x, out=w) change w
                if write.name is not None:
                    yield {write.name}, node.value, {write.name}, True


def iterated(target, iterable):
    """(target, sequence) pairs of a loop header: ``for k, row in enumerate(X)`` hands ``row`` the items
    of ``X`` (and ``k`` only counts); ``zip`` pairs each target with its own sequence."""
    callee = getattr(iterable, "callee", None)
    if isinstance(target, gast.Tuple) and isinstance(iterable, gast.Call) and not iterable.keywords:
        if callee is builtins.enumerate and len(iterable.args) == 1 and len(target.elts) == 2:
            return iterated(target.elts[1], iterable.args[0])
        if callee is builtins.zip and len(iterable.args) == len(target.elts):
            return [pair for t, a in zip(target.elts, iterable.args) for pair in iterated(t, a)]
    return [(target, iterable)]


def is_add_at(call):
    """A call of ``np.add.at(array, index, values)``, which adds into ``array`` in place."""
    callee = getattr(call, "callee", None)
    return (isinstance(call, gast.Call) and getattr(callee, "__name__", None) == "at"
            and getattr(callee, "__self__", None) is np.add and len(call.args) == 3)


def _flows(body):
    """(targets, operands) of every assignment through which a derivative can flow."""
    return [(targets, operand_names(rhs) | extra) for targets, rhs, extra, write in _assignments(body)
            if write or carries_derivative(rhs)]     # a write keeps whatever flows in (conservative)


def varied_names(body, wrt, flows=None):
    flows = _flows(body) if flows is None else flows
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for targets, operands in flows:
            if operands & varied and not targets <= varied:
                varied |= targets
                changed = True
    return varied


def useful_names(body, outputs, flows=None):
    flows = _flows(body) if flows is None else flows
    useful = set(outputs)
    changed = True
    while changed:
        changed = False
        for targets, operands in reversed(flows):   # usefulness flows backwards: one sweep for straight code
            if targets & useful:
                new = operands - useful
                if new:
                    useful |= new
                    changed = True
    return useful


def active_names(body, wrt, outputs):
    """Names that are both varied by ``wrt`` and useful to ``outputs``."""
    flows = _flows(body)
    return varied_names(body, wrt, flows) & useful_names(body, outputs, flows)


def names_in_store(node):
    """Names a statement (or target) may write, including arrays written into by subscript."""
    names = set()
    for n in walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            names.add(n.id)
        elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name):
            names.add(n.value.id)
    return names
