"""The tape: what the primal sweep records for the adjoint sweep, and no more.

The adjoint of a statement reads the values its operands had when it ran.
Straight-line code never overwrites a name (normalization versions them), so
nothing needs recording there. A name assigned inside a loop, or in several
places, is overwritten: before each such assignment the primal sweep pushes
the old value (``tape.append(h)``) and the adjoint sweep, once it has undone
the assignment, pops it back (``h = tape.pop()``).

The reverse transformer emits such a push/pop pair for every overwrite; then
:func:`keep_needed` drops the pairs of names that no adjoint statement reads
(to-be-recorded analysis), and :func:`initialize_unbound` gives a ``None`` start
value to names pushed before their first assignment (a loop's first pass).
"""

import gast

from .aliasing import sharing_groups
from .astutil import assign, const, name, name_nodes, names_in, walk_statements
from .liveness import live_after


def overwritten_names(body, params):
    """Names assigned more than once, or assigned inside a loop (parameters count as assigned)."""
    counts = {p: 1 for p in params}
    in_loop = set()
    _count_assignments(body, False, counts, in_loop)
    return {n for n, c in counts.items() if c > 1} | in_loop


def _count_assignments(stmts, looping, counts, in_loop):
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            for n in names_in(stmt.targets[0], gast.Store):
                counts[n] = counts.get(n, 0) + 1
                if looping:
                    in_loop.add(n)
            if isinstance(stmt.targets[0], gast.Subscript) and isinstance(stmt.targets[0].value, gast.Name):
                in_loop.add(stmt.targets[0].value.id)   # an array written into is overwritten
        elif isinstance(stmt, gast.For):
            for n in names_in(stmt.target, gast.Store):
                counts[n] = counts.get(n, 0) + 1
                in_loop.add(n)
            _count_assignments(stmt.body, True, counts, in_loop)
        elif isinstance(stmt, gast.While):
            _count_assignments(stmt.body, True, counts, in_loop)
        elif isinstance(stmt, gast.If):
            _count_assignments(stmt.body, looping, counts, in_loop)
            _count_assignments(stmt.orelse, looping, counts, in_loop)


def must_bound(body, params, at=None):
    """For each statement (by id; only those ``at`` accepts, if given), the names certainly bound
    when it starts."""
    return _bound(body, params, True, at)


def may_bound(body, params, at=None):
    """For each statement (by id; only those ``at`` accepts, if given), the names that may be bound
    when it starts (loops wrap around)."""
    return _bound(body, params, False, at)


def _bound(body, params, certain, at):
    """Names bound before each statement: on every path (``certain``), or on some path.

    A snapshot per statement of a long function would cost time quadratic in
    its length, so only the statements ``at`` accepts get one.
    """
    before = {}
    _bound_in(body, set(params), certain, at, before)
    return before


def _bound_in(stmts, bound, certain, at, before):
    bound = set(bound)
    for stmt in stmts:
        if at is None or at(stmt):
            before[id(stmt)] = set(bound)
        if isinstance(stmt, gast.Assign):
            bound |= names_in(stmt.targets[0], gast.Store)
        elif isinstance(stmt, gast.If):
            then = _bound_in(stmt.body, bound, certain, at, before)
            orelse = _bound_in(stmt.orelse, bound, certain, at, before)
            bound |= (then & orelse) if certain else (then | orelse)
        elif isinstance(stmt, (gast.For, gast.While)):
            if certain:     # the body may not run: only its own start is certain of the loop target
                _bound_in(stmt.body, bound | (names_in(stmt.target, gast.Store) if isinstance(stmt, gast.For)
                                              else set()), certain, at, before)
            else:           # a later pass may see what an earlier one assigned
                bound |= names_in(stmt, gast.Store)
                _bound_in(stmt.body, bound, certain, at, before)
    return bound


def push(tape, value, of):
    """``tape.append(value)``, remembering which name it records."""
    stmt = gast.Expr(value=gast.Call(func=gast.Attribute(value=name(tape), attr="append", ctx=gast.Load()),
                                     args=[value], keywords=[]))
    stmt.records = of
    return stmt


def pop(tape):
    return gast.Call(func=gast.Attribute(value=name(tape), attr="pop", ctx=gast.Load()), args=[], keywords=[])


def restore(tape, target, of):
    """``target = tape.pop()``; ``target`` is a name or a subscript."""
    stmt = assign(target, pop(tape))
    stmt.records = of
    return stmt


def restore_if_live(tape, pushed):
    """The restore of what the ``pushed`` statement recorded, the two kept only where the name is live
    after the restore (see :mod:`s2sgrad.liveness`): the value a loop target had before its loop."""
    stmt = restore(tape, pushed.records, pushed.records)
    pushed.pair = stmt.pair = object()
    stmt.when_live = True
    return stmt


def keep_needed(primal, adjoint):
    """Drop the push/pop pairs of names the adjoint statements never read. Mutates the blocks.

    Returns the names needed; none where nothing is pushed or restored (the
    names read then matter to nobody)."""
    if not any(getattr(stmt, "records", None) is not None for block in (primal, adjoint)
               for stmt in walk_statements(block)):
        return set()
    needed = set()
    records = []
    for stmt in walk_statements(adjoint):
        if getattr(stmt, "records", None) is None:
            needed |= _loads(stmt)
        else:
            records.append(stmt)
    # reading a view reads the array under it (t1 = m.T, then m[1] = v: the adjoint's t1 needs m's old row)
    groups = sharing_groups(primal)
    needed |= {shared for n in list(needed) for shared in groups.get(n, ())}
    changed = True
    while changed:        # restoring `out[i]` reads `i`: what a kept restore reads is needed too
        changed = False
        for stmt in records:
            if stmt.records in needed:
                more = names_in(stmt, gast.Load) - needed
                if more:
                    needed |= more
                    changed = True
    _filter(primal, needed)
    _filter(adjoint, needed)
    if any(getattr(stmt, "when_live", False) for stmt in walk_statements(adjoint)):
        live = live_after(adjoint, lambda stmt: getattr(stmt, "when_live", False))
        dead = {id(stmt.pair) for stmt in walk_statements(adjoint)
                if getattr(stmt, "when_live", False) and stmt.records not in live[id(stmt)]}
        if dead:
            _filter(primal, needed, dead)
            _filter(adjoint, needed, dead)
    return needed


def _loads(stmt):
    """Names a statement reads, not looking into nested blocks (they are walked separately)."""
    if isinstance(stmt, (gast.If, gast.While)):
        return names_in(stmt.test, gast.Load)
    if isinstance(stmt, gast.For):
        return names_in(stmt.iter, gast.Load)
    return names_in(stmt, gast.Load)


def _filter(stmts, needed, dead=()):
    keep = []
    for stmt in stmts:
        of = getattr(stmt, "records", None)
        if of is not None and (of not in needed or dead and id(getattr(stmt, "pair", None)) in dead):
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if block:
                _filter(block, needed, dead)
                if not block and field == "body":
                    block.append(gast.Pass())
        keep.append(stmt)
    stmts[:] = keep


def initialize_unbound(primal, params, pushed_names):
    """``x = None`` at the start for names pushed where they may not be bound yet."""
    if not pushed_names:
        return []
    bound = must_bound(primal, params, at=lambda stmt: getattr(stmt, "records", None) in pushed_names)
    unbound = []
    for stmt in walk_statements(primal):
        of = getattr(stmt, "records", None)
        if of is not None and of in pushed_names and of not in bound.get(id(stmt), set()) and of not in unbound:
            unbound.append(of)
    return [assign(n, const(None)) for n in unbound]


def uses_tape(stmts, tape):
    """Whether anything pushes to or pops from ``tape``: only :func:`push` and :func:`restore` statements
    (marked with ``records``) and loop and branch headers (a recorded condition, a trip count) can."""
    for stmt in walk_statements(stmts):
        if hasattr(stmt, "records"):
            return True
        header = stmt.test if isinstance(stmt, (gast.If, gast.While)) else \
            stmt.iter if isinstance(stmt, gast.For) else None
        if header is not None and any(n.id == tape for n in name_nodes(header)):
            return True
    return False
