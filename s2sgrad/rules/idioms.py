"""Idioms: helper functions people write again and again, with the derivative people derive for them.

When a user's helper has exactly the body of an idiom below (up to the names
of its parameters and locals, and how NumPy is imported), s2sgrad does not
inline it: the generated code calls the user's own helper for the value and
uses the idiom's rule for the derivative. The lecture's ``logistic`` then
differentiates as ``dQ = dZ * (Z * (1 - Z))``, and its ``logsumexp`` as
``g * np.exp(U - ans)`` (the softmax), as a person derives them: the
max-subtraction that makes ``logsumexp`` stable adds nothing to its derivative,
which inlining alone could not see.

The logistic's derivative is grouped as ``g * (ans * (1 - ans))`` on purpose:
NumPy then computes the factor in one temporary it reuses in place, where
``g * ans * (1 - ans)`` holds two temporaries as large as ``g`` at once.

Each idiom is a plain function whose source is the pattern, registered with
:func:`idiom` and the rule's templates (the same template language as every
rule). Users may register their own.
"""

import ast
import inspect
import textwrap

import gast
import numpy as np

from ..astutil import walk
from .registry import defrule

_IDIOMS = []              # (canonical body, vjp, jvp)
_IGNORED_FIELDS = {"ctx", "type_comment", "annotation", "kind", "type_params", "returns",
                   "decorator_list", "name"}


def idiom(vjp, jvp):
    """Register the decorated function's body as an idiom with these derivative templates.

    Templates use the idiom's parameter names, ``g``, ``ans`` and ``d<param>``,
    like any rule (see :mod:`s2sgrad.rules.registry`).
    """
    def register(pattern):
        _IDIOMS.append((pattern, vjp, jvp))
        return pattern
    return register


def match(func, parsed):
    """The rule for user function ``func`` (its :class:`ParsedFunction` given) if it is an idiom, else None."""
    shape = canonical(parsed.node, parsed.lookup)
    if shape is None:
        return None
    for pattern, vjp, jvp in _IDIOMS:
        if _pattern_shape(pattern) == shape:
            params = ", ".join(a.id for a in parsed.node.args.args)
            names = [a.id for a in _parse(pattern).args.args]
            rename = dict(zip(names, (a.id for a in parsed.node.args.args)))
            return defrule(func, params, vjp={rename[p]: _renamed(t, rename) for p, t in vjp.items()},
                           jvp={rename[p]: _renamed(t, rename) for p, t in jvp.items()},
                           name=func.__name__)
    return None


_SHAPES = {}


def _pattern_shape(pattern):
    if pattern not in _SHAPES:
        node = _parse(pattern)
        _SHAPES[pattern] = canonical(node, lambda n: (n == "np", np))
    return _SHAPES[pattern]


def _parse(func):
    return gast.parse(textwrap.dedent(inspect.getsource(func))).body[0]


def _renamed(template, rename):
    """A template written in the idiom's parameter names, in the user's (``Z`` -> ``U``, ``dZ`` -> ``dU``)."""
    mapping = dict(rename)
    mapping.update({"d" + old: "d" + new for old, new in rename.items()})
    node = gast.parse(template.strip(), mode="exec")
    for n in walk(node):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]
    return ast.unparse(gast.gast_to_ast(node)).strip()


def canonical(fn, lookup_name):
    """A text standing for the function body's structure: locals numbered, NumPy named as NumPy.

    None where the body reads a global that is not NumPy (it could mean anything).
    """
    params = [a.id for a in fn.args.args]
    body = fn.body
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                                   # a docstring
    local_order = {p: f"p{i}" for i, p in enumerate(params)}
    assigned = {n.id for s in body for n in walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}

    def text(node):
        if isinstance(node, list):
            return "[" + ",".join(text(n) for n in node) + "]"
        if isinstance(node, gast.Name):
            if node.id in local_order:
                return local_order[node.id]
            if node.id in assigned:
                local_order[node.id] = f"l{len(local_order)}"
                return local_order[node.id]
            found, value = lookup_name(node.id)
            if found and value is np:
                return "numpy"
            raise LookupError(node.id)
        if isinstance(node, gast.Constant):
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return repr(float(value))
            return repr(value)
        if not isinstance(node, gast.AST):
            return repr(node)
        fields = [f"{f}={text(getattr(node, f, None))}" for f in node._fields if f not in _IGNORED_FIELDS]
        return f"{type(node).__name__}({','.join(fields)})"

    try:
        return text(body)
    except LookupError:
        return None


# ---------------------------------------------------------------------------------------- idioms
@idiom(vjp={"z": "g * (ans * (1 - ans))"}, jvp={"z": "dz * (ans * (1 - ans))"})
def logistic(z):
    return 1 / (1 + np.exp(-z))


@idiom(vjp={"z": "g * (ans * (1 - ans))"}, jvp={"z": "dz * (ans * (1 - ans))"})
def logistic_of_exp(z):
    return np.exp(z) / (1 + np.exp(z))


@idiom(vjp={"x": "g / (1 + np.exp(-x))"}, jvp={"x": "dx / (1 + np.exp(-x))"})
def softplus(x):
    return np.log(1 + np.exp(x))


@idiom(vjp={"x": "g / (1 + np.exp(-x))"}, jvp={"x": "dx / (1 + np.exp(-x))"})
def softplus_log1p(x):
    return np.log1p(np.exp(x))


@idiom(vjp={"Z": "g * np.exp(Z - ans)"}, jvp={"Z": "np.sum(dZ * np.exp(Z - ans), axis=1)[:, None]"})
def logsumexp_rows(Z):                      # the lecture's: N x C -> N x 1
    Zmax = np.max(Z, axis=1)[:, None]
    return Zmax + np.log(np.sum(np.exp(Z - Zmax), axis=1))[:, None]


@idiom(vjp={"Z": "g * np.exp(Z - ans)"}, jvp={"Z": "np.sum(dZ * np.exp(Z - ans), axis=1, keepdims=True)"})
def logsumexp_rows_keepdims(Z):
    m = np.max(Z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))


@idiom(vjp={"Z": "g * np.exp(Z - ans)"}, jvp={"Z": "np.sum(dZ * np.exp(Z - ans), axis=-1, keepdims=True)"})
def logsumexp_last_keepdims(Z):
    m = np.max(Z, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(Z - m), axis=-1, keepdims=True))


@idiom(vjp={"z": "ans * (g - np.sum(g * ans, axis=-1, keepdims=True))"},
       jvp={"z": "ans * (dz - np.sum(dz * ans, axis=-1, keepdims=True))"})
def softmax_last(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


@idiom(vjp={"z": "ans * (g - np.sum(g * ans, axis=1, keepdims=True))"},
       jvp={"z": "ans * (dz - np.sum(dz * ans, axis=1, keepdims=True))"})
def softmax_rows(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
