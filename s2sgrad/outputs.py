"""A derivative of a scalar output (``grad``, ``value_and_grad``) refused, at the user's ``return``, for a
function that returns several values: a tuple, a list or a dict.

Left alone, the adjoint sweep would seed the container's adjoint with the
number 1.0 and unpack it item by item (``dy = (1.0)[0]``), failing inside
generated code with "'float' object is not subscriptable" (and CPython's
compiler warning about that very line). The container is known from the code
itself (``return loss, x``) when ``grad(f)`` is called, or from the probe
of the first call (a parameter passed as a list, returned as it is).
"""

import gast

from .errors import GradError, origin_of

_HINT = ("return the one number to differentiate; for several outputs use s2sgrad.vjp, with one cotangent per "
         "output, or s2sgrad.jacobian of a function returning one array")


def refuse_several_outputs(program, kinds, kind):
    """GradError at the return statement if the function's result is a container (``kinds``: name -> kind)."""
    ret = program.node.body[-1] if program.node.body else None
    if not isinstance(ret, gast.Return):
        return
    out = ret.value
    container = {gast.Tuple: "tuple", gast.List: "list", gast.Dict: "dict"}.get(type(out))
    if container is None and isinstance(out, gast.Name):
        container = kinds.get(out.id)
    if container is None:
        return
    raise GradError(f"{kind} needs a scalar output, but {program.parsed.name} returns a {container}",
                    origin_of(ret) or program.parsed.origin, _HINT)
