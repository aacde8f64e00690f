"""Small constructors and helpers for gast trees, shared by every phase."""

import gast

# Annotations our phases attach to nodes; clone() carries them over uncopied.
_ANNOTATIONS = ("origin", "external", "value_of", "callee", "method", "user_function", "inplace",
                "array_method")


def name(id_, ctx=None):
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def store(id_):
    return name(id_, gast.Store())


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value, like=None):
    """``target = value``; ``target`` may be a name string or a target node."""
    if isinstance(target, str):
        target = store(target)
    stmt = gast.Assign(targets=[target], value=value, type_comment=None)
    if like is not None:
        copy_origin(stmt, like)
    return stmt


def copy_origin(new, old):
    """Give ``new`` the source location (and user-code origin) of ``old``."""
    if getattr(old, "lineno", None) is not None:
        gast.copy_location(new, old)
    origin = getattr(old, "origin", None)
    if origin is not None:
        new.origin = origin
    return new


def clone(node):
    """A deep copy of an AST that keeps our annotations by reference (they may hold arrays)."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    new = type(node)(**{f: clone(getattr(node, f, None)) for f in node._fields})
    for attr in getattr(node, "_attributes", ()):
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    for attr in _ANNOTATIONS:
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    return new


def names_in(node, ctx=None):
    """The identifiers of the Name nodes in ``node`` (optionally only those with context ``ctx``)."""
    return {n.id for n in gast.walk(node)
            if isinstance(n, gast.Name) and (ctx is None or isinstance(n.ctx, ctx))}


def is_atom(node):
    """A name, a constant or an outside reference: something evaluation cannot duplicate work on."""
    return (isinstance(node, (gast.Name, gast.Constant)) or getattr(node, "external", False)
            or (isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts)))


def substitute(node, mapping):
    """Replace Load names by the expressions in ``mapping`` (cloned at each use)."""

    class Substitute(gast.NodeTransformer):
        def visit_Name(self, n):
            if isinstance(n.ctx, gast.Load) and n.id in mapping:
                return clone(mapping[n.id])
            if isinstance(n.ctx, gast.Store) and n.id in mapping and isinstance(mapping[n.id], gast.Name):
                return store(mapping[n.id].id)
            return n

    return Substitute().visit(clone(node))
