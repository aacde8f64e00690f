"""``np.r_[a, b]`` and ``np.c_[a, b]``: NumPy's index-expression concatenations, as the calls they stand for.

They are subscripts of objects, not calls, so no rule would see them; read as
indexing they would pass no derivative on. With arrays (or numbers) as items,
``np.r_`` is ``np.concatenate`` of the items made at least 1-d, and ``np.c_``
the concatenation along the last axis of the items as columns (a 1-d item a
column, a number one element; ``np.column_stack`` of one item does exactly
that), so they are rewritten to those calls, whose rules apply. A string
directive (``np.r_['0,2', a, b]``) or a slice (``np.r_[0:3, a]``) among items
that may be arrays is refused; items that are all constants and slices (a
range of integers) are left as they are: nothing there has a derivative.
"""

import gast
import numpy as np

_CALLS = {id(np.r_): ("atleast_1d", 0), id(np.c_): ("column_stack", -1)}


def concatenator(normalizer, node):
    """``np.r_`` or ``np.c_`` where ``node`` (a subscript's value) names one outside the function, else None."""
    if isinstance(node, gast.Attribute):
        chain = []
        while isinstance(node, gast.Attribute):
            chain.append(node.attr)
            node = node.value
    elif isinstance(node, gast.Name):
        chain = []
    else:
        return None
    if not isinstance(node, gast.Name) or node.id in normalizer.locals:
        return None
    found, value = normalizer.parsed.lookup(node.id)
    for attr in reversed(chain):
        value = getattr(value, attr, None)
    return value if found and id(value) in _CALLS else None


def rewrite(normalizer, expr):
    """The call ``expr`` (``np.r_[...]`` or ``np.c_[...]``) stands for, normalized; None for another subscript."""
    which = concatenator(normalizer, expr.value)
    if which is None:
        return None
    items = expr.slice.elts if isinstance(expr.slice, gast.Tuple) else [expr.slice]
    spelled = "np.r_" if which is np.r_ else "np.c_"
    directive = any(isinstance(i, gast.Constant) and isinstance(i.value, str) for i in items)
    if directive or any(isinstance(i, gast.Slice) for i in items):
        if all(isinstance(i, (gast.Slice, gast.Constant)) for i in items):
            return None                       # a range of constants: nothing to differentiate
        raise normalizer.error(f"{spelled}[...] with a {'string directive' if directive else 'slice'} among "
                               f"arrays is not supported", expr,
                               "write np.concatenate([...], axis=...) of the arrays (np.arange for a range, "
                               "np.atleast_2d or x[:, None] to add axes)")
    shaping, axis = _CALLS[id(which)]
    pieces = []
    for item in items:
        atom = normalizer.atom(item)
        call = normalizer.make_call(normalizer.externals.numpy(shaping), getattr(np, shaping),
                                    [atom if shaping == "atleast_1d" else gast.Tuple(elts=[atom], ctx=gast.Load())],
                                    [], expr)
        pieces.append(normalizer.assign_temp(call, expr))
    keywords = [gast.keyword(arg="axis", value=gast.Constant(value=axis, kind=None))] if axis else []
    return normalizer.make_call(normalizer.externals.numpy("concatenate"), np.concatenate,
                                [gast.Tuple(elts=pieces, ctx=gast.Load())], keywords, expr)
