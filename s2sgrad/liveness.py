"""Which names a block of generated code may still read at a given statement (live variables).

The tape keeps a value only where some adjoint statement reads the name
(:func:`s2sgrad.tape.keep_needed`), which is the right question for values a
statement overwrites in every pass. A loop header is different: a reversed loop
rebinds its target on every pass and leaves it at the *first* pass's value,
while the statements the sweep undoes after it need the value the name had
before the forward loop ran (``for i, row in enumerate(W): a[i] = ...`` then
``for i in range(2): ...``: undoing the first loop reads ``i``). That value is
recorded only where the name is live after the reversed loop: read on some
path before anything binds it again. Reads inside another loop over the same
name see that loop's own binding, so a simple "read anywhere" would record
far more than needed.
"""

import gast

from .astutil import names_in


def live_after(stmts, marked):
    """For each statement ``marked`` accepts (by id), the names that may be read after it, on some path,
    before they are bound again."""
    found = {}
    _block(stmts, set(), marked, found)
    return found


def _block(stmts, live, marked, found):
    live = set(live)
    for stmt in reversed(stmts):
        if marked(stmt):
            found[id(stmt)] = set(live)
        live = _statement(stmt, live, marked, found)
    return live


def _statement(stmt, live, marked, found):
    if isinstance(stmt, gast.If):
        return names_in(stmt.test, gast.Load) | _block(stmt.body, live, marked, found) \
            | _block(stmt.orelse, live, marked, found)
    if isinstance(stmt, (gast.For, gast.While)):
        header = names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load)
        bound = names_in(stmt.target, gast.Store) if isinstance(stmt, gast.For) else set()
        # the loop may run no pass (what is live after it is live before it); a while loop's test is
        # read before every pass
        start = live | header if isinstance(stmt, gast.While) else set(live)
        head = set(start)
        while True:             # a pass's end reaches the next pass's start: to a fixed point
            more = start | (_block(stmt.body, head, marked, found) - bound)
            if more == head:
                return head | header
            head = more
    if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets):
        return (live - {t.id for t in stmt.targets}) | names_in(stmt.value, gast.Load)
    if isinstance(stmt, gast.AugAssign):      # n += v reads n (the user's code, before it is normalized)
        return live | names_in(stmt, gast.Load) | names_in(stmt.target, gast.Store)
    return live | names_in(stmt, gast.Load)
