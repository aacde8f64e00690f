"""Forward mode and the derivatives built from the two modes: jvp, jacobian, hvp, hessian.

``jvp`` is forward mode itself (:mod:`s2sgrad.forward`). ``jacobian`` assembles
a full Jacobian from one reverse sweep per output element or one forward sweep
per input element. ``hvp`` and ``hessian`` are forward-over-reverse: the
gradient is generated as source, that source is compiled into a live function,
and the forward transformation reads it back and differentiates it like any
user function. So the code reverse mode writes has to stay inside the subset
s2sgrad differentiates, which is also what lets a derivative be differentiated
again (``grad(grad(f))``, or a function calling ``grad(f)``):
:func:`primal_function` is what s2sgrad parses in place of a derivative object.
"""

import gast
import numpy as np

from .api import Derivative, VectorJacobianProduct, _check_scalar, _decorator_or_call, program_of
from .codegen import exec_source, helper_names, module_source
from .errors import GradError, public
from .forward import ForwardMode
from .freshness import note_nested
from .known_branches import fold_known_branches
from .optimize import optimize
from .reverse import ReverseMode
from .shapes import private_copies, probe, static_facts

# tangents in forward-over-reverse code: ``tW`` (``dW`` already names W's adjoint there)
HVP_PREFIX = "t"


# ---------------------------------------------------------------- forward mode
class JacobianVectorProduct(Derivative):
    """``jvp_f(*args, tangents)`` -> ``(value, tangent of the output)``."""

    kind = "jvp"

    def _transform(self, facts, args):
        program = self.program.fork()
        fold_known_branches(program.node, facts.shapes)
        forward = ForwardMode(program, self.wrt, facts)
        return forward.build(), program, facts, set(forward.tangent_names.values())

    def __call__(self, *args, **kwargs):
        if not args:
            raise GradError(f"jvp of {self.func.__name__} needs the arguments and then the tangent"
                            f"{'' if self.single else 's (a tuple, one per wrt argument)'}",
                            self.program.parsed.origin)
        *primal, tangents = args
        fn, primal = self._compiled(tuple(primal), kwargs)
        return fn(*primal, **self._seeds(fn, tangents))

    def _seeds(self, fn, tangents):
        names = _keyword_only(fn)
        tangents = (tangents,) if self.single else tuple(tangents)
        if len(tangents) != len(names):
            raise GradError(f"{self.kind} of {self.func.__name__} takes {len(names)} tangents (one per wrt "
                            f"argument: {', '.join(self.wrt)}), got {len(tangents)}", self.program.parsed.origin)
        return dict(zip(names, tangents))


def _keyword_only(fn):
    code = fn.__code__
    return code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]


# ------------------------------------------------------------------- jacobians
class ReverseJacobian(VectorJacobianProduct):
    """The Jacobian, one row per output element, each from one reverse sweep (a vjp)."""

    kind = "jacobian"

    @property
    def mode(self):
        return "vjp"

    def __call__(self, *args, **kwargs):
        fn, args = self._compiled(args, kwargs)
        out = self.func(*private_copies(args))      # (a function that writes into its argument must not here)
        rows = [self._as_requested(fn(*args, **{_keyword_only(fn)[0]: basis(out, i)})) for i in range(np.size(out))]
        blocks = [rows] if self.single else list(zip(*rows))
        jacobians = tuple(_assemble(block, np.shape(out), np.shape(args[self.program.params.index(p)]), 0)
                          for block, p in zip(blocks, self.wrt))
        return jacobians[0] if self.single else jacobians


class ForwardJacobian(JacobianVectorProduct):
    """The Jacobian, one column per input element, each from one forward sweep (a jvp)."""

    kind = "forward jacobian"

    def __call__(self, *args, **kwargs):
        fn, args = self._compiled(args, kwargs)
        inputs = [args[self.program.params.index(p)] for p in self.wrt]
        jacobians = []
        for k, x in enumerate(inputs):
            columns = []
            for i in range(np.size(x)):
                tangents = [basis(x, i) if j == k else np.zeros_like(y) for j, y in enumerate(inputs)]
                out, column = fn(*args, **self._seeds(fn, tangents[0] if self.single else tangents))
                columns.append(column)
            jacobians.append(_assemble(columns, np.shape(out) if columns else None, np.shape(x), -1))
        return jacobians[0] if self.single else tuple(jacobians)


def basis(like, i):
    """The i-th unit array shaped like ``like`` (made from it, so it is of its array type)."""
    flat = np.zeros_like(like, shape=(np.size(like),))
    flat[i] = 1
    return flat.reshape(np.shape(like))


def _assemble(pieces, out_shape, in_shape, axis):
    """Stack per-element derivatives into an ``out_shape + in_shape`` array."""
    if not pieces:
        raise GradError("cannot build a Jacobian with respect to an empty array")
    return np.reshape(np.stack([np.asarray(p) for p in pieces], axis=axis), tuple(out_shape) + tuple(in_shape))


# -------------------------------------------------------------------- hessians
class HessianVectorProduct(Derivative):
    """``hvp_f(*args, v)`` -> the Hessian of scalar ``f`` times ``v``, by forward-over-reverse."""

    kind = "hvp"

    def _transform(self, facts, args):
        out = self.program.node.body[-1].value
        shape = facts.shape(out.id) if isinstance(out, gast.Name) else None
        if shape is not None:
            _check_scalar(self, np.empty(shape))      # a Hessian is of a scalar
        gradient = gradient_function(self.program, self.wrt, facts, self.func)
        program = program_of(gradient)
        inner = probe(program, args) if args is not None else static_facts(program)
        program = program.fork()
        fold_known_branches(program.node, inner.shapes)
        forward = ForwardMode(program, self.wrt, inner, prefix=HVP_PREFIX)
        fn = forward.build()
        fn.name = "hvp_" + self.program.parsed.name.replace("<lambda>", "lambda")
        return fn, program, inner, set(forward.tangent_names.values())

    def __call__(self, *args, **kwargs):
        if not args:
            raise GradError(f"hvp of {self.func.__name__} needs the arguments and then the vector",
                            self.program.parsed.origin)
        *primal, v = args
        fn, primal = self._compiled(tuple(primal), kwargs)
        return self._product(fn, primal, (v,) if self.single else tuple(v))

    def _product(self, fn, args, vectors):
        names = _keyword_only(fn)
        if len(vectors) != len(names):
            raise GradError(f"hvp of {self.func.__name__} takes {len(names)} vectors (one per wrt argument: "
                            f"{', '.join(self.wrt)}), got {len(vectors)}", self.program.parsed.origin)
        grads, product = fn(*args, **dict(zip(names, vectors)))
        if not self.single and isinstance(product, list):    # a zero tangent of the gradients' tuple is a list
            product = tuple(product)
        return self._as_requested(product)


class Hessian(HessianVectorProduct):
    """The full Hessian, one Hessian-vector product per input element.

    For one ``wrt`` argument of shape ``s`` it has shape ``s + s``; for several,
    it is a tuple of rows of blocks, ``H[i][j]`` of shape ``s_i + s_j``.
    """

    kind = "hessian"

    def __call__(self, *args, **kwargs):
        fn, args = self._compiled(args, kwargs)
        inputs = [args[self.program.params.index(p)] for p in self.wrt]
        columns = []      # columns[j][i]: the block H[i][j] as a list of columns
        for j, x in enumerate(inputs):
            per_row = [[] for _ in inputs]
            for e in range(np.size(x)):
                vectors = tuple(basis(x, e) if k == j else np.zeros_like(y) for k, y in enumerate(inputs))
                product = self._product(fn, args, vectors)
                product = (product,) if self.single else product
                for i, column in enumerate(product):
                    per_row[i].append(column)
            columns.append(per_row)
        blocks = tuple(tuple(_assemble(columns[j][i], np.shape(inputs[i]), np.shape(inputs[j]), -1)
                             for j in range(len(inputs))) for i in range(len(inputs)))
        return blocks[0][0] if self.single else blocks


# ------------------------------------------------- generated code, differentiable
def gradient_function(program, wrt, facts, func, with_value=False):
    """The reverse-mode gradient of ``program`` as a live function whose source s2sgrad can read.

    It returns the gradients (``(value, gradients)`` with ``with_value``), as
    calling ``grad`` (``value_and_grad``) would.
    """
    program = program.fork()
    fold_known_branches(program.node, facts.shapes)
    reverse = ReverseMode(program, wrt, facts, "grad" if with_value else "gradient")
    fn = reverse.build()
    optimize(fn, program.namer, set(reverse.adjoint_names.values()), facts.shapes, program.externals.np)
    return live_function(fn, program.externals, f"grad {func.__name__}", getattr(func, "__module__", None))


def live_function(fn, externals, tag, module_name):
    """Compile a generated function so that it can be parsed again like user code.

    Its source is registered in :mod:`linecache` (so :func:`inspect.getsource`
    finds it), and the runtime helpers it calls are bound to themselves, not
    to the copies of their source the module text carries, so that their
    derivative rules apply. Functions generated alongside (the vjps of
    recursive helpers) bring the outside names they use.
    """
    tables = [externals] + [table for _, table in getattr(fn, "companions", ())]
    namespace = {}
    for table in reversed(tables):
        namespace.update(table.namespace())
    namespace["__name__"] = module_name or "__main__"
    function = exec_source(module_source(fn, externals), namespace, tag, fn.name)
    for table in tables:
        namespace.update(helper_names(table))
    return function


_PRIMALS = {"grad": False, "value_and_grad": True}   # kind -> whether the call also returns the value


def primal_function(derivative):
    """A plain function computing what calling ``derivative`` computes, for s2sgrad to differentiate.

    Only gradients qualify: the other derivatives take their seeds as
    keyword-only arguments, which a differentiated function cannot have.
    """
    if derivative.kind not in _PRIMALS:
        raise GradError(f"cannot differentiate the {derivative.kind} of {derivative.func.__name__} again",
                        derivative.program.parsed.origin,
                        "differentiate a function that returns the quantity you need, or use hessian/hvp")
    if not derivative.unchanged():
        derivative._refresh()
    note_nested(derivative.program.bindings)     # a derivative differentiated again: the outer depends on it
    cached = getattr(derivative, "_primal_function", None)
    if cached is None:
        cached = derivative._primal_function = gradient_function(
            derivative.program, derivative.wrt, static_facts(derivative.program), derivative.func,
            with_value=_PRIMALS[derivative.kind])
    return cached


# ------------------------------------------------------------------------- API
@public
def jvp(func=None, wrt=0):
    """The Jacobian-vector product by forward mode: a function ``(*args, tangents)`` -> ``(value, tangent)``.

    ``tangents`` is one array shaped like the ``wrt`` argument, or a tuple of
    them when ``wrt`` is a tuple.
    """
    return _decorator_or_call(JacobianVectorProduct, func, wrt)


@public
def jacobian(func=None, wrt=0, mode="reverse"):
    """The full Jacobian of an array-valued ``func``, shaped output shape + input shape.

    ``mode="reverse"`` builds it from one vjp per output element, ``"forward"``
    from one jvp per input element: pick the mode whose count is smaller.
    """
    classes = {"reverse": ReverseJacobian, "forward": ForwardJacobian}
    if mode not in classes:
        raise GradError(f"jacobian mode must be 'reverse' or 'forward', not {mode!r}")
    return _decorator_or_call(classes[mode], func, wrt)


@public
def hvp(func=None, wrt=0):
    """The Hessian-vector product of scalar ``func``: a function ``(*args, v)`` -> ``H v``.

    Computed by forward mode over the generated reverse-mode gradient; ``v``
    (and the result) is a tuple when ``wrt`` is.
    """
    return _decorator_or_call(HessianVectorProduct, func, wrt)


@public
def hessian(func=None, wrt=0):
    """The Hessian of scalar ``func`` (see :class:`Hessian` for its shape), from Hessian-vector products."""
    return _decorator_or_call(Hessian, func, wrt)


__all__ = ["jvp", "jacobian", "hvp", "hessian", "basis", "primal_function"]
