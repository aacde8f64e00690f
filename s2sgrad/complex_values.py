"""Which values may be complex, as far as the derivative needs to know (see docs/complex.md).

s2sgrad follows autograd's and JAX's convention: the adjoint of a complex
value ``z = x + iy`` under a real loss L is ``dL/dx - i dL/dy``. Two things
depend on which values are complex, and both are decided when the derivative
is generated, from what the probe (:func:`s2sgrad.shapes.probe`) saw:

* a rule whose function is not holomorphic takes its complex template
  (:func:`s2sgrad.rules.registry.for_complex`) where an operand may be complex;
* a real value takes the real part of a contribution to its adjoint that may
  be complex (``x * c`` with a complex constant ``c``), as autograd's
  ``unbroadcast`` does, so that a real parameter always gets a real gradient.

Code for real arguments only is generated exactly as before: nothing here
applies where no complex value was seen and none can be made.
"""

import numbers
import types

import gast
import numpy as np

from .astutil import names_in, walk, walk_statements
from .errors import GradError, origin_of

# names whose mention may make a complex value where the probe did not go: complex(x), x.astype(np.complex128)
_COMPLEX_NAMES = frozenset({"complex", "complex64", "complex128", "complex256", "complexfloating", "csingle",
                            "cdouble", "clongdouble", "fft", "emath"})


def holds_complex(value):
    """Whether a value the probe saw is complex: a complex array or number, or a container holding one."""
    if isinstance(value, types.ModuleType):
        return False
    if isinstance(value, (list, tuple)):
        return any(holds_complex(v) for v in value)
    if isinstance(value, dict):
        return any(holds_complex(v) for v in value.values())
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        return True
    dtype = getattr(value, "dtype", None)
    return getattr(dtype, "kind", None) == "c"


def may_make_complex(func):
    """Whether the (normalized) function may make a complex value somewhere: a complex constant, a complex
    outside value, or a name of a complex type or of a module whose results are complex."""
    for node in walk(func):
        if isinstance(node, gast.Constant) and isinstance(node.value, complex):
            return True
        if getattr(node, "external", False) and holds_complex(getattr(node, "value_of", None)):
            return True
        if isinstance(node, gast.Name) and node.id in _COMPLEX_NAMES \
                or isinstance(node, gast.Attribute) and node.attr in _COMPLEX_NAMES:
            return True
    return False


# calls whose result is real whatever their arguments: a value they make is real on every path
_REAL_RESULTS = {id(f) for f in (np.abs, np.absolute, np.real, np.imag, np.angle, np.linalg.norm, abs, float, int,
                                 len, bool, np.isreal, np.iscomplex, np.isfinite, np.isnan, np.shape, np.size,
                                 np.ndim)}


def value_may_be_complex(rhs, complex_names):
    """Whether a statement's value may be complex where the names in ``complex_names`` may be: it makes a
    complex value (see :func:`may_make_complex`) or reads a name that may hold one, unless what it computes
    last is real whatever it reads (``np.abs(z)``, ``z.real``, a comparison)."""
    if isinstance(rhs, gast.Compare) or isinstance(rhs, gast.Attribute) and rhs.attr in ("real", "imag", "shape"):
        return False
    if isinstance(rhs, gast.Call) and id(getattr(rhs, "callee", None)) in _REAL_RESULTS:
        return False
    return may_make_complex(rhs) or any(isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
                                        and n.id in complex_names for n in walk(rhs))


def atom_may_be_complex(node, facts):
    """Whether an argument atom (a name or a constant) may hold a complex value, as far as ``facts`` know.

    Where nothing is known of dtypes (code for arguments of any shape) the answer is no: that code is
    written for real arrays (docs/complex.md).
    """
    if isinstance(node, gast.Constant):
        return isinstance(node.value, complex)
    if getattr(node, "external", False):
        return holds_complex(getattr(node, "value_of", None))
    if isinstance(node, gast.Name):
        return node.id in facts.complex
    return any(atom_may_be_complex(n, facts) for n in walk(node)
               if n is not node and isinstance(n, (gast.Name, gast.Constant)))


def any_operand_complex(rule, mapping, facts):
    """Whether an operand of this call (an argument bound to one of the rule's parameters) may be complex."""
    if not facts.complex:
        return False
    for p in rule.params:
        value = mapping.get(p)
        if isinstance(value, gast.AST) and atom_may_be_complex(value, facts):
            return True
    return False


def expression_may_be_complex(expr, facts, adjoint_owners):
    """Whether a contribution to an adjoint may be complex: it reads a name that may hold a complex value,
    the adjoint of one, a temporary of a rule's template (whose dtype nobody recorded), or a complex
    constant. Only the names known real (and their adjoints, real by this very rule) are not."""
    called = {id(n) for call in walk(expr) if isinstance(call, gast.Call) for n in walk(call.func)}
    for node in walk(expr):
        if id(node) in called:         # np.sum, add_each: what is called, not a value
            continue
        if isinstance(node, gast.Constant) and isinstance(node.value, complex):
            return True
        if not isinstance(node, gast.Name) or not isinstance(node.ctx, gast.Load):
            continue
        if getattr(node, "external", False):
            if holds_complex(getattr(node, "value_of", None)):
                return True
            continue
        owner = adjoint_owners.get(node.id, node.id)
        owner = owner[0] if isinstance(owner, tuple) else owner
        if owner not in facts.real:
            return True
    return False


# functions that carry no derivative of a real array but do of a complex one: np.sign(z) is z / |z| (NumPy 2)
_CONSTANT_ONLY_FOR_REAL = {id(np.sign): "np.sign"}


def refuse_constant_only_for_real(body, facts, wrt):
    """Refuse ``np.sign(z)`` of a complex ``z`` that depends on ``wrt`` anywhere in ``body``: s2sgrad takes it
    for piecewise constant, as it is for real arrays, which would be a silently wrong derivative here."""
    if not facts.complex:
        return
    varied, grown = set(wrt), True
    while grown:
        grown = False
        for stmt in walk_statements(body):
            source = stmt.iter if isinstance(stmt, gast.For) else getattr(stmt, "value", None)
            if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.For)) and names_in(source, gast.Load) & varied:
                targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
                new = set().union(*(names_in(t, gast.Store) for t in targets)) - varied
                varied |= new
                grown = grown or bool(new)
    for stmt in walk_statements(body):
        rhs = stmt.value if isinstance(stmt, gast.Assign) else None
        fname = _CONSTANT_ONLY_FOR_REAL.get(id(getattr(rhs, "callee", None))) if isinstance(rhs, gast.Call) else None
        if fname is None:
            continue
        for arg in rhs.args:
            if isinstance(arg, gast.Name) and arg.id in varied and atom_may_be_complex(arg, facts):
                raise GradError(f"{fname} of a complex array is not differentiated (it is z / |z|, whose "
                                f"derivative s2sgrad does not take; for real arrays it is piecewise constant)",
                                origin_of(stmt), f"write {fname}(z) of a complex z as z / np.abs(z)")


def refuse_recursion_with_complex(facts, func, stmt):
    """Refuse a recursive function called where there are complex values: its derivative is generated once
    for any arguments, without the probe that tells which values are complex, so for real ones only."""
    if facts.complex:
        raise GradError(f"{func.__name__} calls itself; s2sgrad differentiates a recursive function for real "
                        f"arrays only, and there are complex values here", origin_of(stmt),
                        "write the recursion as a loop")


def refuse_complex_output(facts, out, origin, namer):
    """Refuse the gradient of a complex result, as autograd and JAX do: which real loss it stands for
    (its real part, its modulus...) is the user's to say."""
    if isinstance(out, gast.Name) and out.id in facts.complex:
        what = namer.spoken(out.id, "the result")
        raise GradError(f"{what if what == 'the result' else 'the result ' + what} is complex: a gradient is "
                        "defined for a real result only", origin,
                        "return the real loss you mean, e.g. np.real(...) or np.abs(...) ** 2 of it; "
                        "s2sgrad.vjp takes a complex result with its cotangent")
