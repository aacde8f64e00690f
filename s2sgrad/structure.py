"""Structured control flow: early exits rewritten so that every block runs to its end.

The adjoint sweep replays a block's statements backwards, so it needs to know
which statements ran. ``return``, ``break`` and ``continue`` in the middle of a
block make that depend on the path; this pass moves the statements after an
exiting branch into the other branch::

    if c:                      if c:
        return a       ->          result = a
    y = f(x)                   else:
    return g(y)                    y = f(x)
                                   result = g(y)
                               return result

A branch that exits on some of its paths only (``if c: (if d: return a) ...``)
gets the statements after it on each of its paths that go on, a copy where both
branches may go on. ``break`` stays (the loop's trip count is recorded), but
nothing follows it in its block; ``continue`` disappears. A function ends in
exactly one ``return``; a ``return`` inside a loop raises :class:`GradError`.
"""

import gast

from .astutil import assign, clone, copy_origin, name, walk, walk_statements
from .errors import GradError, origin_of

_EXITS = (gast.Return, gast.Break, gast.Continue)


def single_exit(body, namer, where, node_counts=None):
    """Restructure a function body so that it ends in its only ``return``.

    ``node_counts`` (how many nodes of each class the body holds, from parsing)
    spares the walks where the body already does: one ``return``, last, and
    no ``break`` or ``continue`` to restructure.
    """
    if node_counts is not None and node_counts.get(gast.Return) == 1 and body and isinstance(body[-1], gast.Return) \
            and gast.Break not in node_counts and gast.Continue not in node_counts:
        return body
    if not any(isinstance(n, gast.Return) for n in walk(gast.Module(body=body, type_ignores=[]))):
        return body
    body = _restructure(list(body), copied=[0])
    if len(body) == 1 and isinstance(body[0], gast.Return) or _single_tail_return(body):
        return body
    result = namer.fresh("result")
    body = _returns_to_assignments(body, result)
    ret = gast.Return(value=name(result))
    copy_origin(ret, body[-1])
    return body + [ret]


def _single_tail_return(body):
    returns = [n for s in body for n in walk(s) if isinstance(n, gast.Return)]
    return len(returns) == 1 and body and body[-1] is returns[0]


def _always_exits(stmts):
    """Whether the block ends in an exit on every path."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, _EXITS):
        return True
    if isinstance(last, gast.If):
        return _always_exits(last.body) and _always_exits(last.orelse)
    return False


def _contains_exit(stmts, loops_too=False):
    for stmt in stmts:
        for node in _walk_same_loop(stmt, loops_too):
            if isinstance(node, _EXITS):
                return True
    return False


def _walk_same_loop(stmt, loops_too):
    """Walk a statement without entering nested loops (their break/continue are their own)."""
    yield stmt
    if isinstance(stmt, (gast.For, gast.While)) and not loops_too:
        for node in walk(stmt):
            if isinstance(node, gast.Return):
                yield node
        return
    for child in gast.iter_child_nodes(stmt):
        if isinstance(child, gast.stmt):
            yield from _walk_same_loop(child, loops_too)


_MOST_COPIED = 400     # statements copied into branches for one function, at most (see _restructure)


def _restructure(stmts, copied):
    """``stmts`` with the statements after an exiting branch moved into the paths that go on.
    ``copied`` counts the statements copied so far: each branch that exits on some paths only doubles
    what follows it, and a run of such branches would grow the code exponentially."""
    out = []
    for i, stmt in enumerate(stmts):
        rest = stmts[i + 1:]
        if isinstance(stmt, (gast.For, gast.While)):
            for node in walk(stmt):
                if isinstance(node, gast.Return):
                    raise GradError("return inside a loop is not supported", origin_of(node),
                                    "break out of the loop and return after it")
            stmt.body = _drop_trailing_continue(_restructure(stmt.body, copied))
            out.append(stmt)
            continue
        if isinstance(stmt, gast.If):
            stmt.body = _restructure(stmt.body, copied)
            stmt.orelse = _restructure(stmt.orelse, copied)
            body_exits, else_exits = _always_exits(stmt.body), _always_exits(stmt.orelse)
            if rest and (body_exits or else_exits or _contains_exit([stmt])):
                # what follows runs only where the branch does not exit: it joins each branch that may go
                # on, and is restructured there with it (`elif b: return 1` then `return 2` is
                # `if b: ... else: ...`); a branch that exits on some of its paths only gets a copy
                if not body_exits and not else_exits:
                    copied[0] += sum(1 for _ in walk_statements(rest))
                    if copied[0] > _MOST_COPIED:
                        raise GradError("too many branches that exit on some of their paths only: the code after "
                                        "them would be copied into each path", origin_of(stmt),
                                        "end such a branch in its exit, or set a flag there and test it after "
                                        "the branch")
                if not body_exits:
                    stmt.body = _restructure(stmt.body + (rest if else_exits else clone(rest)), copied)
                if not else_exits:
                    stmt.orelse = _restructure(stmt.orelse + rest, copied)
                # (a `continue` here stays: only the loop's own body ends where it leads, and there it is
                # dropped; dropped here, the branches around this one would no longer see the exit)
                out.append(stmt)
                return out
            out.append(stmt)
            continue
        if isinstance(stmt, _EXITS):
            out.append(stmt)
            return out          # anything after an exit is unreachable
        out.append(stmt)
    return out


def _drop_trailing_continue(stmts):
    if stmts and isinstance(stmts[-1], gast.Continue):
        return stmts[:-1]
    if stmts and isinstance(stmts[-1], gast.If):
        last = stmts[-1]
        last.body = _drop_trailing_continue(last.body) or [gast.Pass()]
        last.orelse = _drop_trailing_continue(last.orelse)
    return stmts


def _returns_to_assignments(stmts, result):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Return):
            value = stmt.value if stmt.value is not None else gast.Constant(value=None, kind=None)
            out.append(assign(result, value, stmt))
        elif isinstance(stmt, gast.If):
            stmt.body = _returns_to_assignments(stmt.body, result)
            stmt.orelse = _returns_to_assignments(stmt.orelse, result)
            out.append(stmt)
        else:
            out.append(stmt)
    return out
