"""Instantiating a rule's template at one call site.

A template speaks in the rule's parameter names (``a``, ``axis``), ``g``,
``ans`` and ``d<param>``; instantiation substitutes the call's own atoms for
them (after normalization every argument is a name or a constant, so no
computation is ever duplicated), gives any local of a statement template a
fresh name, and simplifies the result.
"""

import builtins

import gast

from .astutil import Transformer, clone, name, names_in, substitute, walk
from .simplify import simplify

_NUMPY_NAME = "np"


def instantiate(template, bindings, namer, numpy_alias, target=None, result_name=None, shapes=None,
                externals=None, cache=None):
    """Instantiate ``template``.

    ``bindings`` maps template names to AST nodes. For an expression template
    the result is ``([], expr)``; for a statement template it is
    ``(stmts, None)`` with the template's result variable (``result_name``,
    e.g. ``"dx"``) renamed to ``target``. A template with a ``namespace`` (a
    user's rule) may name objects from it; ``externals`` gives them names in
    the generated code.

    ``cache`` (a dict the caller keeps for one derivative, where ``namer``,
    ``numpy_alias`` and ``externals`` stay the same) remembers each simplified
    expression by what simplification can see of its bindings, so that a rule
    met again on operands of the same shapes is not simplified again.
    """
    found = _instance_key(template, bindings, shapes, externals) if cache is not None else None
    if found is not None:
        key, names = found
        entry = cache.get(key)
        if entry is not None and entry[0] is template:
            return [], substitute(entry[1], {_placeholder(k): n for k, n in enumerate(names)})
        stmts, expr = _instantiate(template, bindings, namer, numpy_alias, target, result_name, shapes, externals)
        cache[key] = (template, substitute(expr, {n.id: name(_placeholder(k)) for k, n in enumerate(names)}))
        return stmts, expr
    return _instantiate(template, bindings, namer, numpy_alias, target, result_name, shapes, externals)


def _instance_key(template, bindings, shapes, externals):
    """What the simplified instance of an expression template depends on: the template, the
    constants bound, and for the names bound, which are the same name and what shape each has; None
    where a binding is anything else (an index, an outside name) or the template names locals.

    Returns the key and the names bound, each once, in the order the key numbers them.
    """
    if template.expr is None or _expression_locals(template):
        return None
    shapes = shapes or {}
    parts = [id(template), externals is None]
    numbers, names = {}, []
    for k in sorted(bindings):
        v = bindings[k]
        cls = type(v)
        if cls is gast.Name and not v.__dict__.get("external"):
            if v.id not in numbers:           # (the node of a name's first binding stands for it)
                numbers[v.id] = len(names)
                names.append(v)
            parts.append((k, numbers[v.id], shapes.get(v.id)))
        elif cls is gast.Constant:
            parts.append((k, type(v.value), v.value))
        else:
            return None
    return tuple(parts), names


def _placeholder(k):
    return f" bound{k}"        # (a space: no Python name, so none of the template's own)


def _instantiate(template, bindings, namer, numpy_alias, target, result_name, shapes, externals):
    mapping = dict(bindings)
    if numpy_alias != _NUMPY_NAME:
        mapping[_NUMPY_NAME] = name(numpy_alias)
    body = [template.expr] if template.expr is not None else template.stmts
    if template.namespace and externals is not None:
        mapping.update(outside_names(body, template.namespace, mapping, externals))
    if externals is not None:
        mapping.update(builtin_names(template, mapping, externals))
    slices = _SlicesAsCalls(externals) if _binds_a_slice(bindings) else _Unchanged()
    if template.expr is not None:
        for local in sorted(_expression_locals(template) - set(mapping)):  # [a.shape[0] for a in xs]: the
            mapping[local] = name(namer.temp_like(local))                 # user may have an `a` of their own
        expr = slices.visit(substitute(template.expr, mapping))
        return [], simplify(expr, shapes, numpy_alias)
    body = clone(template.stmts)
    for local in sorted(names_in(gast.Module(body=body, type_ignores=[]), gast.Store)):
        if local == result_name:
            mapping[local] = name(target)
        elif local not in mapping:
            mapping[local] = name(namer.temp_like(local))
    stmts = []
    for s in body:
        s = simplify(slices.visit(substitute(s, mapping)), shapes, numpy_alias)
        stmts.extend(s if isinstance(s, list) else [s])
    return stmts, None


def outside_names(body, namespace, mapping, externals):
    """Bindings for the names a template reads from its rule's namespace (``expit``, ``special``)."""
    stored = names_in(gast.Module(body=list(body), type_ignores=[]), gast.Store)
    home = namespace.get("__name__") if isinstance(namespace.get("__name__"), str) else None
    found = {}
    for n in sorted(names_in(gast.Module(body=list(body), type_ignores=[]), gast.Load)):
        if n in mapping or n in stored or n == _NUMPY_NAME or n not in namespace:
            continue
        obj = namespace[n]
        ref = externals.reference(obj, n, (home, n) if home else None)
        ref.external = True
        ref.value_of = obj
        found[n] = ref
    return found


def builtin_names(template, mapping, externals):
    """The builtins a template calls (``tuple``, ``range``), spelled so that no local of the user's shadows them."""
    return {n: externals.builtin(n) for n in _builtins_read(template) if n not in mapping}


def _expression_locals(template):
    """The names an expression template binds itself (comprehension variables), found once per template."""
    found = template.__dict__.get("_expression_locals")
    if found is None:
        found = template.__dict__["_expression_locals"] = frozenset(names_in(template.expr, gast.Store))
    return found


def _builtins_read(template):
    """The builtin names a template reads, found once per template (templates are instantiated often)."""
    found = template.__dict__.get("_builtins_read")
    if found is None:
        body = gast.Module(body=[template.expr] if template.expr is not None else list(template.stmts),
                           type_ignores=[])
        stored = names_in(body, gast.Store)
        found = template.__dict__["_builtins_read"] = sorted(
            n for n in names_in(body, gast.Load) if n not in stored and n != _NUMPY_NAME and hasattr(builtins, n))
    return found


def _binds_a_slice(bindings):
    """Whether an index (``x[:, i]``) is among the bindings: only then can a slice land outside brackets."""
    return any(isinstance(node, gast.Slice) for value in bindings.values()
               if isinstance(value, gast.AST) and not isinstance(value, (gast.Name, gast.Constant))
               for node in walk(value))


class _Unchanged:
    @staticmethod
    def visit(node):
        return node


class _SlicesAsCalls(Transformer):
    """An index substituted outside brackets (``add_at(dx, index, g)`` for ``x[:, i]``) needs
    ``slice(None)`` where the subscript had ``:``; inside brackets a slice stays as written."""

    def __init__(self, externals=None):
        self.slice = (lambda: externals.builtin("slice")) if externals is not None else (lambda: name("slice"))

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)
        index = node.slice
        if isinstance(index, gast.Tuple):
            index.elts = [self.inside(e) for e in index.elts]
        else:
            node.slice = self.inside(index)
        return node

    def inside(self, part):
        if isinstance(part, gast.Slice):
            for field in ("lower", "upper", "step"):
                if getattr(part, field) is not None:
                    setattr(part, field, self.visit(getattr(part, field)))
            return part
        return self.visit(part)

    def visit_Slice(self, node):
        self.generic_visit(node)
        args = [v if v is not None else gast.Constant(value=None, kind=None)
                for v in (node.lower, node.upper, node.step)]
        if node.step is None:             # slice(lower, upper); slice(None) for ':'
            args = args[:2] if node.lower is not None else [args[1]]
        return gast.Call(func=self.slice(), args=args, keywords=[])
