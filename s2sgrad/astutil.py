"""Small constructors and helpers for gast trees, shared by every phase."""

import ast
from collections import deque

import gast

# Annotations our phases attach to nodes; clone() carries them over uncopied.
_ANNOTATIONS = ("origin", "external", "value_of", "callee", "method", "user_function", "as_written", "inplace",
                "array_method", "written")
LOCATION_FIELDS = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_KEPT_BY_REFERENCE = LOCATION_FIELDS + _ANNOTATIONS


# The constructors below fill a node's fields directly: every phase makes thousands of nodes, and gast's
# generic constructor costs twice as much. Context nodes carry nothing and are never changed: shared.
_LOAD, _STORE = gast.Load(), gast.Store()


def _node(cls, **fields):
    node = cls.__new__(cls)
    node.__dict__.update(fields)
    return node


def name(id_, ctx=None):
    return _node(gast.Name, id=id_, ctx=ctx or _LOAD, annotation=None, type_comment=None)


def store(id_):
    return _node(gast.Name, id=id_, ctx=_STORE, annotation=None, type_comment=None)


def const(value):
    return _node(gast.Constant, value=value, kind=None)


def assign(target, value, like=None):
    """``target = value``; ``target`` may be a name string or a target node."""
    if isinstance(target, str):
        target = store(target)
    stmt = _node(gast.Assign, targets=[target], value=value, type_comment=None)
    if like is not None:
        copy_origin(stmt, like)
    return stmt


def copy_origin(new, old):
    """Give ``new`` the source location (and user-code origin) of ``old``."""
    fields, new_fields = old.__dict__, new.__dict__
    if fields.get("lineno") is not None and "lineno" in type(new)._attributes:
        for attr in LOCATION_FIELDS:
            if attr in fields:
                new_fields[attr] = fields[attr]
    origin = fields.get("origin")
    if origin is not None:
        new_fields["origin"] = origin
    return new


def clone(node):
    """A deep copy of an AST that keeps our annotations by reference (they may hold arrays).

    Every phase copies trees, so this is hot: it fills the new node's ``__dict__``
    directly rather than through the node constructor, and shares the
    ``Load``/``Store``/``Del`` context nodes, which carry nothing and are never mutated.
    """
    if type(node) is list:
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST) or isinstance(node, gast.expr_context):
        return node
    cls = type(node)
    old = node.__dict__
    new = cls.__new__(cls)
    fields = new.__dict__
    for field in cls._fields:
        value = old.get(field)
        fields[field] = clone(value) if type(value) is list or isinstance(value, gast.AST) else value
    for attr in _KEPT_BY_REFERENCE:
        if attr in old:
            fields[attr] = old[attr]
    return new


def walk(node):
    """Every node in ``node``, breadth first, like :func:`ast.walk` but for the hot paths of every
    phase: it reads children straight from the fields, and skips the ``Load``/``Store`` context
    nodes, which nobody looks for."""
    todo = deque([node])
    while todo:
        node = todo.popleft()
        fields = node.__dict__
        for field in node._fields:
            value = fields.get(field)
            if type(value) is list:
                todo.extend(child for child in value if isinstance(child, gast.AST))
            elif isinstance(value, gast.AST) and not isinstance(value, gast.expr_context):
                todo.append(value)
        yield node


class Transformer(gast.NodeTransformer):
    """:class:`ast.NodeTransformer` with a faster ``generic_visit``, for the passes that visit every
    node of a generated function (simplification, rewrites): it reads children straight from the
    fields, and skips the ``Load``/``Store`` context nodes, which no pass visits."""

    keeps_users_statements = False   # leave the user's own statements (``as_written``) as written

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._visitors = {}        # node class -> the method that visits it, looked up once

    def visit(self, node):
        cls = type(node)
        visitor = self._visitors.get(cls)
        if visitor is None:
            visitor = getattr(type(self), "visit_" + cls.__name__, None)
            if visitor is getattr(ast.NodeVisitor, "visit_" + cls.__name__, None):
                visitor = None        # (ast's visit_Constant, there for old visitors of Num and Str)
            if visitor is None:       # a name, a constant, an operator holds no node to visit: nothing to do
                visitor = _leaf if cls in _LEAVES or not cls._fields else \
                    _unless_users if self.keeps_users_statements and cls in _USERS_STATEMENTS else \
                    Transformer.generic_visit
            self._visitors[cls] = visitor
        return visitor(self, node)

    def generic_visit(self, node):
        fields = node.__dict__
        for field in node._fields:
            old = fields.get(field)
            if type(old) is list:
                new = []
                for item in old:
                    if isinstance(item, gast.AST):
                        item = self.visit(item)
                        if item is None:
                            continue
                        if not isinstance(item, gast.AST):
                            new.extend(item)
                            continue
                    new.append(item)
                old[:] = new
            elif isinstance(old, gast.AST) and not isinstance(old, gast.expr_context):
                replacement = self.visit(old)
                if replacement is None:
                    delattr(node, field)
                else:
                    fields[field] = replacement
        return node


_LEAVES = (gast.Name, gast.Constant)
_USERS_STATEMENTS = (gast.Assign, gast.AugAssign, gast.Expr)   # the statements normalization marks as_written


def _leaf(transformer, node):
    return node


def _unless_users(transformer, node):
    return node if node.__dict__.get("as_written") else transformer.generic_visit(node)


def walk_statements(stmts):
    """Every statement, nested ones included, in order (no expression holds a statement)."""
    for stmt in stmts:
        yield stmt
        fields = stmt.__dict__
        body, orelse = fields.get("body"), fields.get("orelse")    # (most statements have neither)
        if body:
            yield from walk_statements(body)
        if orelse:
            yield from walk_statements(orelse)


def name_nodes(node):
    """The Name nodes in ``node``, in no particular order: the question most phases ask of a
    statement, answered without visiting the nodes a name cannot be inside."""
    found = []
    todo = [node]
    while todo:
        node = todo.pop()
        cls = type(node)
        if cls is gast.Name:
            found.append(node)
            continue
        children = _FIELDS_WITH_NAMES.get(cls)
        if children is None:
            if not isinstance(node, gast.AST):
                continue
            children = _FIELDS_WITH_NAMES[cls] = () if cls is gast.Constant else tuple(
                f for f in cls._fields if f not in ("ctx", "op", "kind", "type_comment"))
        fields = node.__dict__
        for field in children:
            value = fields.get(field)
            if type(value) is list:
                todo.extend(value)
            elif value is not None:
                todo.append(value)
    return found


_FIELDS_WITH_NAMES = {}    # node class -> the fields that may hold a Name, for name_nodes


def names_in(node, ctx=None):
    """The identifiers of the Name nodes in ``node`` (optionally only those with context ``ctx``)."""
    if ctx is None:
        return {n.id for n in name_nodes(node)}
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, ctx)}


def is_atom(node):
    """A name, a constant or an outside reference: something evaluation cannot duplicate work on."""
    return (isinstance(node, (gast.Name, gast.Constant)) or getattr(node, "external", False)
            or (isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts)))


def substitute(node, mapping):
    """A copy of ``node`` with its Load names replaced by the expressions in ``mapping`` (copied at
    each use); a stored name mapped to a name is renamed. One pass, like :func:`clone`."""
    if type(node) is list:
        return [substitute(n, mapping) for n in node]
    if not isinstance(node, gast.AST) or isinstance(node, gast.expr_context):
        return node
    cls = type(node)
    if cls is gast.Name and node.id in mapping:
        replacement = mapping[node.id]
        if isinstance(node.ctx, gast.Load):
            return clone(replacement)
        if isinstance(node.ctx, gast.Store) and isinstance(replacement, gast.Name):
            return store(replacement.id)
    old = node.__dict__
    new = cls.__new__(cls)
    fields = new.__dict__
    for field in cls._fields:
        value = old.get(field)
        fields[field] = substitute(value, mapping) if type(value) is list or isinstance(value, gast.AST) \
            else value
    for attr in _KEPT_BY_REFERENCE:
        if attr in old:
            fields[attr] = old[attr]
    return new


def replaced(node, mapping, moved=False):
    """:func:`substitute` for a statement that the result replaces: only the nodes on the way to a
    replaced name are new, the rest is shared with ``node`` (``node`` itself where nothing is
    replaced). The cleanup passes rewrite a statement one name at a time, and copying all of it
    each time cost them a fifth of their work. ``moved``: each replacement is used once and its
    old place is dropped, so it is moved, not copied."""
    if type(node) is gast.Name:
        if node.id in mapping:
            replacement = mapping[node.id]
            if isinstance(node.ctx, gast.Load):
                return replacement if moved else clone(replacement)
            if isinstance(node.ctx, gast.Store) and isinstance(replacement, gast.Name):
                return store(replacement.id)
        return node
    old = node.__dict__
    changed = None
    for field in node._fields:
        value = old.get(field)
        if type(value) is list:
            new_list = None
            for i, item in enumerate(value):
                if isinstance(item, gast.AST):
                    new_item = replaced(item, mapping, moved)
                    if new_item is not item:
                        if new_list is None:
                            new_list = list(value)
                        new_list[i] = new_item
            if new_list is not None:
                changed = changed or {}
                changed[field] = new_list
        elif isinstance(value, gast.AST) and not isinstance(value, gast.expr_context):
            new_value = replaced(value, mapping, moved)
            if new_value is not value:
                changed = changed or {}
                changed[field] = new_value
    if changed is None:
        return node
    cls = type(node)
    new = cls.__new__(cls)
    fields = new.__dict__
    for field in cls._fields:
        fields[field] = changed[field] if field in changed else old.get(field)
    for attr in _KEPT_BY_REFERENCE:
        if attr in old:
            fields[attr] = old[attr]
    return new
