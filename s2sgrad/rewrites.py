"""Identities: an expensive expression traded for a cheaper one of the same value.

A rule's template is written for the general case. Once the cleanup passes
have substituted single-use values into their one use, some compositions
become visible that a person would write differently. The derivative of
``np.logaddexp(0, s)`` is ``np.exp(s - ans)``, the logistic sigmoid of ``s``:
cheap where ``ans`` is computed anyway (the value of the function needs it),
but where only the derivative reads it, the gradient computes a logaddexp
just to undo it with an exp. There it is better written as the sigmoid
itself, ``0.5 * np.tanh(0.5 * s) + 0.5``, one transcendental function
instead of three, that cannot overflow either.

An identity is data, like a rule (the table is :mod:`s2sgrad.rules.identities`):
a pattern and its replacement in the template language, over a few pattern
variables that stand for any subexpression. Unlike :mod:`s2sgrad.simplify`,
identities may change the last bits of a value (they are equal in exact
arithmetic, not in rounding), so each must be well conditioned where its
pattern is.
"""

import gast

from .astutil import Transformer, name, substitute
from .simplify import simplify

_IDENTITIES = []
_IGNORED = {"ctx", "type_comment", "annotation", "kind"}


class Identity:
    def __init__(self, pattern, replacement, variables):
        self.pattern = gast.parse(pattern, mode="eval").body
        self.replacement = gast.parse(replacement, mode="eval").body
        self.variables = frozenset(v.strip() for v in variables.split(",") if v.strip())
        self.text = f"{pattern}  ->  {replacement}"

    def apply(self, node, numpy_alias):
        """The replacement for ``node`` if it matches the pattern, else None."""
        bound = {}
        if not _match(self.pattern, node, self.variables, numpy_alias, bound):
            return None
        bound["np"] = name(numpy_alias)
        return substitute(self.replacement, bound)


def identity(pattern, replacement, over):
    """Register ``pattern -> replacement``; ``over`` names the pattern variables (``"a, b"``)."""
    _IDENTITIES.append(Identity(pattern, replacement, over))


def all_identities():
    return list(_IDENTITIES)


def rewrite(fn, numpy_alias="np"):
    """Apply every identity wherever its pattern occurs in ``fn`` (innermost first); True if any did."""
    rewriter = _Rewriter(numpy_alias)
    rewriter.visit(fn)
    return rewriter.changed


class _Rewriter(Transformer):
    keeps_users_statements = True    # the user's own statement computes what they wrote, to the last bit

    def __init__(self, numpy_alias):
        self.np = numpy_alias
        self.changed = False

    def visit_Call(self, node):
        self.generic_visit(node)
        for ident in _IDENTITIES:
            replaced = ident.apply(node, self.np)
            if replaced is not None:
                self.changed = True
                return simplify(replaced, None, self.np)
        return node


def _match(pattern, node, variables, numpy_alias, bound):
    if isinstance(pattern, gast.Name):
        if pattern.id in variables:
            if pattern.id in bound:
                return _equal(bound[pattern.id], node)
            bound[pattern.id] = node
            return True
        wanted = numpy_alias if pattern.id == "np" else pattern.id
        return isinstance(node, gast.Name) and node.id == wanted
    if type(pattern) is not type(node):
        return False
    for field in pattern._fields:
        if field in _IGNORED:
            continue
        p, n = getattr(pattern, field, None), getattr(node, field, None)
        if isinstance(p, list):
            if not isinstance(n, list) or len(p) != len(n) \
                    or not all(_match(a, b, variables, numpy_alias, bound) for a, b in zip(p, n)):
                return False
        elif isinstance(p, gast.AST):
            if not isinstance(n, gast.AST) or not _match(p, n, variables, numpy_alias, bound):
                return False
        elif p != n or type(p) is not type(n):
            return False
    return True


def _equal(a, b):
    """Structural equality of two expressions (what a repeated pattern variable requires)."""
    if type(a) is not type(b):
        return False
    if not isinstance(a, gast.AST):
        return a == b and type(a) is type(b)
    for field in a._fields:
        if field in _IGNORED:
            continue
        p, n = getattr(a, field, None), getattr(b, field, None)
        if isinstance(p, list):
            if not isinstance(n, list) or len(p) != len(n) or not all(_equal(x, y) for x, y in zip(p, n)):
                return False
        elif not _equal(p, n):
            return False
    return True
