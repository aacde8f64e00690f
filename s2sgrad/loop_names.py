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
the counter and what follows are two names all the same.
"""

import gast

from .astutil import names_in, walk
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


def loop_liveness(function):
    """id of each ``for`` statement in ``function``'s body -> the names live after it."""
    return live_after(function.body, lambda s: isinstance(s, gast.For))
