"""The public API: grad, value_and_grad, vjp, and the machinery they share.

``grad(f)`` parses and normalizes ``f`` at once (so mistakes surface where
``grad`` is called), and generates a shape-generic derivative, whose source is
``.source``. On each call with arguments of new shapes it generates, compiles
and caches a derivative specialized to those shapes: the one that reads like a
hand derivation and runs like one. Later calls with the same shapes cost a
dictionary lookup, after a check that nothing the derivative took from outside
the function (its globals, closure cells, helpers, its own code) has been
rebound since (see :mod:`s2sgrad.freshness`); if something has, it is compiled
afresh. At most :data:`SPECIALIZATIONS_KEPT` specializations are kept per
derivative, the least recently used dropped first.
"""

import collections
import functools
import gc
import inspect
import math
import weakref

import gast
import numpy as np

from . import dispatch, runtime
from .aliasing import SharedMemoryError, check_aliasing
from .astutil import copy_origin
from .complex_values import may_make_complex
from . import astutil
from .codegen import exec_source, module_source, standalone_module
from .convention import checked_gradient, name_for_kind
from .depth import with_room_to_recurse
from .errors import GradError, at_users_line, public
from .freshness import Bindings, note_nested, recording
from .known_branches import fold_known_branches
from .naming import Namer
from .normalize import normalize
from .optimize import optimize
from .outputs import refuse_several_outputs
from .parsing import parse_function
from .reverse import ReverseMode
from .shapes import container_facts, private_copies, probe, shape_of, static_facts
from .simplify import ask_numpy_for_shapes

_PROGRAMS = weakref.WeakKeyDictionary()   # function -> normalized Program (which holds the function weakly)
_DERIVATIVES = weakref.WeakKeyDictionary()  # function -> {(kind, wrt): weak reference to its Derivative}
_RECENT = collections.OrderedDict()         # id -> Derivative: the last few asked for, kept alive (see _cached)
_RECENT_KEPT = 16
SPECIALIZATIONS_KEPT = 32   # per derivative: shapes beyond these evict the least recently called
_generation = 0             # bumped by clear_cache(): a derivative made before compiles afresh


def _collector_paused(method):
    """Run ``method`` with Python's cyclic garbage collector paused.

    Compiling creates and drops hundreds of thousands of tree nodes, so the
    collector would keep scanning the young ones, for a third of the compile
    time of a long function, to find no cycles: trees hold none. It resumes,
    as it was, when the method returns. (And a long expression gets the frames its
    tree needs: :mod:`s2sgrad.depth`.)
    """
    method = with_room_to_recurse(method)

    @functools.wraps(method)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@_collector_paused
def program_of(func):
    """The normalized program of ``func``, parsed once per function object and again when what it read
    from outside has been rebound (``program.bindings``, see :mod:`s2sgrad.freshness`)."""
    try:
        program = _PROGRAMS[func]
        if program.bindings.unchanged():
            note_nested(program.bindings)
            return program
    except (KeyError, TypeError):
        pass
    bindings = Bindings()
    with recording(bindings):
        parsed = parse_function(func)
        program = normalize(parsed, Namer())
    program.bindings = bindings
    note_nested(bindings)      # (a program normalized inside another's: the outer one depends on it)
    try:
        _PROGRAMS[func] = program
    except TypeError:
        pass
    return program


_WRT_HINT = 'wrt names parameters of the function, by name or position, e.g. wrt=("W", "V") or wrt=(2, 3)'


def resolve_wrt(program, wrt):
    """``wrt`` (an int, a name, or a tuple of them) as a tuple of parameter names."""
    params = program.params
    fname = program.parsed.name
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise GradError(f"wrt is empty: name at least one parameter of {fname}", program.parsed.origin, _WRT_HINT)
    names = []
    for item in items:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                raise GradError(f"wrt={item} is out of range: {fname} has {len(params)} parameters "
                                f"({', '.join(params)})", program.parsed.origin, _WRT_HINT)
            names.append(params[item])
        elif isinstance(item, str):
            if item not in params:
                raise GradError(f"wrt={item!r} names no parameter of {fname}; its parameters are "
                                f"{', '.join(params)}", program.parsed.origin, _WRT_HINT)
            names.append(item)
        else:
            raise GradError(f"wrt must be a parameter index or name, or a tuple of them, not {item!r}",
                            program.parsed.origin, _WRT_HINT)
    return tuple(names), single


class Derivative:
    """A derivative of a user function: callable, with its generated source at hand."""

    kind = None   # "grad" | "value_and_grad" | "vjp"

    def __init_subclass__(cls, **kwargs):
        """Each kind's call is a public entry point: its GradErrors show the user's frames (see errors.public)."""
        super().__init_subclass__(**kwargs)
        if "__call__" in cls.__dict__:
            cls.__call__ = public(cls.__dict__["__call__"])

    @_collector_paused
    def __init__(self, func, wrt):
        self._wrt_asked = wrt
        self._generation = _generation
        self.program = program_of(func)
        self.wrt, self.single = resolve_wrt(self.program, wrt)
        self.func = func
        self.__wrapped__ = func
        functools.update_wrapper(self, func, updated=())
        self._signature = inspect.signature(func)
        self._nparams = len(self.program.params)
        self._specialized = collections.OrderedDict()    # shape key -> _Generated, least recently used first
        self._generic = None
        if self.lazy_generic:
            self._check()      # mistakes surface here; code is generated at the first call
        else:
            try:
                self._generic = self._generate(static_facts(self.program))
            except SharedMemoryError:
                pass           # maybe numbers (y += 1 replaces them): decided at each call, on the probe's facts
        self._latest = None

    lazy_generic = False
    scalar_output = False      # True where the output must be one number (grad, value_and_grad)

    def unchanged(self):
        """Whether what this derivative was compiled from is still what ``func`` reads (the per-call check)."""
        return self._generation == _generation and self.program.bindings.unchanged()

    def _refresh(self):
        """Compile afresh: a global, cell, helper or the code of ``func`` was rebound, or the cache cleared."""
        self.__dict__.pop("_primal_function", None)
        self.__init__(self.func, self._wrt_asked)

    def _check(self):
        """Raise GradError now for what would stop generation later (a call with no rule, say)."""
        facts = container_facts(self.program)
        if self.scalar_output:
            refuse_several_outputs(self.program, facts.kinds, self.kind)
        ReverseMode(self.program.fork(tree=False), self.wrt, facts, self.mode).check()

    @property
    @_collector_paused
    def generic(self):
        """The shape-generic derivative (the code for arguments of any shape), generated on demand."""
        if self._generic is None:
            if may_make_complex(self.program.node):
                raise GradError(f"{self.func.__name__} makes complex values: the code for arguments of any shape is "
                                "written for real ones", self.program.parsed.origin,
                                "give example arguments (call the derivative first, or s2sgrad show/emit --example "
                                "or --shapes)")
            self._generic = self._generate(static_facts(self.program), for_any_arguments=True)
        return self._generic

    # ------------------------------------------------------------ generation
    @property
    def mode(self):
        return "vjp" if self.kind == "vjp" else "grad"

    def _transform(self, facts, args):
        """This derivative's function, built for what ``facts`` knows of shapes (``args``: the example call).

        Returns ``(fn, program, facts, generated names)``. Reverse mode here;
        :mod:`s2sgrad.higher` overrides it for the forward-mode derivatives.
        """
        program = self.program.fork()
        branches = list(program.node.body)
        fold_known_branches(program.node, facts.shapes)
        if program.node.body != branches:         # (a list of the same statements, or a branch folded away)
            program.analyses.clear()
        reverse = ReverseMode(program, self.wrt, facts, self._mode_for(facts))
        return reverse.build(), program, facts, set(reverse.adjoint_names.values())

    def _mode_for(self, facts):
        """The reverse transformer's mode for a specialization (a gradient may drop the value)."""
        return self.mode

    def _generate(self, facts, args=None, for_any_arguments=False):
        """Generate, optimize and compile a derivative for what ``facts`` knows of shapes; what generation
        reads from outside (a recursive helper's globals) is recorded with the program's bindings."""
        with recording(self.program.bindings):
            return self._generate_recorded(facts, args, for_any_arguments)

    def _generate_recorded(self, facts, args, for_any_arguments=False):
        value_free = self._mode_for(facts) == "gradient"
        check_aliasing(self.program, facts.kinds, facts.numbers)
        fn, program, facts, generated = self._transform(facts, args)
        optimize(fn, program.namer, generated, facts.shapes, program.externals.np, release=value_free)
        if not facts.numpy_only:
            dispatch.fill_by_adding(fn, program.externals.np)
        seeds = {a.id for a in fn.args.kwonlyargs}       # a vjp's cotangent may be a Python float too
        ask_numpy_for_shapes(fn, facts.python_numbers | seeds, facts.shape, program.externals.np)
        if for_any_arguments:     # written for real arrays (see docs/complex.md): a complex one is refused
            guard = gast.Call(func=program.externals.reference(runtime.real_arrays_only, "real_arrays_only"),
                              args=[astutil.name(a.id) for a in fn.args.args], keywords=[])
            fn.body.insert(0, copy_origin(gast.Expr(value=guard), fn))
        grad_name = name_for_kind(fn, self.kind, value_free)    # grad_f returns what grad(f) does
        source = module_source(fn, program.externals)
        if grad_name:
            source += "\n\n" + checked_gradient(grad_name, fn, source, self.func.__name__, program.externals.np)
        namespace = program.externals.namespace()
        for _, externals in getattr(fn, "companions", ()):
            namespace.update(externals.namespace())
        function = exec_source(source, namespace, f"{self.kind} {self.func.__name__}", fn.name)
        return _Generated(fn.name, source, function, program.externals, value_free)

    @_collector_paused
    def _specialize(self, args):
        key = _shape_key(args)
        findings = dispatch.check(self.program, args)    # CuPy, Dask...: constructs that cannot follow them
        try:
            with dispatch.explained(findings):
                facts = probe(self.program, args)
        except GradError:
            raise
        except Exception as exc:   # the user's code fails on these arguments: say where, in their file
            raise at_users_line(self.func, private_copies(args), exc) from None
        self._check_wrt_dtypes(args)
        if self.scalar_output:
            refuse_several_outputs(self.program, facts.kinds, self.kind)
        # nothing known of shapes: the shape-generic code serves, unless a Python number (no .dtype) comes in,
        # or a container it cannot tell from an array (a list of arrays of different shapes), or a complex value
        generic_serves = not (facts.shapes or facts.python_numbers or facts.complex) \
            and facts.kinds.items() <= container_facts(self.program).kinds.items()
        generated = self.generic if generic_serves else self._generate(facts, args)
        self._specialized[key] = generated
        if len(self._specialized) > SPECIALIZATIONS_KEPT:
            self._specialized.popitem(last=False)
        return generated

    def _check_wrt_dtypes(self, args):
        for name in self.wrt:
            value = args[self.program.params.index(name)]
            dtype = getattr(value, "dtype", None)
            if isinstance(value, (bool, int, np.integer)) or (dtype is not None and dtype.kind in "biu"):
                raise GradError(f"the argument {name} of {self.func.__name__} holds integers, so it has no "
                                f"gradient", self.program.parsed.origin,
                                f"pass floats, e.g. {name}.astype(float) or {name} * 1.0")

    def _compiled(self, args, kwargs):
        if self._generation != _generation or not self.program.bindings.unchanged():
            self._refresh()
        if kwargs or len(args) != self._nparams:
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise GradError(f"{self.func.__name__}: {exc}", self.program.parsed.origin,
                                f"call it as {self.func.__name__}{self._signature}") from None
            bound.apply_defaults()
            args = bound.args
        key = _shape_key(args)
        generated = self._specialized.get(key)
        if generated is None:
            generated = self._specialize(args)
        elif generated is not self._latest:
            self._specialized.move_to_end(key)
        self._latest = generated
        return generated.function, args

    # ------------------------------------------------------------ inspection
    @property
    @public
    def source(self):
        """The generated source: of the latest call's specialization, else the shape-generic one."""
        if not self.unchanged():
            self._refresh()
        return (self._latest or self.generic).source

    @property
    @public
    def generic_source(self):
        return self.generic.source

    @public
    def source_for(self, *args, **kwargs):
        """The generated source specialized to these example arguments."""
        self._compiled(args, kwargs)
        return self._latest.source

    @public
    def module_source(self, description=None):
        """A standalone module holding the latest generated derivative, as text."""
        generated = self._latest or self.generic
        text, problems = standalone_module(generated.source, generated.externals,
                                           description or f"{self.kind} of {self.func.__name__} with "
                                                          f"respect to {', '.join(self.wrt)}.")
        if problems:
            raise GradError(f"cannot write out a module for {self.func.__name__}: it refers to "
                            f"{', '.join(problems)}, which no module exports", self.program.parsed.origin,
                            "define those at module level in an importable file")
        return text

    def __repr__(self):
        return f"<s2sgrad {self.kind} of {self.func.__qualname__} wrt {', '.join(self.wrt)}>"

    def _as_requested(self, result):
        """A tuple ``wrt`` gets a tuple back, even of one: ``(dW,) = grad(f, wrt=("W",))(...)``.

        Generated code returns a lone adjoint bare; unpacking that would split
        the array along its first axis and look right.
        """
        return (result,) if not self.single and len(self.wrt) == 1 else result

    @property
    def __s2sgrad_primal__(self):
        """What s2sgrad parses in place of this object: the generated code, so derivatives nest."""
        from .higher import primal_function   # late import: higher builds on this module
        return primal_function(self)


class _Generated:
    __slots__ = ("name", "source", "function", "externals", "value_free")

    def __init__(self, name, source, function, externals, value_free=False):
        self.name, self.source, self.function, self.externals = name, source, function, externals
        self.value_free = value_free


class Gradient(Derivative):
    kind = "grad"
    lazy_generic = True
    scalar_output = True

    def _mode_for(self, facts):
        """Once the output is known to be a scalar, the gradient need not compute the value.

        Dropping it lets the cleanup passes drop whatever only the value needed
        (the lecture's N x N broadcast, for one). Where the output's shape is
        unknown, the value is computed and checked at each call.
        """
        out = self.program.node.body[-1]
        shape = facts.shape(out.value.id) if isinstance(out, gast.Return) and isinstance(out.value, gast.Name) \
            else None
        if shape is None:
            return "grad"
        if math.prod(shape) != 1:
            raise GradError(f"grad needs a scalar output, but {self.func.__name__} returns an array of "
                            f"shape {shape}", self.program.parsed.origin,
                            "reduce it (e.g. np.sum or np.mean), or use s2sgrad.vjp for array outputs")
        return "gradient"

    def __call__(self, *args, **kwargs):
        fn, args = self._compiled(args, kwargs)
        if self._latest.value_free:
            return self._as_requested(fn(*args))
        value, grads = fn(*args)
        _check_scalar(self, value)
        return self._as_requested(grads)


class ValueAndGradient(Derivative):
    kind = "value_and_grad"
    lazy_generic = True
    scalar_output = True

    def _mode_for(self, facts):
        """Always with the value; refused where the output is known not to be one number, as for grad (the code
        written out must not return the gradient of its sum as if it were the output's)."""
        Gradient._mode_for(self, facts)
        return "grad"

    def __call__(self, *args, **kwargs):
        fn, args = self._compiled(args, kwargs)
        value, grads = fn(*args)
        _check_scalar(self, value)
        return value, self._as_requested(grads)


class VectorJacobianProduct(Derivative):
    kind = "vjp"
    lazy_generic = True

    def __call__(self, *args, **kwargs):
        if not args:
            raise GradError(f"vjp of {self.func.__name__} needs the arguments and then the output "
                            f"cotangent", self.program.parsed.origin,
                            f"call it as vjp(f)(*args, dout), dout shaped like {self.func.__name__}'s output")
        *primal, dout = args
        fn, primal = self._compiled(tuple(primal), kwargs)
        return self._as_requested(fn(*primal, **{_seed_name(fn): dout}))


def _seed_name(fn):
    """The name of a generated vjp's keyword-only cotangent parameter (the first after the positional ones)."""
    code = fn.__code__
    return code.co_varnames[code.co_argcount]


def _check_scalar(derivative, value):
    if np.ndim(value) != 0 and np.size(value) != 1:
        raise GradError(f"grad needs a scalar output, but {derivative.func.__name__} returned an array of "
                        f"shape {np.shape(value)}", derivative.program.parsed.origin,
                        "reduce it (e.g. np.sum or np.mean), or use s2sgrad.vjp for array outputs")


def _shape_key(args):
    """The specialization key of a call: shapes and dtypes (this runs on every call, so it is kept lean)."""
    return tuple([(a.shape, a.dtype) if isinstance(a, np.ndarray) else _NUMBER_KEYS.get(type(a)) or _other_key(a)
                  for a in args])


def _other_key(a):
    shape = shape_of(a)
    if shape is None:
        return type(a)
    dtype = getattr(a, "dtype", None)
    return (shape, dtype if dtype is not None else type(a), type(a))


_NUMBER_KEYS = {cls: _other_key(cls()) for cls in (float, int, complex)}   # the common cases, precomputed


def _cached(cls, func, wrt):
    """The derivative of ``func``, made once while it is in use.

    A derivative holds its function, so the cache refers to it weakly (else no
    function differentiated could ever be freed, nor what its closure holds);
    the few asked for last are kept alive, so that ``grad(f)(x)`` in a loop,
    which drops the derivative each time, compiles once.
    """
    key = (cls.kind, wrt if not isinstance(wrt, list) else tuple(wrt))
    try:
        table = _DERIVATIVES.setdefault(func, {})
    except TypeError:
        table = {}
    ref = table.get(key)
    derivative = ref() if ref is not None else None
    if derivative is None:
        derivative = cls(func, wrt)
        table[key] = weakref.ref(derivative)
    _RECENT[id(derivative)] = derivative
    _RECENT.move_to_end(id(derivative))
    if len(_RECENT) > _RECENT_KEPT:
        _RECENT.popitem(last=False)
    return derivative


def _decorator_or_call(cls, func, wrt):
    if func is None or isinstance(func, (int, str, tuple)) and not callable(func):
        wrt = wrt if func is None else func

        @public
        def decorate(f):
            return _cached(cls, f, wrt)
        return decorate
    return _cached(cls, func, wrt)


def clear_cache():
    """Forget every compiled derivative: each is compiled afresh at its next call.

    Not needed for correctness (a rebound global, helper or ``__code__`` is
    noticed at the next call); it frees the memory held by derivatives and
    their specializations.
    """
    global _generation
    _generation += 1
    _PROGRAMS.clear()
    _DERIVATIVES.clear()
    _RECENT.clear()


@public
def grad(func=None, wrt=0):
    """The gradient of ``func``'s scalar output with respect to ``wrt``.

    ``wrt`` is a parameter index or name, or a tuple of them (then the gradient
    is a tuple in that order). Use as ``grad(f)``, ``grad(f, wrt=("W", "V"))``,
    or as a decorator: ``@grad`` or ``@grad(wrt=("W", "V"))``.
    """
    return _decorator_or_call(Gradient, func, wrt)


@public
def value_and_grad(func=None, wrt=0):
    """Like :func:`grad`, returning ``(value, gradient)`` from one pass."""
    return _decorator_or_call(ValueAndGradient, func, wrt)


@public
def vjp(func=None, wrt=0):
    """The vector-Jacobian product: a function ``(*args, dout)`` returning the cotangent(s) of ``wrt``."""
    return _decorator_or_call(VectorJacobianProduct, func, wrt)
