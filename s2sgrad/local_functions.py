"""Helpers defined inside the differentiated function, inlined where they are called.

People write a small helper where they use it::

    def loss(W, X):
        relu = lambda z: np.maximum(z, 0)
        def layer(A):
            return relu(A @ W)          # W: the enclosing function's own
        return np.sum(layer(layer(X)))

A ``def`` or ``name = lambda ...`` at the top level of the function's body,
which the function only ever calls, is taken out of the body here and inlined
at each call, like a module-level helper. The names it reads from the
enclosing function are bound to their values at the call, as Python's closures
read them then; a helper may call another (``layer`` above calls ``relu``),
which reads the enclosing function's names too, never its caller's.
Anything else (a helper that is passed, returned or stored, one defined in a
loop or branch, one with decorators or default values, a name defined twice)
stays in the body, where normalization refuses it with a GradError, as before.
"""

import gast

from .astutil import copy_origin, name_nodes, walk
from .errors import GradError, origin_of

_HINT = "call it by name only, or define it at module level to pass it around"


def take_out_local_functions(body):
    """``(body without its local helpers, {name: FunctionDef})``, or ``(body, {})`` where it has none."""
    candidates = {}
    for stmt in body:
        found = _helper_definition(stmt)
        if found is not None:
            helper, definition = found
            candidates.setdefault(helper, []).append((stmt, definition))
    if not candidates:
        return body, {}
    module = gast.Module(body=body, type_ignores=[])
    stores, calls = _stores_and_calls(module)
    helpers = {}
    for helper, found in candidates.items():
        if len(found) == 1 and stores.get(helper, 0) == (1 if isinstance(found[0][0], gast.Assign) else 0):
            helpers[helper] = found[0]
    if not helpers:
        return body, {}
    for node in name_nodes(module):
        if node.id in helpers and isinstance(node.ctx, gast.Load) and id(node) not in calls:
            raise GradError(f"the local function {node.id} is used other than by calling it", origin_of(node)
                            or origin_of(helpers[node.id][0]), _HINT)
    taken = {id(stmt) for stmt, _ in helpers.values()}
    return [stmt for stmt in body if id(stmt) not in taken], {n: d for n, (_, d) in helpers.items()}


def _helper_definition(stmt):
    """``(name, FunctionDef)`` of a plain ``def`` or ``name = lambda ...``, else None."""
    if isinstance(stmt, gast.FunctionDef):
        if stmt.decorator_list or stmt.args.defaults or any(stmt.args.kw_defaults):
            return None
        return stmt.name, stmt
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
            and isinstance(stmt.value, gast.Lambda):
        lam = stmt.value
        if lam.args.defaults or any(lam.args.kw_defaults):
            return None
        ret = copy_origin(gast.Return(value=lam.body), lam)
        definition = gast.FunctionDef(name=stmt.targets[0].id, args=lam.args, body=[ret], decorator_list=[],
                                      returns=None, type_comment=None, type_params=[])
        return stmt.targets[0].id, copy_origin(definition, stmt)
    return None


def _stores_and_calls(module):
    """How often each name is bound as a variable (assigned, a parameter) anywhere in ``module`` (a
    ``def`` is counted among the candidates instead), and the ids of the Name nodes that are the
    function of a call."""
    stores, calls = {}, set()
    for node in walk(module):
        cls = type(node)
        if cls is gast.Name and not isinstance(node.ctx, gast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif cls is gast.Call and type(node.func) is gast.Name:
            calls.add(id(node.func))
    return stores, calls


def free_names(definition):
    """The names a helper reads but does not bind itself: its enclosing function's, or globals."""
    bound = {a.id for a in definition.args.args} | {n.id for n in name_nodes(definition)
                                                     if not isinstance(n.ctx, gast.Load)}
    return {n.id for n in name_nodes(definition) if isinstance(n.ctx, gast.Load)} - bound
