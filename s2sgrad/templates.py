"""Instantiating a rule's template at one call site.

A template speaks in the rule's parameter names (``a``, ``axis``), ``g``,
``ans`` and ``d<param>``; instantiation substitutes the call's own atoms for
them (after normalization every argument is a name or a constant, so no
computation is ever duplicated), gives any local of a statement template a
fresh name, and simplifies the result.
"""

import gast

from .astutil import clone, name, names_in, substitute
from .simplify import simplify

_NUMPY_NAME = "np"


def instantiate(template, bindings, namer, numpy_alias, target=None, result_name=None, shapes=None):
    """Instantiate ``template``.

    ``bindings`` maps template names to AST nodes. For an expression template
    the result is ``([], expr)``; for a statement template it is
    ``(stmts, None)`` with the template's result variable (``result_name``,
    e.g. ``"dx"``) renamed to ``target``.
    """
    mapping = dict(bindings)
    if numpy_alias != _NUMPY_NAME:
        mapping[_NUMPY_NAME] = name(numpy_alias)
    if template.expr is not None:
        expr = substitute(template.expr, mapping)
        return [], simplify(expr, shapes, numpy_alias)
    body = clone(template.stmts)
    for local in sorted(names_in(gast.Module(body=body, type_ignores=[]), gast.Store)):
        if local == result_name:
            mapping[local] = name(target)
        elif local not in mapping:
            mapping[local] = name(namer.temp_like(local))
    stmts = [simplify(substitute(s, mapping), shapes, numpy_alias) for s in body]
    return stmts, None
