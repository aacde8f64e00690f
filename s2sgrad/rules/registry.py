"""Derivative rules as data: one small entry per function, read like the math.

A :class:`Rule` says, for each differentiable parameter of a function, how an
adjoint flows back to it (reverse mode, ``vjp``) and how a tangent flows
forward from it (forward mode, ``jvp``). Both are written as Python source
templates, in the names of the function's own parameters plus:

``g``      the adjoint of the result (reverse mode);
``ans``    the result itself, as computed by the primal sweep;
``dp``     the tangent of parameter ``p`` (forward mode);
``np``     NumPy.

A template is either one expression (the contribution to the parameter's
adjoint, or to the result's tangent) or a few statements that assign ``dp``.
Templates are instantiated by substituting the call's actual arguments, and
then simplified: ``np.full_like(x, g) if axis is None else ...`` folds to one
branch when ``axis`` is a constant, so the generated code is the specific
expression the call needs.

Three shorthands cover most of NumPy:

* :func:`elementwise` takes each parameter's partial derivative; the adjoint is
  ``g * partial`` reduced over broadcast axes, the tangent ``dp * partial``.
* ``linear=True`` derives the tangent by applying the function to the tangent.
* :func:`nondifferentiable` marks functions whose results carry no derivative
  (``argmax``, ``shape``, comparisons): they run in the primal only.
"""

import ast
from dataclasses import dataclass, field

import gast

_REGISTRY = {}       # id(function) -> Rule
_KEEPALIVE = {}      # id(function) -> function, so ids stay unique
_NONDIFF = {}        # id(function) -> function
_METHODS = {}        # method name -> Rule, for methods kept as methods (x.astype(float))


class _Required:
    def __repr__(self):
        return "<required>"


REQUIRED = _Required()


@dataclass
class Template:
    """A parsed rule template: an expression, or statements assigning ``d<param>``.

    A template with neither is the tangent rule of a linear function: the
    original call, with the parameter's tangent in place of the parameter.
    """

    text: str
    expr: gast.expr = None
    stmts: list = None

    @property
    def applies_function(self):
        return self.expr is None and self.stmts is None

    @classmethod
    def parse(cls, text):
        text = text.strip()
        try:
            return cls(text, expr=gast.parse(text, mode="eval").body)
        except SyntaxError:
            return cls(text, stmts=gast.parse(text).body)


@dataclass
class Rule:
    """How to differentiate one function: per-parameter adjoint and tangent templates."""

    func: object
    name: str
    params: list                       # parameter names, in positional order
    defaults: dict                     # name -> default value (REQUIRED if none)
    vjp: dict = field(default_factory=dict)       # param -> Template
    jvp: dict = field(default_factory=dict)       # param -> Template
    broadcasts: bool = False           # elementwise: operands broadcast to the result
    sequences: frozenset = frozenset() # params that take a list of arrays
    linear: bool = False

    @property
    def differentiable_params(self):
        return [p for p in self.params if p in self.vjp or p in self.jvp]

    def bind(self, args, kwargs):
        """Map a call's arguments (AST nodes) to this rule's parameter names.

        Returns ``(bound, error)``; ``error`` is a message when the call does
        not fit the rule's signature.
        """
        if len(args) > len(self.params):
            return None, f"{self.name} takes at most {len(self.params)} positional arguments here"
        bound = dict(zip(self.params, args))
        for key, value in kwargs.items():
            if key not in self.params:
                return None, f"{self.name}: argument {key}= is not supported by its derivative rule"
            if key in bound:
                return None, f"{self.name} got two values for {key}"
            bound[key] = value
        for p in self.params:
            if p not in bound:
                default = self.defaults[p]
                if default is REQUIRED:
                    return None, f"{self.name} is missing its argument {p}"
                bound[p] = gast.Constant(value=default, kind=None)
        return bound, None


def _parse_params(spec):
    """``"a, axis=None, *, keepdims=False"`` -> names, defaults, sequence params."""
    fn = ast.parse(f"def _({spec}): pass").body[0].args
    names = [a.arg for a in fn.args] + [a.arg for a in fn.kwonlyargs]
    defaults = {n: REQUIRED for n in names}
    for a, d in zip(fn.args[len(fn.args) - len(fn.defaults):], fn.defaults):
        defaults[a.arg] = ast.literal_eval(d)
    for a, d in zip(fn.kwonlyargs, fn.kw_defaults):
        if d is not None:
            defaults[a.arg] = ast.literal_eval(d)
    sequences = frozenset(a.arg for a in fn.args + fn.kwonlyargs
                          if isinstance(a.annotation, ast.Name) and a.annotation.id == "seq")
    return names, defaults, sequences


def display_name(func):
    """``np.linalg.norm`` for NumPy functions, the qualified name otherwise."""
    module = getattr(func, "__module__", None) or "numpy"
    name = getattr(func, "__name__", repr(func))
    if module.startswith("numpy"):
        prefix = "np.linalg." if "linalg" in module else "np."
        return prefix + name
    return f"{module}.{name}" if module not in ("builtins", "__main__") else name


def defrule(func, params, vjp=None, jvp=None, *, linear=False, broadcasts=False, name=None):
    """Register the derivative rule of ``func``.

    ``params`` is the signature the rule understands, as Python source
    (``"a, b"`` or ``"x, axis=None, keepdims=False"``; annotate a parameter
    ``: seq`` when it takes a list of arrays). ``vjp`` and ``jvp`` map parameter
    names to templates (see the module docstring). With ``linear=True`` the
    tangent rule is the function applied to the tangent and need not be given;
    ``broadcasts=True`` reduces each adjoint over the axes broadcasting added.
    """
    names, defaults, sequences = _parse_params(params)
    rule = Rule(func, name or display_name(func), names, defaults,
                sequences=sequences, linear=linear, broadcasts=broadcasts)
    for p, text in (vjp or {}).items():
        _check_param(rule, p)
        rule.vjp[p] = Template.parse(text)
    for p, text in (jvp or {}).items():
        _check_param(rule, p)
        rule.jvp[p] = Template.parse(text)
    if linear:
        for p in rule.vjp:
            if p not in rule.jvp:
                rule.jvp[p] = Template(f"{rule.name}(..., d{p}, ...)")
    _store(func, rule)
    return rule


def elementwise(func, params=None, *, name=None, **partials):
    """Register an elementwise function by the partial derivative of each parameter.

    ``elementwise(np.exp, x="ans")`` says d exp(x)/dx = exp(x). Adjoints are
    reduced over the axes broadcasting added, so operands of any shapes work.
    """
    if params is None:
        params = ", ".join(partials)
    names, defaults, sequences = _parse_params(params)
    rule = Rule(func, name or display_name(func), names, defaults,
                broadcasts=True, sequences=sequences)
    for p, partial in partials.items():
        _check_param(rule, p)
        rule.vjp[p] = Template.parse(_scale("g", partial))
        rule.jvp[p] = Template.parse(_scale("d" + p, partial))
    _store(func, rule)
    return rule


def nondifferentiable(*funcs):
    """Mark functions whose results carry no derivative; they run in the primal only."""
    for func in funcs:
        _NONDIFF[id(func)] = func


def _scale(name, partial):
    partial = partial.strip()
    if partial == "1":
        return name
    if partial == "-1":
        return f"-{name}"
    return f"{name} * ({partial})"


def _check_param(rule, p):
    if p not in rule.params:
        raise ValueError(f"rule for {rule.name}: {p!r} is not one of its parameters {rule.params}")


def _store(func, rule):
    _REGISTRY[id(func)] = rule
    _KEEPALIVE[id(func)] = func
    _NONDIFF.pop(id(func), None)


def defmethod(method, params, vjp=None, jvp=None, *, linear=False):
    """Register the rule of an array method kept as a method call; ``self`` is the array."""
    rule = defrule(None, params, vjp, jvp, linear=linear, name=f".{method}()")
    _REGISTRY.pop(id(None), None)
    _METHODS[method] = rule
    return rule


def lookup_method(method):
    return _METHODS.get(method)


def lookup(func):
    """The :class:`Rule` of ``func``, or None."""
    return _REGISTRY.get(id(func))


def is_nondifferentiable(func):
    return id(func) in _NONDIFF


def all_rules():
    """Every registered rule, for coverage listings and the systematic tests."""
    return list(_REGISTRY.values())


def all_nondifferentiable():
    return list(_NONDIFF.values())
