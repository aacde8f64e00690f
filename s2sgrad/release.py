"""Release large forward-only values before the backward sweep of a gradient.

A function's locals live until it returns. In a gradient that is a waste for
the values only the forward sweep reads: the lecture MLP's ``Q = np.dot(X, V)``
feeds ``Z = logistic(Q)`` and nothing else (the logistic's derivative is
written in ``Z``), yet it would stay alive through the whole backward sweep,
where memory peaks. A hand-writer avoids that by nesting the call
(``Z = sigmoid(X @ V)``); generated code keeps the user's lines and names, so
it says ``del Q`` instead, once, where the backward sweep begins.

Only values that are large (where freeing them matters: at least
:data:`MIN_ELEMENTS` elements, by the shapes the derivative is specialized
to), defined only by straight-line statements before that point (so the
name is certainly bound) and not kept alive under another name (a tuple
holding them, a view of them) are released, in one ``del`` line. Small problems,
and the shape-generic code, keep their plain look.
"""

import gast

from .astutil import names_in

MIN_ELEMENTS = 1 << 17      # 1 MiB of float64: below that, holding a value on costs little


def release_forward_only(fn, adjoints, shapes, min_elements=MIN_ELEMENTS):
    """Insert ``del`` for large values nothing reads once the backward sweep has begun (in place).

    ``adjoints`` are the adjoint names (a statement writing one starts the
    backward sweep); ``shapes`` maps names to their known shapes.
    """
    large = {n for n, shape in shapes.items() if _is_large(shape, min_elements)}
    if not large:
        return fn                  # nothing worth releasing (most functions on small arrays): no need to look
    body = fn.body
    start = next((i for i, stmt in enumerate(body) if names_in(stmt, gast.Store) & adjoints), None)
    if start is None:
        return fn
    params = {a.id for a in fn.args.args} | {a.id for a in fn.args.kwonlyargs}
    defined_before = set()
    for stmt in body[:start]:
        if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets):
            defined_before |= {t.id for t in stmt.targets}
    elsewhere = set()              # bound conditionally, or read or written from the backward sweep on
    for stmt in body[:start]:
        if not (isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets)):
            elsewhere |= names_in(stmt, gast.Store) | names_in(stmt, gast.Del)
    for stmt in body[start:]:
        elsewhere |= names_in(stmt)
    for stmt in body[:start]:
        elsewhere |= _kept_by_reference(stmt)
    dead = sorted((defined_before & large) - elsewhere - params - adjoints, key=_first_definition(body))
    if dead:
        release = gast.Delete(targets=[gast.Name(id=n, ctx=gast.Del(), annotation=None, type_comment=None)
                                       for n in dead])
        body.insert(start, release)
    return fn


def _kept_by_reference(stmt):
    """Names whose array a statement keeps alive under another name (``pair = s, c``, ``r = X[0]``, ``A = B.T``):
    deleting them would free nothing."""
    kept = set()
    if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name):
        kept.add(stmt.value.id)
    for node in gast.walk(stmt):
        if isinstance(node, (gast.Tuple, gast.List, gast.Set)):
            kept |= {e.id for e in node.elts if isinstance(e, gast.Name)}
        elif isinstance(node, gast.Dict):
            kept |= {e.id for e in node.values if isinstance(e, gast.Name)}
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.value, gast.Name):
            kept.add(node.value.id)
    return kept


def _is_large(shape, min_elements):
    if shape is None:
        return False
    size = 1
    for n in shape:
        size *= n
    return size >= min_elements


def _first_definition(body):
    """Sort key: names in the order the function defines them."""
    order = {}
    for i, stmt in enumerate(body):
        for n in names_in(stmt, gast.Store):
            order.setdefault(n, i)
    return lambda n: (order.get(n, len(body)), n)
