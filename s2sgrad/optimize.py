"""Cleanup passes: from one-operation-per-line to code a person would write.

Normalization and the rules leave many single-use temporaries, a seed
``dnll = 1.0`` and copies such as ``dZ = dt4``. These passes fold them:

* constant propagation of generated names (the seed ``1.0`` folds into its uses);
* copy propagation, keeping the more readable of the two names;
* dead-code elimination (adjoints nobody reads, primal values only the
  adjoint needed but that the wrt arguments do not);
* forward substitution of single-use temporaries into their one use;
* identities that make cheaper what forward substitution brought together
  (:mod:`s2sgrad.rewrites`; these may change the last bits of a value).

The passes only rearrange the straight-line statements of the function body;
a loop or branch is a barrier that reads and writes every name inside it.
Every other pass preserves the values computed exactly (no reassociation).
"""

import bisect
import builtins
import contextlib
import functools
from collections import Counter
from itertools import chain

import gast

from .aliasing import shared_operands, sharing_groups
from .astutil import assign, copy_origin, name_nodes, names_in, replaced, walk, walk_statements
from .mutation import writes
from .release import release_forward_only
from .rewrites import rewrite
from .simplify import simplify, simplify_function

_ENABLED = [True]


@contextlib.contextmanager
def disabled():
    """Generate without the cleanup passes while inside this block.

    The differential tests compare each derivative with its unoptimized self:
    the passes must never change a value, and this is how that is checked.
    """
    _ENABLED.append(False)
    try:
        yield
    finally:
        _ENABLED.pop()


def optimize(fn, namer, generated, shapes=None, numpy_alias="np", release=False):
    """Clean up a generated function in place; ``generated`` holds the adjoint names.

    ``release``: a gradient that returns no value may drop its large
    forward-only values before the backward sweep (see :mod:`s2sgrad.release`).
    """
    known = dict(shapes or {}, **_numbers(fn))
    cleanup = Cleanup(fn, namer, generated, known, numpy_alias)
    if _ENABLED[-1]:
        simplify_function(fn, known, numpy_alias)   # the passes fold what their substitutions make foldable
        cleanup.run()
        if rewrite(fn, numpy_alias):                # (it changes statements in place: the passes start afresh)
            cleanup = Cleanup(fn, namer, generated, known, numpy_alias)
            cleanup.run()
    copy_where_shared(fn, cleanup)
    copy_returned_shared(fn, cleanup)
    if _ENABLED[-1] and release and shapes:
        release_forward_only(fn, set(generated), shapes)
    return fn


def copy_where_shared(fn, cleanup):
    """``a = b`` as ``a = b.copy()`` where one of the two is changed in place while the other is still read.

    Folding makes such copies in generated code: ``dx = 1.0 * y`` is ``dx = y``,
    and the reverse sweep later restores ``y[0]`` from the tape in place, which
    would change ``dx`` too (as ``dx += v`` would change ``y``). The user's own
    statements keep the sharing they wrote: the aliasing check has judged it.

    Positions are textual; inside a loop, everything from the loop's start
    counts as after (the next pass comes back), so the test is conservative.
    ``cleanup`` lends its cached name sets (the passes call this before they
    propagate copies).
    """
    order, zone = [], {}
    _in_textual_order(fn.body, None, order, zone)
    changed = {}
    for k, stmt in enumerate(order):
        if not isinstance(stmt, _COMPOUND):
            for n in cleanup.written_into(stmt):
                changed.setdefault(n, []).append(k)
            if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                changed.setdefault(stmt.target.id, []).append(k)
    copies = [(i, stmt, b) for i, stmt in enumerate(order)
              if isinstance(stmt, gast.Assign) and not getattr(stmt, "as_written", False)
              and cleanup.simple_assign(stmt) for b in sorted(_may_be_names(stmt.value))
              if stmt.targets[0].id in changed or b in changed]
    if not copies:
        return
    passed_on = {}                     # b -> the names a = b (or a conditional expression that may be b) binds
    bound = {}                         # name -> positions of the statements that bind it anew
    for k, stmt in enumerate(order):
        if isinstance(stmt, gast.Assign) and cleanup.simple_assign(stmt):
            for b in _may_be_names(stmt.value):
                passed_on.setdefault(b, set()).add(stmt.targets[0].id)
            bound.setdefault(stmt.targets[0].id, []).append(k)
    same = {n: _reached(n, passed_on) for _, stmt, b in copies for n in (stmt.targets[0].id, b)}
    wanted = set().union(*same.values())
    read = {}
    for k, stmt in enumerate(order):
        loads = names_in(Cleanup.header(stmt)[-1], gast.Load) if isinstance(stmt, _COMPOUND) else cleanup.loads(stmt)
        for n in loads & wanted:
            read.setdefault(n, []).append(k)
    for i, stmt, b in copies:
        a = stmt.targets[0].id
        for x, other in ((a, b), (b, a)):
            # the writes into x while it still names this object (before a statement binds x anew)
            rebound = _next(bound.get(x, []), i) if zone[id(stmt)] == i else None
            later = [j for j in changed.get(x, ()) if j != i and j >= zone[id(stmt)]
                     and (rebound is None or j < rebound)]
            # (other is read, itself or as a name it was passed on to: dt7 = dx; dc = dt7; dx[0] = ...; dc + v)
            if later and any(k != i and k >= zone[id(order[later[0]])] for n in same[other] for k in read.get(n, ())):
                # (in place: the names the statement reads and writes, which the passes cache, stay)
                stmt.value = _copied(stmt.value, b, cleanup.numpy_alias, number=not cleanup.shapes.get(b))
                break


def _reached(name_, passed_on):
    """``name_`` and every name it is passed on to by plain assignments, at any remove."""
    reached, todo = set(), [name_]
    while todo:
        n = todo.pop()
        if n not in reached:
            reached.add(n)
            todo.extend(passed_on.get(n, ()))
    return reached


def copy_returned_shared(fn, cleanup):
    """``dx = y.copy()`` where a returned derivative would be a parameter's own array (``dx = y``, the
    gradient of ``np.sum(x * y)``), a view of one (``t1 = y.T; dx = t1``), or another returned derivative.

    The caller gets arrays of its own, which it may change in place
    (``dW *= mask``, ``total += dW``) without changing its inputs or its other
    gradients. Only a returned name's last assignment counts, where it is at the
    top level with nothing after it assigning the name again: ``dx = y; dx = dx + c``
    makes a new array anyway.
    """
    if not cleanup.returned:
        return
    last = {}
    for i, stmt in enumerate(fn.body):
        stored = cleanup.stores(stmt)
        for n in stored & cleanup.returned:
            last[n] = i if cleanup.simple_assign(stmt) else None
    views = None
    arrays = set()                         # returned names known to hold arrays of their own by now
    for i in sorted(i for i in last.values() if i is not None):
        stmt = fn.body[i]
        returned, value = stmt.targets[0].id, stmt.value
        shared = _may_be_names(value) or (shared_operands(value) if type(value) in _VIEWS else set())
        if not shared or cleanup.shapes.get(returned) == ():     # (a number is never changed in place)
            continue
        views = _views(fn.body, cleanup) if views is None else views
        reached, todo = set(), list(shared)
        while todo:
            n = todo.pop()
            if n not in reached:
                reached.add(n)
                todo.extend(views.get(n, ()))
        if reached & (cleanup.params | cleanup.returned - {returned}):
            if isinstance(value, gast.Name):
                array = cleanup.shapes.get(value.id) or value.id in arrays
                copied = _copied(value, value.id, cleanup.numpy_alias, number=not array)
            elif isinstance(value, gast.IfExp):
                copied = _numpy_call(cleanup.numpy_alias, "copy", value)
            else:
                copied = _method_copy(value)
            fn.body[i] = copy_origin(assign(returned, copied), stmt)
            arrays.add(returned)


_VIEWS = (gast.Attribute, gast.Subscript)    # y.T, y[0]: views of y


def _views(body, cleanup):
    """For each name bound at the top level to another name or a view of one (``t1 = y.T``), or by the
    user's own statement to what may share an argument's memory, those names. (Generated calls make
    new arrays; the user's calls are known by their callee.)"""
    found = {}
    for stmt in body:
        if cleanup.simple_assign(stmt):
            value = stmt.value
            if type(value) is gast.Name or type(value) is gast.IfExp or type(value) in _VIEWS \
                    or getattr(stmt, "as_written", False):
                shared = _may_be_names(value) or shared_operands(value)
                if shared:
                    found[stmt.targets[0].id] = shared
    return found


def _may_be_names(value):
    """The local names ``value`` may evaluate to, the very object: ``b`` for ``b``, ``b`` and ``c`` for a
    shape-generic rule's ``b if np.ndim(a) == 1 else c @ d``."""
    if isinstance(value, gast.Name) and not getattr(value, "external", False):
        return {value.id}
    if isinstance(value, gast.IfExp):
        return _may_be_names(value.body) | _may_be_names(value.orelse)
    return set()


def _copied(value, b, numpy_alias, number=False):
    """``value`` with its result copied where it would be ``b``: ``b.copy()`` of an array; ``np.copy(b)``
    where ``b`` may be a Python number, which has no ``.copy()`` (a ``number``: its shape is () or not known,
    as in a vjp's cotangent or a branch of a shape-generic conditional expression)."""
    if isinstance(value, gast.Name) and not number:
        return _method_copy(value)
    if isinstance(value, gast.Name):
        return _numpy_call(numpy_alias, "copy", value)
    if isinstance(value, gast.IfExp):
        for branch in ("body", "orelse"):
            part = getattr(value, branch)
            if isinstance(part, gast.Name) and part.id == b:
                setattr(value, branch, _copied(part, b, numpy_alias, number=True))
            elif isinstance(part, gast.IfExp):
                _copied(part, b, numpy_alias)
    return value


def _method_copy(expr):
    """``expr.copy()``: the method, which CuPy and Dask arrays answer themselves."""
    return gast.Call(func=gast.Attribute(value=expr, attr="copy", ctx=gast.Load()), args=[], keywords=[])


def _numpy_call(numpy_alias, fname, *args):
    return gast.Call(func=gast.Attribute(value=gast.Name(id=numpy_alias, ctx=gast.Load(), annotation=None,
                                                         type_comment=None), attr=fname, ctx=gast.Load()),
                     args=list(args), keywords=[])


def _in_textual_order(block, loop_start, order, zone):
    """Append the statements of ``block``, nested ones included, to ``order``; ``zone`` maps each
    to its position, or to its loop's start inside a loop (for :func:`copy_where_shared`)."""
    for stmt in block:
        zone[id(stmt)] = len(order) if loop_start is None else loop_start
        order.append(stmt)
        if isinstance(stmt, _COMPOUND):
            start = zone[id(stmt)] if isinstance(stmt, (gast.For, gast.While)) else loop_start
            _in_textual_order(stmt.body, start, order, zone)
            _in_textual_order(stmt.orelse, start, order, zone)


_COMPOUND = (gast.If, gast.For, gast.While)


def _numbers(fn):
    """Names bound once, to arithmetic on constants (``dt3 = 1.0 / 1000.0``, a mean's adjoint): numbers.

    Simplification then negates such a number rather than the array it scales.
    """
    candidates = {stmt.targets[0].id for stmt in fn.body
                  if Cleanup.simple_assign(stmt) and _is_arithmetic_on_numbers(stmt.value)}
    if not candidates:
        return {}
    defs = Counter(a.id for a in fn.args.args + fn.args.kwonlyargs if a.id in candidates)
    for stmt in walk_statements(fn.body):      # (a comprehension's variable is its own scope's)
        cls = type(stmt)
        if cls is gast.Assign or cls is gast.Delete:
            targets = stmt.targets
        elif cls is gast.AugAssign or cls is gast.For:
            targets = (stmt.target,)
        else:
            continue
        for target in targets:
            if type(target) is gast.Name:
                if target.id in candidates:
                    defs[target.id] += 1
                continue
            for node in name_nodes(target):
                if not isinstance(node.ctx, gast.Load) and node.id in candidates:
                    defs[node.id] += 1
    return {n: () for n in candidates if defs[n] == 1}


def _is_arithmetic_on_numbers(node):
    if isinstance(node, gast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _is_arithmetic_on_numbers(node.operand)
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)):
        return _is_arithmetic_on_numbers(node.left) and _is_arithmetic_on_numbers(node.right)
    return False


class Cleanup:
    """The passes, over one generated function. Each pass makes all the changes it can in one sweep.

    Name sets are cached per statement object; a changed statement is always
    replaced by a new object (:func:`~s2sgrad.astutil.replaced` makes one), so the cache never goes stale.
    """

    def __init__(self, fn, namer, generated, shapes=None, numpy_alias="np"):
        self.fn = fn
        self.namer = namer
        self.shapes = shapes or {}
        self.numpy_alias = numpy_alias
        self.generated = set(generated) | set(namer.temps)
        self.params = {a.id for a in fn.args.args} | {a.id for a in fn.args.kwonlyargs}
        last = fn.body[-1] if fn.body else None
        self.returned = names_in(last.value) & set(generated) \
            if isinstance(last, gast.Return) and last.value is not None else set()   # dx, dW
        self._names = {}
        self._written = {}
        self._counts = None

    def run(self):
        """The passes in turn, until every one of them has run once in a row without a change."""
        passes = (self.propagate_constants, self.propagate_copies, self.eliminate_dead_code,
                  self.inline_single_use, self.propagate_block_copies)
        unchanged = 0
        for turn in range(20 * len(passes)):
            if passes[turn % len(passes)]():
                unchanged = 0
                self._counts = None      # the definition and use counts are stale
            else:
                unchanged += 1
                if unchanged == len(passes):
                    break

    def simplify(self, stmt):
        """Fold what a pass's substitution made foldable (``1.0 * e``), knowing the shapes; a name
        it leaves bound to a number (``dt3 = 1.0 / 40.0``) is known to hold one from then on."""
        stmt = simplify(stmt, self.shapes, self.numpy_alias)
        if self.simple_assign(stmt) and _is_arithmetic_on_numbers(stmt.value) \
                and self.counts()[0].get(stmt.targets[0].id) == 1:
            self.shapes[stmt.targets[0].id] = ()
        return stmt

    # ------------------------------------------------------------- names
    def names(self, stmt):
        """``(loads, stores, names read)`` of a statement and everything nested in it; the last is a
        list, with a name as often as it is read."""
        if isinstance(stmt, _COMPOUND):
            loads, stores, read, _ = _tally(node for part in self.header(stmt) for node in name_nodes(part))
            for field in ("body", "orelse"):
                for inner in getattr(stmt, field, None) or []:
                    l, st, r = self.names(inner)
                    loads |= l
                    stores |= st
                    read += r
            return loads, stores, read
        return self._simple_names(stmt)[1:4]

    def _simple_names(self, stmt):
        """``(stmt, loads, stores, names read, names written)`` of a simple statement, cached."""
        entry = self._names.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            loads, stores, read, written = _tally(name_nodes(stmt))
            if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                loads.add(stmt.target.id)       # da += v reads da
                read.append(stmt.target.id)
            entry = self._names[id(stmt)] = (stmt, loads, stores, read, written)
        return entry

    def loads(self, stmt):
        if isinstance(stmt, _COMPOUND):
            return self.names(stmt)[0]
        return self._simple_names(stmt)[1]

    def written_into(self, stmt):
        """The arrays a statement writes into (``x[i] = v``, ``np.add.at(x, ...)``), cached like names."""
        entry = self._written.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = self._written[id(stmt)] = (stmt, _subscript_bases(stmt))
        return entry[1]

    def stores(self, stmt):
        if isinstance(stmt, _COMPOUND):
            return self.names(stmt)[1]
        return self._simple_names(stmt)[2]

    @staticmethod
    def header(stmt):
        if isinstance(stmt, gast.For):
            return [stmt.target, stmt.iter]
        return [stmt.test]

    def counts(self):
        """``(definitions, uses)`` of each name, over the whole function; kept until a pass changes it."""
        if self._counts is None:
            self._counts = self._count()
        return self._counts

    def _count(self):
        read, written = [], [self.params]        # (one Counter over all the lists: counting is then in C)
        for block in self.blocks():
            for stmt in block:
                if isinstance(stmt, _COMPOUND):
                    _, _, loads, stores = _tally(node for part in self.header(stmt) for node in name_nodes(part))
                else:
                    _, _, _, loads, stores = self._simple_names(stmt)
                read.append(loads)
                written.append(stores)
        return Counter(chain.from_iterable(written)), Counter(chain.from_iterable(read))

    def rank(self, name_):
        """Readability rank: the user's names first, then adjoints of them, then temporaries."""
        if name_ in self.namer.temps:
            return 2
        if name_ in self.generated:
            return 1
        return 0

    def takes_over(self, a, b):
        """Whether, of a copy ``a = b``, ``b`` may be renamed ``a`` (``t4 = ...; Z = t4`` -> ``Z = ...``):
        ``a`` reads better (see :meth:`rank`), or is the name a derivative is returned under
        (``dW = 1 - r ** 2``, not ``dr = ...; return dr``)."""
        if b in self.params or b in self.returned:
            return False
        return self.rank(b) > self.rank(a) or (a in self.returned and b in self.generated)

    def droppable(self, a):
        """Whether the copy ``a`` of a name may go, its uses reading the original instead: a generated
        name, but not one the function returns (``return y`` as the gradient of ``np.sum(x * y)``
        would read as if it returned the user's y)."""
        return a in self.generated and a not in self.params and a not in self.returned

    @staticmethod
    def simple_assign(stmt):
        """``a = e`` to one name. (Exact classes: the passes ask this of every statement, often.)"""
        return type(stmt) is gast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is gast.Name

    def is_copy(self, stmt):
        """``a = b`` between two local names."""
        return (type(stmt) is gast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is gast.Name
                and type(stmt.value) is gast.Name and not stmt.value.__dict__.get("external", False))

    def replace_everywhere(self, mapping, then=None):
        """Substitute ``mapping`` in every statement that mentions one of its names (and apply
        ``then`` to each statement changed)."""
        keys = set(mapping)
        then = then or _unchanged
        for block in self.blocks():
            for i, stmt in enumerate(block):
                if isinstance(stmt, _COMPOUND):
                    if any(keys & set(names_in(part)) for part in self.header(stmt)):
                        for part_name in ("test", "iter", "target"):
                            part = getattr(stmt, part_name, None)
                            if part is not None:
                                setattr(stmt, part_name, then(replaced(part, mapping)))
                else:
                    _, loads, stores, _, _ = self._simple_names(stmt)
                    if not (keys.isdisjoint(loads) and keys.isdisjoint(stores)):
                        new = replaced(stmt, mapping)
                        if new is not stmt:      # (a cached statement is never changed in place)
                            block[i] = then(new)

    # --------------------------------------------------------------- passes
    def propagate_constants(self):
        defs, _ = self.counts()
        mapping = {}
        kept = []
        for stmt in self.fn.body:
            if type(stmt) is gast.Assign and type(stmt.value) is gast.Constant and self.simple_assign(stmt):
                target = stmt.targets[0].id
                if defs.get(target) == 1 and self.droppable(target):
                    mapping[target] = stmt.value
                    continue
            kept.append(stmt)
        if not mapping:
            return False
        self.fn.body[:] = kept
        self.replace_everywhere(mapping, then=self.simplify)   # fold what the constants make foldable
        return True

    def propagate_copies(self):
        """``a = b`` at the top level: keep one of the two names (see :meth:`rank`), unless one of them
        is changed in place while the other is read (see :func:`copy_where_shared`).

        One forward sweep, with an index of where each name is mentioned, so
        that a rename touches only the statements that mention the name: the
        pass stays linear in the length of the function. A removed statement
        is left as None until the end of the sweep, so positions stay put.
        """
        defs, _ = self.counts()
        body = self.fn.body
        if not any(self._may_drop_copy(stmt, defs) for stmt in body):
            return False                         # (the index below would cost more than this look)
        copy_where_shared(self.fn, self)
        index = _Mentions(body, self)
        changed = False
        for i in range(len(body)):
            stmt = body[i]
            if stmt is None or not self.is_copy(stmt):
                continue
            a, b = stmt.targets[0].id, stmt.value.id
            if defs.get(a, 0) > 1:
                if self.rename_first_definition(i, a, b, defs, index):
                    defs[b] = 0
                    changed = True
                continue
            if defs.get(a) != 1 or defs.get(b, 0) != 1:
                continue
            name_a = gast.Name(id=a, ctx=gast.Load(), annotation=None, type_comment=None)
            if self.takes_over(a, b):
                index.remove(i)                      # rename b to a: `t4 = ...; Z = t4` -> `Z = ...`
                index.substitute(b, name_a)
                defs[b] = 0
                changed = True
            elif self.droppable(a):
                index.remove(i)                      # drop a: `dZ_1 = dZ` -> uses read dZ
                index.substitute(a, stmt.value)
                defs[a] = 0
                changed = True
        body[:] = [stmt for stmt in body if stmt is not None]
        return changed

    def _may_drop_copy(self, stmt, defs):
        """Whether :meth:`propagate_copies` may act on ``stmt``, by the counts alone (the counts only
        fall during its sweep, so what fails here fails there)."""
        if not self.is_copy(stmt):
            return False
        a, b = stmt.targets[0].id, stmt.value.id
        if defs.get(b, 0) != 1 or not defs.get(a, 0):
            return False
        if self.takes_over(a, b):
            return True                          # b renamed to a (or a's first definition renamed)
        return defs[a] == 1 and self.droppable(a)

    def rename_first_definition(self, i, a, b, defs, index):
        """``dt8 = e; ...; dU = dt8; ...; dU = dU + c``: write ``dU = e`` and read ``dU`` until then."""
        body = self.fn.body
        if not self.takes_over(a, b) or defs.get(b) != 1:
            return False
        k = next((j for j in index.at(b) if j < i and b in self.stores(body[j])), None)
        if k is None or not self.simple_assign(body[k]):
            return False
        if any(j < i for j in index.at(a)):
            return False                      # the copy must be a's first appearance
        m = next((j for j in index.at(a) if j > i and a in self.stores(body[j])), len(body))
        if any(j >= m and b in self.loads(body[j]) for j in index.at(b)):
            return False
        rename = gast.Name(id=a, ctx=gast.Load(), annotation=None, type_comment=None)
        index.remove(i)
        index.substitute(b, rename, below=m)
        return True

    def eliminate_dead_code(self):
        """Drop assignments nobody reads, in every block (flow-insensitively: a read anywhere keeps one)."""
        blocks = self.blocks()
        simple = [s for block in blocks for s in block if not isinstance(s, _COMPOUND)]
        headers = [s for block in blocks for s in block if isinstance(s, _COMPOUND)]
        live = set()
        for stmt in headers:
            live |= names_in(stmt.test if not isinstance(stmt, gast.For) else stmt.iter, gast.Load)
            if isinstance(stmt, gast.For):
                live |= names_in(stmt.target, gast.Store)
        keep = set()
        changed = True
        while changed:            # backwards: one sweep finds a whole chain of straight-line reads
            changed = False
            for stmt in reversed(simple):
                if id(stmt) not in keep and self.needed(stmt, live):
                    keep.add(id(stmt))
                    live |= self.loads(stmt)
                    changed = True
        removed = False
        for block in blocks:
            kept = [s for s in block if id(s) in keep or isinstance(s, _COMPOUND)]
            if len(kept) != len(block):
                removed = True
                block[:] = kept or [gast.Pass()]
        if not any(all(type(s) is gast.Pass for s in h.body) for h in headers):
            return removed                 # (no loop or branch left empty: most functions)
        read = set().union(*(self.loads(s) for s in simple if id(s) in keep)) | {
            n for s in headers for n in names_in(Cleanup.header(s)[-1], gast.Load)}
        for block in reversed(blocks):     # (inner blocks first: a loop left empty may empty the one around it)
            kept = [s for s in block if not _does_nothing(s, read)]
            if len(kept) != len(block):
                removed = True
                block[:] = kept or [gast.Pass()]
        return removed

    def needed(self, stmt, live):
        if self.simple_assign(stmt):   # (x = xs.pop() also changes xs: needed while xs is)
            return stmt.targets[0].id in live or any(w.name in live for w in writes(stmt.value))
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                return isinstance(target.value, gast.Name) and target.value.id in live
            return bool(names_in(target, gast.Store) & live)
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            return stmt.target.id in live
        if isinstance(stmt, gast.Expr) and _is_add_at(stmt):
            return stmt.value.args[0].id in live
        return True   # returns, calls with effects, loops and branches

    def blocks(self):
        """Every statement list of the function: its body, and the bodies of its loops and branches."""
        found = []
        _collect_blocks(self.fn.body, found)
        return found

    def inline_single_use(self):
        """``t = e`` then one use of ``t`` later in the same block: write ``e`` there instead.

        Moving an expression does not change any name's count of definitions
        or uses, so one sweep can move many. Where each name is read and
        written is indexed by position, so finding the use and checking that
        nothing in between changes what ``e`` reads costs no scan of the
        statements in between (an adjoint often reads a primal value written
        hundreds of statements earlier).
        """
        defs, uses = self.counts()
        blocks = [body for body in self.blocks() if any(self._may_inline(stmt, defs, uses) for stmt in body)]
        if not blocks:
            return False                         # (the indexes below would cost more than this look)
        sharing = functools.cache(self.sharing)     # (only a write into an array needs it: most make none)
        changed = False
        for body in blocks:
            changed |= self._inline_in(body, defs, uses, sharing)
        return changed

    def _may_inline(self, stmt, defs, uses):
        return self.simple_assign(stmt) and stmt.targets[0].id in self.namer.temps \
            and defs.get(stmt.targets[0].id) == 1 and uses.get(stmt.targets[0].id) == 1

    def sharing(self):
        """For each name, the names that may share its memory (``t1 = b[1:]``: b and t1), itself included."""
        return sharing_groups(self.fn.body)

    def _inline_in(self, body, defs, uses, sharing):
        reads, writes = {}, {}
        for j, stmt in enumerate(body):
            for n in self.loads(stmt):
                reads.setdefault(n, []).append(j)
            for n in self.stores(stmt):
                writes.setdefault(n, []).append(j)
            written = self.written_into(stmt)
            if written:                                # x[i] = v changes every view of x
                for n in {m for w in written for m in sharing().get(w, (w,))}:
                    writes.setdefault(n, []).append(j)
        changed = False
        for i, stmt in enumerate(body):
            if stmt is None or not self._may_inline(stmt, defs, uses):
                continue
            t = stmt.targets[0].id
            j = _next(reads.get(t, ()), i)
            if j is None:
                continue
            later = body[j]
            if isinstance(later, _COMPOUND) or t in self.written_into(later):
                continue
            read = self.loads(stmt)
            if any((_next(writes.get(r, ()), i) or j) < j for r in read):
                continue                       # something in between changes what e reads
            body[j] = self.simplify(replaced(later, {t: stmt.value}, moved=True))
            body[i] = None
            for r in read:
                bisect.insort(reads.setdefault(r, []), j)
            changed = True
        if changed:
            body[:] = [stmt for stmt in body if stmt is not None]
        return changed

    def _may_drop_block_copy(self, stmt, defs):
        if not self.is_copy(stmt):
            return False
        a = stmt.targets[0].id
        return defs.get(a) == 1 and self.droppable(a)

    def propagate_block_copies(self):
        """``dt4 = dt6`` inside a loop or branch: later uses in that block read ``dt6`` directly."""
        defs, uses = self.counts()
        blocks = [body for body in self.blocks()[1:]       # (the top level has propagate_copies)
                  if any(self._may_drop_block_copy(stmt, defs) for stmt in body)]
        if not blocks:
            return False
        copy_where_shared(self.fn, self)
        changed = False
        for body in blocks:
            i = 0
            while i < len(body):
                stmt = body[i]
                i += 1
                if not self._may_drop_block_copy(stmt, defs):
                    continue
                a, b = stmt.targets[0].id, stmt.value.id
                users = [j for j in range(i, len(body)) if a in self.loads(body[j])]
                found = sum(self.names(body[j])[2].count(a) for j in users)
                if not users or found != uses.get(a, 0):
                    continue
                if any(b in self.stores(body[j]) for j in range(i, users[-1])) or any(
                        isinstance(body[j], _COMPOUND) and b in self.stores(body[j]) for j in users):
                    continue                      # b changes before (or inside a branch or loop) a reads it
                for j in users:
                    body[j] = replaced(body[j], {a: stmt.value})
                uses[b] = uses.get(b, 0) + found - 1
                uses[a] = 0
                defs[a] = 0
                del body[i - 1]
                i -= 1
                changed = True
        return changed


def _does_nothing(stmt, read):
    """A loop over a range, or a branch on a name, whose body is only ``pass`` (what dead code left of it),
    binding nothing anyone reads: ``for k in range(2): pass``."""
    if not isinstance(stmt, _COMPOUND) or not all(isinstance(s, gast.Pass) for s in stmt.body + stmt.orelse):
        return False
    if isinstance(stmt, gast.If):
        return isinstance(stmt.test, (gast.Name, gast.Constant))
    if isinstance(stmt, gast.For):
        iterable = stmt.iter
        while isinstance(iterable, gast.Call) and getattr(iterable, "callee", None) is builtins.reversed:
            iterable = iterable.args[0]
        counts = isinstance(iterable, gast.Call) and getattr(iterable, "callee", None) is builtins.range \
            and all(isinstance(a, (gast.Name, gast.Constant)) for a in iterable.args)
        return counts and not (names_in(stmt.target, gast.Store) & read)
    return False                          # (a while loop may not end: it stays)


def _collect_blocks(block, found):
    found.append(block)
    for stmt in block:
        if isinstance(stmt, _COMPOUND):
            for inner in (stmt.body, stmt.orelse):
                if inner:
                    _collect_blocks(inner, found)


def _unchanged(node):
    return node


def _tally(name_nodes_):
    """``(loads, stores, names read, names written)`` of some Name nodes (the last two: lists, a name
    once for each node)."""
    read, written = [], []
    for node in name_nodes_:
        (read if isinstance(node.ctx, gast.Load) else written).append(node.id)
    return set(read), set(written), read, written


def _next(positions, after):
    """The first of the sorted ``positions`` greater than ``after``, or None."""
    k = bisect.bisect_right(positions, after)
    return positions[k] if k < len(positions) else None


def _is_add_at(stmt):
    call = stmt.value
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and call.func.attr == "at"
            and call.args and isinstance(call.args[0], gast.Name))


def _subscript_bases(stmt):
    """The arrays ``stmt`` writes into: ``x[i] = v``, ``np.add.at(x, ...)`` and the other calls of
    :mod:`s2sgrad.mutation`, in it or nested in it."""
    bases = set()
    cls = type(stmt)
    if cls is gast.Assign:                 # only a target can write into an array: skip the value
        parts = [t for t in stmt.targets if type(t) is not gast.Name]
    elif cls is gast.AugAssign:
        parts = [stmt.target] if type(stmt.target) is not gast.Name else []
    elif cls is gast.Expr or cls is gast.Return:
        parts = []
    else:
        parts = [stmt]
    for node in (node for part in parts for node in walk(part)):
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and isinstance(node.value, gast.Name):
            bases.add(node.value.id)
    if isinstance(stmt, gast.Expr) and _is_add_at(stmt):
        bases.add(stmt.value.args[0].id)
    if isinstance(stmt, (gast.Expr, gast.Assign)):     # w.fill(v), np.exp(c, out=w) on a constant w
        bases.update(w.name for w in writes(stmt.value) if w.name is not None)
    return bases


class _Mentions:
    """Where each name is mentioned among a block's statements (by position), kept up to date
    through the substitutions and removals of :meth:`Cleanup.propagate_copies`."""

    def __init__(self, body, cleanup):
        self.body = body
        self.cleanup = cleanup
        self.positions = {}
        for j, stmt in enumerate(body):
            for n in self.names(stmt):
                self.positions.setdefault(n, set()).add(j)

    def names(self, stmt):
        return self.cleanup.loads(stmt) | self.cleanup.stores(stmt)    # x[i] = v loads x

    def at(self, name_):
        """The positions of the statements that mention ``name_``, in order."""
        return sorted(self.positions.get(name_, ()))

    def remove(self, j):
        for n in self.names(self.body[j]):
            self.positions.get(n, set()).discard(j)
        self.body[j] = None

    def substitute(self, old, new, below=None):
        """Replace ``old`` by the expression ``new`` in the statements that mention it (those before
        position ``below`` only, if given)."""
        for j in self.at(old):
            if below is not None and j >= below:
                continue
            before = self.names(self.body[j])
            self.body[j] = replaced(self.body[j], {old: new})
            after = self.names(self.body[j])
            for n in before - after:
                self.positions.get(n, set()).discard(j)
            for n in after - before:
                self.positions.setdefault(n, set()).add(j)
