"""Rules users write for their own functions, in the form the built-in rules take.

A rule is written as a small function whose body is the derivative, in the
names of the function's own parameters plus ``g`` (the adjoint of the result),
``ans`` (the result) and ``d<param>`` (a tangent)::

    def softplus(x):                 # or a SciPy function, or a C extension's
        return np.logaddexp(0, x)

    @s2sgrad.adjoint(softplus)
    def _(x):
        dx = g * expit(x)

    @s2sgrad.tangent(softplus)
    def _(x):
        dans = dx * expit(x)

The body is never run: it is read as source, like a template of the built-in
tables (:mod:`s2sgrad.rules.registry`), so the generated code shows
``dx = dy * expit(x)`` inline where ``softplus`` is called, and calls the
user's own ``softplus`` for the value. Names the body reads from its module
(``expit`` above, a helper of the user's) are referred to the way the
generated code refers to the user's globals, so a written-out module imports
them. An adjoint body assigns ``d<param>`` for each parameter that has one; a
tangent body assigns ``dans``, linear in the tangents, and is split into one
template per parameter.
"""

import ast
import inspect
import textwrap

from .registry import defrule, lookup

RESERVED = frozenset({"g", "ans", "dans"})


def adjoint(func, *, linear=False, broadcasts=False, outputs=None, name=None):
    """Decorator: the decorated function's body is the reverse-mode rule of ``func``.

    Its signature is the one the rule understands (defaults included); its
    body assigns ``d<param>`` for each differentiable parameter. ``linear=True``
    makes the forward rule ``func`` applied to the tangent; ``broadcasts=True``
    sums each adjoint over the axes broadcasting added (for elementwise
    functions of several arrays).
    """
    def register(rule_fn):
        params, body = _read(rule_fn)
        vjp = {}
        for p in params.names:
            stmts = _slice(body, "d" + p)
            if stmts:
                vjp[p] = _template_text(stmts, "d" + p)
        if not vjp:
            raise ValueError(f"the adjoint of {_name(func)} assigns none of "
                             f"{', '.join('d' + p for p in params.names)}")
        _register(func, params.spec, rule_fn, vjp=vjp, linear=linear, broadcasts=broadcasts,
                  outputs=outputs, name=name)
        return rule_fn
    return register


def tangent(func, *, outputs=None, name=None):
    """Decorator: the decorated function's body is the forward-mode rule of ``func``.

    The body assigns ``dans``, an expression linear in the parameters'
    tangents ``d<param>``; each parameter's rule is that expression with the
    other tangents taken as zero.
    """
    def register(rule_fn):
        params, body = _read(rule_fn)
        stmts = _slice(body, "dans")
        if not stmts:
            raise ValueError(f"the tangent of {_name(func)} does not assign dans")
        tangents = {"d" + p for p in params.names}
        last = stmts[-1]
        jvp = {}
        for p in params.names:
            if ("d" + p) not in _names(stmts):
                continue
            kept = _keep_tangent(last.value, "d" + p, tangents - {"d" + p})
            if kept is None:
                continue
            jvp[p] = _template_text(stmts[:-1] + [ast.Assign(targets=last.targets, value=kept)], "dans")
        _register(func, params.spec, rule_fn, jvp=jvp, outputs=outputs, name=name)
        return rule_fn
    return register


class _Params:
    def __init__(self, names, spec):
        self.names, self.spec = names, spec


def _read(rule_fn):
    """The rule function's parameters (those of the differentiated function) and body statements."""
    try:
        source = textwrap.dedent(inspect.getsource(rule_fn))
    except (OSError, TypeError) as exc:
        raise ValueError(f"cannot read the source of the rule {rule_fn.__name__}: define it in a file "
                         f"(or use s2sgrad.defrule with template strings)") from exc
    node = ast.parse(source).body[0]
    args = node.args
    reserved = RESERVED | {"d" + a.arg for a in args.args + args.kwonlyargs}
    keep = [a for a in args.args if a.arg not in reserved]
    defaults = dict(zip([a.arg for a in args.args[len(args.args) - len(args.defaults):]], args.defaults))
    pieces = [a.arg + (f"={ast.unparse(defaults[a.arg])}" if a.arg in defaults else "") for a in keep]
    kwonly = [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if a.arg not in reserved]
    if kwonly:
        pieces.append("*")
        pieces += [a.arg + (f"={ast.unparse(d)}" if d is not None else "") for a, d in kwonly]
    body = [s for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]   # docstring
    return _Params([a.arg for a in keep] + [a.arg for a, _ in kwonly], ", ".join(pieces)), body


def _names(stmts, ctx=ast.Load):
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _slice(body, result):
    """The statements ``result`` depends on, in order (a backward slice of the body)."""
    needed, kept = {result}, []
    for stmt in reversed(body):
        if _names([stmt], ast.Store) & needed:
            kept.append(stmt)
            needed |= _names([stmt])
    return kept[::-1]


def _template_text(stmts, result):
    """One ``d<param> = expr`` is an expression template; anything longer, a statement template."""
    if len(stmts) == 1 and isinstance(stmts[0], ast.Assign) and len(stmts[0].targets) == 1 \
            and isinstance(stmts[0].targets[0], ast.Name) and stmts[0].targets[0].id == result:
        return ast.unparse(stmts[0].value)
    return "\n".join(ast.unparse(s) for s in stmts)


def _keep_tangent(expr, keep, drop):
    """``expr`` (linear in the tangents) with the tangents in ``drop`` taken as zero; None if all of it is."""
    mentioned = _names([ast.Expr(expr)])
    if not mentioned & drop:
        return expr
    if not mentioned & ({keep} | drop) - drop:
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        left, right = _keep_tangent(expr.left, keep, drop), _keep_tangent(expr.right, keep, drop)
        if left is None:
            return right if isinstance(expr.op, ast.Add) else ast.UnaryOp(op=ast.USub(), operand=right)
        if right is None:
            return left
        return ast.BinOp(left=left, op=expr.op, right=right)
    if isinstance(expr, ast.BinOp):
        return ast.BinOp(left=_keep_tangent(expr.left, keep, drop) or expr.left, op=expr.op,
                         right=_keep_tangent(expr.right, keep, drop) or expr.right)
    if isinstance(expr, ast.UnaryOp):
        return ast.UnaryOp(op=expr.op, operand=_keep_tangent(expr.operand, keep, drop))
    if isinstance(expr, ast.Call):
        args = [_keep_tangent(a, keep, drop) for a in expr.args]
        if any(a is None for a in args):
            raise ValueError(f"cannot separate the tangents in {ast.unparse(expr)}: write each "
                             f"parameter's contribution as its own term of a sum")
        return ast.Call(func=expr.func, args=args, keywords=expr.keywords)
    raise ValueError(f"cannot separate the tangents in {ast.unparse(expr)}: write each parameter's "
                     f"contribution as its own term of a sum")


def _namespace(rule_fn):
    """What the rule's body may name: its module's globals and the closure it was defined in."""
    namespace = dict(rule_fn.__globals__)
    closure = inspect.getclosurevars(rule_fn)
    namespace.update(closure.nonlocals)
    return namespace


def _register(func, spec, rule_fn, vjp=None, jvp=None, linear=False, broadcasts=False, outputs=None,
              name=None):
    """Add templates to ``func``'s rule, creating it on first use (an adjoint and a tangent may come apart)."""
    existing = lookup(func)
    if existing is not None and getattr(existing, "user_params", None) == spec:
        fresh = defrule(func, spec, vjp=vjp, jvp=jvp, linear=linear or existing.linear,
                        broadcasts=broadcasts or existing.broadcasts, outputs=outputs or existing.outputs,
                        name=name or existing.name, namespace=_namespace(rule_fn))
        for p, t in existing.vjp.items():
            fresh.vjp.setdefault(p, t)
        for p, t in existing.jvp.items():
            if not t.applies_function or p not in fresh.jvp:
                fresh.jvp[p] = t
    else:
        fresh = defrule(func, spec, vjp=vjp, jvp=jvp, linear=linear, broadcasts=broadcasts,
                        outputs=outputs, name=name or _name(func), namespace=_namespace(rule_fn))
    fresh.user_params = spec
    return fresh


def _name(func):
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    return qualname if module in (None, "builtins", "__main__") else f"{module}.{qualname}"
