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

Three extensions cover the rest:

* A template may be a *factory*: a Python function called at each call site
  with the call's arguments (constants as their values, everything else as an
  :class:`Operand` that knows its shape when it is known), returning the
  template text for that call, or None when nothing flows to that parameter.
  ``np.einsum("ij,jk->ik", a, b)`` gets ``np.einsum("ik,jk->ij", g, b)`` this
  way: the subscripts are rearranged once, when the code is generated. A
  factory may raise :class:`RuleError` to reject a call it cannot handle.
* ``outputs=n`` declares a function returning n arrays (``w, V =
  np.linalg.eigh(A)``). Its templates see ``g0, g1, ...`` and ``ans0, ans1,
  ...``; an output nobody uses has ``g<i>`` bound to the constant ``None``, so
  ``(... if g1 is not None else 0)`` folds away. ``outputs="*"`` is a count
  decided by the call site (``a, b, c = np.split(x, 3)``); its factories get
  ``g`` and ``ans`` as tuples. Forward templates give one tangent per output,
  as a tuple display (``None`` for an output the parameter does not reach).
* A parameter written ``*operands`` (or annotated ``: seq``) takes several
  arrays. A template for it may be a tuple display with one entry per element
  (``(g[:n], g[n:])``); each entry is used only for elements that carry a
  derivative. ``operands[1]`` in a template folds to the element itself.

Templates speak NumPy only, so that generated code stands alone. Rules given a
``namespace`` (user rules, SciPy's) may also name what that namespace holds;
generated code then refers to it the way it refers to the user's own globals.
"""

import ast
import functools
import importlib
import inspect
import sys
from dataclasses import dataclass, field

import gast

_REGISTRY = {}       # id(function) -> Rule
_KEEPALIVE = {}      # id(function) -> function, so ids stay unique
_NONDIFF = {}        # id(function) -> function
_METHODS = {}        # method name -> Rule, for methods kept as methods (x.astype(float))
_NONDIFF_OWNERS = ()  # classes whose bound methods carry no derivative


class RuleError(Exception):
    """A rule cannot differentiate this particular call; reported as a GradError at the call."""


class Operand:
    """What a template factory sees of an argument that is not a constant.

    ``shape`` is the argument's shape where it is known when the code is
    generated (derivatives are specialized to their arguments' shapes), else None.
    """

    def __init__(self, name=None, shape=None):
        self.name = name
        self.shape = shape

    @property
    def ndim(self):
        return None if self.shape is None else len(self.shape)

    def __repr__(self):
        return f"Operand({self.name!r}, shape={self.shape})"


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
    factory: object = None        # callable(**arguments) -> text or None, called at each call site
    namespace: dict = None        # names the template may use besides NumPy (user and SciPy rules)
    complex: object = None        # the Template for calls where an operand holds complex values (see for_complex)

    @property
    def applies_function(self):
        return self.expr is None and self.stmts is None and self.factory is None

    @classmethod
    def parse(cls, text, namespace=None):
        if callable(text):
            doc = (text.__doc__ or "").strip().splitlines()
            return cls(doc[0] if doc else f"computed by {text.__name__}", factory=text,
                       namespace=namespace)
        text = text.strip()
        try:
            return cls(text, expr=gast.parse(text, mode="eval").body, namespace=namespace)
        except SyntaxError:
            return cls(text, stmts=gast.parse(text).body, namespace=namespace)

    def at(self, arguments):
        """The template for one call site: itself, or what its factory makes of ``arguments``.

        ``arguments`` maps names to values as :func:`argument_value` gives
        them; the factory receives those its signature names. Returns None
        where the factory says nothing flows.
        """
        if self.factory is None:
            return self
        text = self.factory(**_accepted(self.factory, arguments))
        if text is None:
            return None
        return _parse_cached(text, id(self.namespace), self.namespace)


_PARSED = {}


def _parse_cached(text, key, namespace):
    template = _PARSED.get((text, key))
    if template is None:
        template = _PARSED[(text, key)] = Template.parse(text, namespace)
    return template


def _accepted(factory, arguments):
    try:
        params = _parameters(factory)
    except TypeError:             # a factory that cannot be a dictionary key: ask each time
        params = _parameters.__wrapped__(factory)
    if params is None:
        return arguments
    return {k: v for k, v in arguments.items() if k in params}


@functools.lru_cache(maxsize=None)
def _parameters(factory):
    """The keyword names ``factory`` accepts, or None for any (asked once per factory: it is called at
    every call site)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    return frozenset(params)


def argument_value(node, shapes=None):
    """What a factory sees of an argument node: a constant's value, an outside object, or an Operand."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) \
            and isinstance(node.operand, gast.Constant):
        return -node.operand.value
    if getattr(node, "external", False) and hasattr(node, "value_of"):
        return node.value_of
    if isinstance(node, (gast.Tuple, gast.List)):
        return tuple(argument_value(e, shapes) for e in node.elts)
    if isinstance(node, gast.Name):
        return Operand(node.id, (shapes or {}).get(node.id))
    return Operand()


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
    varargs: str = None                # the ``*name`` parameter, if any (one of ``sequences``)
    outputs: object = None             # None: one result; n or "*": that many (see the module docstring)
    uniform: dict = field(default_factory=dict)   # param -> Template (see defrule)
    rows: frozenset = frozenset()      # seq params whose template also takes an array, as its rows (sum(x))
    aliases: dict = field(default_factory=dict)   # another spelling of a parameter -> its name here

    def result_count(self, bound, shapes=None):
        """How many results this call returns: None for one, else a count or ``"*"`` (see ``outputs``).

        ``outputs`` may be a function of the call's constant arguments:
        ``np.linalg.svd(a, compute_uv=False)`` returns one array, not three.
        """
        outputs = self.outputs
        if callable(outputs):
            arguments = {p: argument_value(v, shapes) for p, v in bound.items()}
            outputs = outputs(**_accepted(outputs, arguments))
        return outputs

    @property
    def differentiable_params(self):
        return [p for p in self.params if p in self.vjp or p in self.jvp]

    def bind(self, args, kwargs):
        """Map a call's arguments (AST nodes) to this rule's parameter names.

        Returns ``(bound, error)``; ``error`` is a message when the call does
        not fit the rule's signature.
        """
        positional = self.params[:self.params.index(self.varargs) + 1] if self.varargs else self.params
        if self.varargs:
            before = len(positional) - 1
            args = list(args[:before]) + [gast.Tuple(elts=list(args[before:]), ctx=gast.Load())]
        if len(args) > len(positional):
            return None, f"{self.name} takes at most {len(positional)} positional arguments here"
        bound = dict(zip(positional, args))
        for key, value in kwargs.items():
            key = self.aliases.get(key, key)
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
    """``"a, axis=None, *, keepdims=False"`` -> names, defaults, sequence params, varargs name."""
    fn = ast.parse(f"def _({spec}): pass").body[0].args
    varargs = fn.vararg.arg if fn.vararg else None
    names = [a.arg for a in fn.args] + ([varargs] if varargs else []) + [a.arg for a in fn.kwonlyargs]
    defaults = {n: REQUIRED for n in names}
    for a, d in zip(fn.args[len(fn.args) - len(fn.defaults):], fn.defaults):
        defaults[a.arg] = ast.literal_eval(d)
    for a, d in zip(fn.kwonlyargs, fn.kw_defaults):
        if d is not None:
            defaults[a.arg] = ast.literal_eval(d)
    if varargs:
        defaults[varargs] = ()
    sequences = frozenset([a.arg for a in fn.args + fn.kwonlyargs
                           if isinstance(a.annotation, ast.Name) and a.annotation.id == "seq"]
                          + ([varargs] if varargs else []))
    return names, defaults, sequences, varargs


def display_name(func):
    """``np.linalg.norm`` for NumPy functions, the qualified name otherwise."""
    module = getattr(func, "__module__", None) or "numpy"
    name = getattr(func, "__name__", repr(func))
    if module.startswith("numpy"):
        prefix = "np.linalg." if "linalg" in module else "np."
        return prefix + name
    return f"{module}.{name}" if module not in ("builtins", "__main__") else name


def defrule(func, params, vjp=None, jvp=None, *, linear=False, broadcasts=False, name=None,
            outputs=None, namespace=None, rows=()):
    """Register the derivative rule of ``func``.

    ``params`` is the signature the rule understands, as Python source
    (``"a, b"`` or ``"x, axis=None, keepdims=False"``; annotate a parameter
    ``: seq``, or write it ``*arrays``, when it takes several arrays). ``vjp``
    and ``jvp`` map parameter names to templates, or to factories that write
    the template for each call (see the module docstring). With
    ``linear=True`` the tangent rule is the function applied to the tangent
    and need not be given; ``broadcasts=True`` reduces each adjoint over the
    axes broadcasting added; ``outputs`` declares several results; names in
    ``namespace`` may be used by the templates besides ``np``; ``rows`` names
    the ``seq`` parameters whose templates also take an array, as the list of
    its rows (the builtin ``sum(x)``).
    """
    names, defaults, sequences, varargs = _parse_params(params)
    rule = Rule(func, name or display_name(func), names, defaults,
                sequences=sequences, linear=linear, broadcasts=broadcasts, varargs=varargs,
                outputs=outputs, rows=frozenset(rows))
    for p, text in (vjp or {}).items():
        _check_param(rule, p)
        rule.vjp[p] = Template.parse(text, namespace)
    for p, text in (jvp or {}).items():
        _check_param(rule, p)
        rule.jvp[p] = Template.parse(text, namespace)
    if linear:
        for p in rule.vjp:
            if p not in rule.jvp:
                rule.jvp[p] = Template(f"{rule.name}(..., d{p}, ...)")
    _store(func, rule)
    return rule


def uniform(func, **templates):
    """Declare when an adjoint flowing through ``func`` stays one number for every element.

    The seed of ``np.mean(x)`` is the same for every element of ``x``; passing
    it on as a scalar (instead of ``np.full_like(x, g)``) spares whole array
    operations. Each template (or a factory that writes one from the call's
    constant arguments) gives the scalar contribution to a parameter, in the
    usual names plus ``uniform_g`` (whether ``g`` itself is such a scalar), and
    folds to ``None`` where the contribution is not uniform.
    """
    rule = lookup(func)
    if rule is None:
        raise ValueError(f"uniform(): {func!r} has no rule yet")
    for p, text in templates.items():
        _check_param(rule, p)
        rule.uniform[p] = Template.parse(text)


def for_complex(func, vjp=None, jvp=None):
    """Give ``func``'s rule the templates it takes where an operand of the call holds complex values.

    The templates of a rule are written for real arrays, as a person would write
    them (``g * np.sign(x)`` for ``np.abs``). A function that is not holomorphic
    (``np.abs``, ``np.vdot``, a norm, ``eigvalsh``) needs others where its
    arguments are complex, in the convention docs/complex.md describes; the
    code generated for real arguments keeps the real ones. A variant must be
    right for real operands too: it also serves where a call mixes real and
    complex ones. (They are whole templates, not partial derivatives, also for
    an :func:`elementwise` rule: the tangent of a real result takes a real part.)
    """
    rule = lookup(func)
    if rule is None:
        raise ValueError(f"for_complex(): {func!r} has no rule yet")
    for mode, templates in (("vjp", vjp or {}), ("jvp", jvp or {})):
        for p, text in templates.items():
            _check_param(rule, p)
            real = getattr(rule, mode)[p]
            real.complex = Template.parse(text, real.namespace)


def elementwise(func, params=None, *, name=None, namespace=None, aliases=None, **partials):
    """Register an elementwise function by the partial derivative of each parameter.

    ``elementwise(np.exp, x="ans")`` says d exp(x)/dx = exp(x). Adjoints are
    reduced over the axes broadcasting added, so operands of any shapes work.
    ``aliases``: other names a call may give a parameter (``np.clip(x, min=0)``).
    """
    if params is None:
        params = ", ".join(partials)
    names, defaults, sequences, _ = _parse_params(params)
    rule = Rule(func, name or display_name(func), names, defaults,
                broadcasts=True, sequences=sequences, aliases=dict(aliases or {}))
    for p, partial in partials.items():
        _check_param(rule, p)
        rule.vjp[p] = Template.parse(_scale("g", partial), namespace)
        rule.jvp[p] = Template.parse(_scale("d" + p, partial), namespace)
    _store(func, rule)
    return rule


def nondifferentiable(*funcs):
    """Mark functions whose results carry no derivative; they run in the primal only."""
    for func in funcs:
        _NONDIFF[id(func)] = func


def nondifferentiable_methods(*classes):
    """Mark every method of these classes (``np.random.Generator``) as carrying no derivative.

    A bound method is a new object at each attribute access, so it is matched
    by the object it is bound to rather than by identity.
    """
    global _NONDIFF_OWNERS
    _NONDIFF_OWNERS = _NONDIFF_OWNERS + tuple(classes)


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
    rule = _REGISTRY.get(id(func))
    if rule is None and _DEFERRED and load_deferred():
        rule = _REGISTRY.get(id(func))
    return rule


def is_nondifferentiable(func):
    if id(func) not in _NONDIFF and _DEFERRED:
        load_deferred()
    return id(func) in _NONDIFF or isinstance(getattr(func, "__self__", None), _NONDIFF_OWNERS)


# Tables of rules for optional libraries, as (modules, register) pairs: a table is registered once the
# user's code has imported one of its modules (a function of theirs cannot be called before), so that
# ``import s2sgrad`` does not pay for importing SciPy (a third of a second) in a program that never uses it.
_DEFERRED = []


def defer(modules, register):
    """Call ``register`` (which registers a table of rules) once one of ``modules`` has been imported."""
    _DEFERRED.append((tuple(modules), register))


def load_deferred(everything=False):
    """Register the deferred tables whose modules are imported (``everything``: importing them, where
    installed); whether any was registered."""
    loaded = False
    for entry in list(_DEFERRED):
        modules, register = entry
        if everything:
            for module in modules:
                try:
                    importlib.import_module(module)
                except ImportError:
                    pass
        if any(module in sys.modules for module in modules):
            _DEFERRED.remove(entry)
            rules, nondiff = dict(_REGISTRY), dict(_NONDIFF)
            register()
            for key in set(rules) | set(nondiff):     # a rule a user registered first still wins
                if key in rules:
                    _REGISTRY[key] = rules[key]
                else:
                    _REGISTRY.pop(key, None)
                if key in nondiff:
                    _NONDIFF[key] = nondiff[key]
                else:
                    _NONDIFF.pop(key, None)
            loaded = True
    return loaded


def all_rules():
    """Every registered rule, for coverage listings and the systematic tests."""
    return list(_REGISTRY.values())


def all_nondifferentiable():
    return list(_NONDIFF.values())


def method_rules():
    """The rules of array methods kept as method calls (``x.astype(float)``), by method name."""
    return dict(_METHODS)


def nondifferentiable_owners():
    """The classes whose methods carry no derivative (random generators)."""
    return _NONDIFF_OWNERS
