"""Which arguments are containers, by how the function reads them: for the code that serves arguments of any kind.

The shape-generic derivative (what ``s2sgrad show`` and ``emit`` write without
example arguments, and ``.source`` before the first call) knows nothing of its
arguments. A parameter it took for an array, but which is a list of (W, b)
tuples or a dict of layers, would get ``np.zeros_like(layers)``, which fails.
The way the function reads a name can settle it: a string key makes a dict,
items that are unpacked or are containers make a list. A name taken for a list
gets its adjoint through :func:`s2sgrad.runtime.zeros_like_each` and
:func:`s2sgrad.runtime.add_each`, which serve an array as well, so a wrong
guess of "list" still computes the right numbers, provided the name is read by
one position at a time and never written into (see ``decide`` below).
Specialized code (after a call) knows the containers from the call itself.
"""

import builtins
import functools

import gast

from .activity import iterated
from .astutil import name_nodes, walk, walk_statements


def containers_by_use(func, kinds):
    """Arguments (and values read out of them) that can only be containers, by how ``func`` reads them, for
    code that must serve arguments of any kind (where no call has shown them): a name indexed by a string
    (``layer["W"]``) is a dict; one whose items are containers (``for layer in layers`` with such a layer;
    ``for W, b in layers``) is a list; an item of a container that is itself only indexed
    (``Ws = params["Ws"]; Ws[0]``) is taken for a list. Only names read as nothing else count (never an
    operand of arithmetic, where a list would mean concatenation): a list taken for one holds arrays, and
    the runtime helpers its adjoint goes through (:func:`zeros_like_each`, :func:`add_each`) serve an
    array as well. ``kinds``: the containers the code makes itself."""
    from .rules.sequences import SEQUENCE_KINDS
    containers = SEQUENCE_KINDS + ("dict",)
    only_indexed = functools.cache(lambda: _only_indexed(func))    # (asked only where there is evidence)
    counters = _counters(func)
    found = {}

    def kind_of(name_):
        return kinds.get(name_) or found.get(name_)

    positions = {}                     # name -> whether every index it is read at picks one item by position
    for stmt in walk_statements(func.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Subscript) \
                and isinstance(stmt.value.value, gast.Name):
            index = stmt.value.slice
            one = isinstance(index, gast.Slice) or _one_position(index, counters)
            positions[stmt.value.value.id] = positions.get(stmt.value.value.id, True) and one
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) \
                and isinstance(stmt.targets[0].value, gast.Name):
            positions[stmt.targets[0].value.id] = False

    def decide(name_, kind):
        """Take ``name_`` for a ``kind``; whether that is news. Never a list that is read at an array of
        indices (an array read so adds up repeated indices, and a list's adjoint, item by item, would not)
        or written into (a list's slot is replaced, an array's row written over in place: the tape keeps
        the old row of an array only as a copy)."""
        if kind_of(name_) is None and name_ in only_indexed() and (kind != "list" or positions.get(name_, True)):
            found[name_] = kind
            return True
        return False

    changed = True
    while changed:                     # (an item found a container makes its sequence one: again)
        changed = False
        for node in walk_statements(func.body):
            for receiver in _dict_method_receivers(node):
                changed |= decide(receiver, "dict")
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) \
                    and isinstance(node.value, gast.Subscript) and isinstance(node.value.value, gast.Name):
                base, item, index = node.value.value.id, node.targets[0].id, node.value.slice
                if isinstance(index, gast.Constant) and isinstance(index.value, str):
                    changed |= decide(base, "dict")
                if kind_of(item) in containers:
                    changed |= decide(base, "list")
                if kind_of(base) in ("list", "dict"):
                    changed |= decide(item, "list")
            elif isinstance(node, gast.For):
                if isinstance(node.target, gast.Name) and isinstance(node.iter, gast.Name) \
                        and _indexes_by(node.body, node.iter.id, node.target.id):
                    changed |= decide(node.iter.id, "dict")       # for k in d: ... d[k]: its keys
                for target, sequence in iterated(node.target, node.iter):
                    if isinstance(sequence, gast.Name) and (isinstance(target, gast.Tuple) or (
                            isinstance(target, gast.Name) and kind_of(target.id) in containers)):
                        changed |= decide(sequence.id, "list")
    return found


_DICT_METHODS = ("keys", "values", "items")


def _counters(func):
    """The names loops count with: ``i`` of ``for i in range(...)`` and of ``for i, x in enumerate(xs)``."""
    found = set()
    for stmt in walk_statements(func.body):
        if isinstance(stmt, gast.For) and isinstance(stmt.iter, gast.Call):
            callee = getattr(stmt.iter, "callee", None)
            if callee is builtins.range and isinstance(stmt.target, gast.Name):
                found.add(stmt.target.id)
            elif callee is builtins.enumerate and isinstance(stmt.target, gast.Tuple) \
                    and isinstance(stmt.target.elts[0], gast.Name):
                found.add(stmt.target.elts[0].id)
    return found


def _one_position(index, counters):
    """Whether ``index`` picks one item by position (a constant or a loop's counter): what a list takes.
    (An array of integers picks several, maybe one twice, whose adjoints NumPy's indexed write would
    not add up as a list's item by item does.)"""
    if isinstance(index, gast.Constant):
        return type(index.value) is int
    if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub):
        return _one_position(index.operand, counters)
    return isinstance(index, gast.Name) and index.id in counters


def _indexes_by(body, container, key):
    """Whether ``body`` reads ``container[key]``."""
    return any(isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and node.value.id == container
               and isinstance(node.slice, gast.Name) and node.slice.id == key
               for stmt in body for node in walk(stmt))


def _dict_method_receivers(stmt):
    """The names a statement (a loop's header included) calls ``.keys()``, ``.values()`` or ``.items()`` of
    (at its top, as normalized code calls them)."""
    cls = type(stmt)
    call = stmt.iter if cls is gast.For else stmt.value if cls is gast.Assign or cls is gast.Expr else None
    if type(call) is gast.Call and type(call.func) is gast.Attribute and call.func.attr in _DICT_METHODS \
            and type(call.func.value) is gast.Name:
        return [call.func.value.id]
    return []


def _only_indexed(func):
    """The names ``func`` reads only by indexing them, iterating over them (``zip`` and ``enumerate``
    included), taking their ``len`` or asking a dict's keys, values or items. (Normalized code reads a
    container so at the top of a statement: ``t = x[i]``, ``x[i] = v``, ``t = len(x)``, a loop's header;
    a read found nowhere else counts as any other, which only makes fewer names containers.)"""
    reads = []                          # the Name nodes that read a container
    for stmt in walk_statements(func.body):
        cls = type(stmt)
        if cls is gast.For:
            reads.extend(sequence for _, sequence in iterated(stmt.target, stmt.iter))
            parts = [stmt.iter]
        elif cls is gast.Assign:
            parts = [stmt.value] + stmt.targets
        elif cls is gast.Expr or cls is gast.AugAssign:
            parts = [stmt.value]
        else:
            continue
        for part in parts:
            if type(part) is gast.Subscript:
                reads.append(part.value)
            elif type(part) is gast.Call:
                callee = part.func
                if type(callee) is gast.Attribute and callee.attr in _DICT_METHODS:
                    reads.append(callee.value)
                elif getattr(part, "callee", None) is builtins.len and len(part.args) == 1:
                    reads.append(part.args[0])
    read_so = {id(node) for node in reads if type(node) is gast.Name}
    if not read_so:
        return set()
    indexed, other = set(), set()
    for node in name_nodes(func):
        if type(node.ctx) is gast.Load:
            (indexed if id(node) in read_so else other).add(node.id)
    return indexed - other
