"""Loop targets the function also binds elsewhere get a name of their own for the loop.

A user's name may hold values of different kinds at different points: ``for i in b``
(rows, floats), then ``for i in range(3)`` (integers), or ``i = np.sin(a)`` after a
range loop. Kept as one generated name, those bindings share one adjoint (a float
adjoint added into an integer counter's, the integers' "adjoint" then flowing into
the rows) and one shape fact (the counter's "scalar" used for the array). Where the
name's value after the loop is never read (not live on any path, a loop of no pass
included), the loop's binding is independent of every other: renaming the target
and its uses in the body (``for i_1 in range(3)``) is exact, and each binding then
has its own adjoint and shape facts.

Not renamed: a name read after the loop (its last value, or the value from before
a loop of no pass, is the user's), and a name a local helper reads as a free
variable (the helper, inlined where it is called, would read the other binding).
Where the name is read after the loop, the next assignment to it outside any loop
or branch starts a new version of the name (``FunctionNormalizer.store_name``), so
the counter and what follows are two names all the same. What is left, a range
loop's counter and another kind of value (an array, rows) sharing a name that is
read after the loop or by a local function, gave wrong gradients (the counter's
binding did not end the other value's adjoint) or crashed (a float adjoint added
into the counter's integer one): :func:`refuse_mixed_counter` refuses it, naming
the variable and the loop's line.
"""

import gast

from .astutil import names_in, walk
from .errors import GradError, origin_of
from .liveness import live_after
from .local_functions import free_names


def own_loop_names(loop, function, helpers, live):
    """The names of ``loop``'s target (a user's ``for``) to give a fresh name inside the loop.

    ``function`` is the user's FunctionDef (its body as normalized so far), ``helpers`` its local
    functions (name -> FunctionDef), ``live`` a cache for :func:`loop_liveness`."""
    if id(loop) not in live:
        live.update(loop_liveness(function))
    after = live.get(id(loop))
    if after is None:       # a loop made by the normalizer (d.values() ...): not the user's statement
        return set()
    targets = names_in(loop.target, gast.Store)
    inside = {id(n) for n in walk(loop)}
    elsewhere = {a.id for a in function.args.args} | {
        n.id for n in walk(gast.Module(body=function.body, type_ignores=[]))
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in inside}
    captured = set().union(*(free_names(h) for h in helpers.values())) if helpers else set()
    return (targets & elsewhere) - after - captured


def refuse_mixed_counter(loop, function, own, is_counter):
    """Refuse a target of ``loop`` that keeps the name it shares (not in ``own``, :func:`own_loop_names`) and is a
    range loop's counter in some bindings and another value in others (``is_counter(call)``: whether a loop's
    iterable is the builtin ``range``)."""
    kinds = {}     # name -> for each binding, whether it is a range loop's counter
    for a in function.args.args:
        kinds.setdefault(a.id, set()).add(False)
    # (an assignment outside any loop or branch after the loop's own statement is a new version of the name)
    top = next((k for k, stmt in enumerate(function.body) if any(node is loop for node in walk(stmt))), None)
    if top is None:         # a loop made by the normalizer (d.values() ...): its target is the normalizer's
        return
    later = {id(stmt) for stmt in function.body[top + 1:] if not isinstance(stmt, (gast.For, gast.While, gast.If))}
    for node in walk(gast.Module(body=[stmt for stmt in function.body if id(stmt) not in later], type_ignores=[])):
        if isinstance(node, gast.For):
            counters = counter_names(node, is_counter)
            for n in names_in(node.target, gast.Store):
                kinds.setdefault(n, set()).add(n in counters)
        elif isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign)) \
                and not isinstance(node.value, gast.Constant):   # (i = None, i = 0: no adjoint, no shape fact)
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            for n in names_in(gast.Module(body=[gast.Expr(value=t) for t in targets], type_ignores=[]), gast.Store):
                kinds.setdefault(n, set()).add(False)
    for n in sorted(names_in(loop.target, gast.Store) - own):
        if kinds.get(n) == {True, False}:
            raise GradError(f"reusing {n} as a range loop's counter and as another value is not supported where "
                            f"{n} is read after the loop (or by a local function)", origin_of(loop),
                            f"give the loop its own variable (for {n}_ in ...) or the other value another name")


def counter_names(loop, is_counter):
    """The names ``loop`` binds to integer counters: ``i`` of ``for i in range(n)`` (or reversed(range(n)),
    as derivative code differentiated again has it) and of ``for i, x in enumerate(xs)``."""
    it = loop.iter
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and len(it.args) == 1:
        if it.func.id == "reversed":
            it = it.args[0]
        elif it.func.id == "enumerate" and isinstance(loop.target, gast.Tuple) \
                and isinstance(loop.target.elts[0], gast.Name):
            return {loop.target.elts[0].id}
    if isinstance(loop.target, gast.Name) and isinstance(it, gast.Call) and is_counter(it):
        return {loop.target.id}
    return set()


def loop_liveness(function):
    """id of each ``for`` statement in ``function``'s body -> the names live after it."""
    return live_after(function.body, lambda s: isinstance(s, gast.For))
