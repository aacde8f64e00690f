"""From a generated syntax tree to Python source, and to a live function.

Source is produced with astor. Compiled code is registered in :mod:`linecache`
under a ``<s2sgrad ...>`` file name, so tracebacks through a gradient show
its generated lines and :func:`inspect.getsource` finds them.
"""

import ast
import inspect
import math
import re
import itertools
import linecache
import weakref

import astor
import gast

from . import runtime

_counter = itertools.count()


def _same_shaped_classes():
    """gast node classes whose ``ast`` namesake has the same fields holding the same kinds of values."""
    special = {"Name", "arguments", "ExceptHandler", "alias", "FunctionDef", "AsyncFunctionDef", "ClassDef"}
    found = {}
    for class_name in dir(gast):
        cls = getattr(gast, class_name)
        twin = getattr(ast, class_name, None)
        if isinstance(cls, type) and issubclass(cls, gast.AST) and isinstance(twin, type) \
                and issubclass(twin, ast.AST) and class_name not in special and cls._fields == twin._fields:
            found[cls] = twin
    return found


_SAME_SHAPED = _same_shaped_classes()
# nodes that carry nothing (contexts, operators) are shared, one of each class, as CPython's parser shares them
_SHARED = {cls: twin() for cls, twin in _SAME_SHAPED.items()
           if issubclass(cls, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop))}
_LOAD = _SHARED[gast.Load]


def to_ast(node, where=(1, 0, 1, 0), numpy_alias=None):
    """The ``ast`` tree of a gast tree, every statement and expression located (at its parent's
    place where it has none, as :func:`ast.fix_missing_locations` would), or, with ``where=None``,
    none of them (a tree to print needs no locations). With ``numpy_alias``, ``inf`` and ``nan``
    constants are spelled ``np.inf`` and ``np.nan`` (astor would write 1e1000).

    ``gast.gast_to_ast`` does this through a generic visitor, for a tenth of a
    second per thousand lines; here the common nodes are built directly (names,
    contexts and operators without a call of their own), and only the few whose
    ``ast`` form differs (a function's signature, say) go through gast.
    """
    if type(node) is list:
        return [to_ast(n, where, numpy_alias) for n in node]
    if not isinstance(node, gast.AST):
        return node
    cls = type(node)
    fields = node.__dict__
    if where is not None and fields.get("lineno") is not None:
        where = (fields["lineno"], fields.get("col_offset"), fields.get("end_lineno"), fields.get("end_col_offset"))
    twin = _SAME_SHAPED.get(cls)
    if cls is gast.Constant and numpy_alias is not None and type(node.value) is float \
            and not math.isfinite(node.value):
        new = ast.Attribute(value=ast.Name(id=numpy_alias, ctx=_LOAD),
                            attr="nan" if math.isnan(node.value) else "inf", ctx=_LOAD)
        new = ast.UnaryOp(op=_SHARED[gast.USub], operand=new) if node.value < 0 else new
        if where is not None:
            new.lineno, new.col_offset, new.end_lineno, new.end_col_offset = where
            ast.fix_missing_locations(new)
        return new
    if cls in _SHARED:
        return _SHARED[cls]
    if twin is not None:
        new = twin.__new__(twin)
        attrs = new.__dict__
        for field in cls._fields:
            value = fields.get(field)
            kind = type(value)
            if kind is list:
                attrs[field] = [to_ast(v, where, numpy_alias) for v in value]
            elif kind in _SHARED:
                attrs[field] = _SHARED[kind]
            elif kind is gast.Name and type(value.ctx) is gast.Load:
                leaf = attrs[field] = _NAME.__new__(_NAME)      # (the commonest node: built here, no call)
                leaf.__dict__.update(id=value.id, ctx=_LOAD)
                if where is not None:
                    own = value.__dict__
                    leaf.lineno, leaf.col_offset, leaf.end_lineno, leaf.end_col_offset = where \
                        if own.get("lineno") is None else (own["lineno"], own.get("col_offset"),
                                                           own.get("end_lineno"), own.get("end_col_offset"))
            elif isinstance(value, gast.AST):
                attrs[field] = to_ast(value, where, numpy_alias)
            else:
                attrs[field] = value
    elif cls is gast.Name and not isinstance(node.ctx, gast.Param):
        new = _NAME.__new__(_NAME)
        new.__dict__.update(id=node.id, ctx=_SHARED[type(node.ctx)])
    elif cls is gast.FunctionDef:      # its signature through gast, its body here
        body = node.body
        node.body = []
        try:
            new = ast.fix_missing_locations(gast.gast_to_ast(node))
        finally:
            node.body = body
        new.body = to_ast(body, where, numpy_alias)
    else:
        new = ast.fix_missing_locations(gast.gast_to_ast(node))
    if where is not None and "lineno" in new._attributes and getattr(new, "lineno", None) is None:
        new.lineno, new.col_offset, new.end_lineno, new.end_col_offset = where
    return new


_NAME = ast.Name


def to_source(node, numpy_alias="np"):
    """Python source text for a gast module, function or statement.

    Lines are not re-wrapped: astor's wrapping breaks expressions at odd places,
    and one long line reads better than a broken one.
    """
    tree = to_ast(node, where=None, numpy_alias=numpy_alias)
    return astor.to_source(tree, pretty_source="".join)


def helper_names(externals):
    """The runtime helpers (``unbroadcast``) a generated module refers to, by their bound names."""
    helpers = {id(f): f for f in runtime.HELPERS.values()}
    return {bound: obj for bound, obj in externals.bound.items() if id(obj) in helpers}


def module_source(fn, externals):
    """The generated module's body: the helpers it uses (as source), then the function."""
    parts = []
    helpers = helper_names(externals)
    for _, companion_externals in getattr(fn, "companions", ()):   # what generated vjps of helpers use
        helpers.update(helper_names(companion_externals))
    for bound, helper in sorted(helpers.items()):
        text = inspect.getsource(helper).replace(f"def {helper.__name__}(", f"def {bound}(", 1)
        if externals.np != "np":   # the user's code names something np: the helpers spell NumPy as it does
            text = re.sub(r"\bnp\.", externals.np + ".", text)
        parts.append(text)
    for companion, _ in getattr(fn, "companions", ()):     # generated vjps of recursive helpers
        parts.append(to_source(companion, externals.np))
    parts.append(to_source(fn, externals.np))
    return "\n\n".join(p.rstrip() + "\n" for p in parts)


def exec_source(source, namespace, tag, name):
    """Execute generated source in ``namespace`` under a linecache-registered file name, and
    return the function it defines under ``name``.

    The registration lasts as long as that function (and the namespace, its
    globals, with whatever else the source defined): a program that makes
    gradients of fresh closures in a loop must not collect their sources forever.
    """
    filename = f"<s2sgrad {tag} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    function = namespace[name]
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function


def compile_module(tree, namespace, tag):
    """Compile an ``ast`` module of internal instrumented code (the shape probe) and return its namespace.

    Nobody reads this code, so it is compiled from the tree, without printing it as source.
    """
    exec(compile(tree, f"<s2sgrad {tag} #{next(_counter)}>", "exec"), namespace)
    return namespace


def standalone_module(fn_source, externals, description):
    """A complete module to write to disk: docstring, imports, helpers and the function."""
    lines = [f'"""{description}\n\nGenerated by s2sgrad. It needs only NumPy{", SciPy" if externals.uses_scipy else ""}'
             f' and the modules it imports below."""\n',
             f"import numpy as {externals.np}" if externals.np != "numpy" else "import numpy"]
    for modname in sorted(externals.uses_scipy):
        lines.append(f"import {modname}")
    helpers = helper_names(externals)
    imports = {}
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", fn_source))
    for bound, (module, attr) in sorted(externals.origins.items()):
        if bound in helpers or bound not in used:
            continue
        imports.setdefault(module, []).append((attr, bound))
    problems = [attr for module, items in imports.items() if module in (None, "__main__") for attr, _ in items]
    for module, items in sorted((m, i) for m, i in imports.items() if m not in (None, "__main__")):
        names = ", ".join(attr if attr == bound else f"{attr} as {bound}" for attr, bound in items)
        lines.append(f"from {module} import {names}")
    return "\n".join(lines) + "\n\n\n" + fn_source, problems
