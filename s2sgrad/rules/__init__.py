"""The derivative rules, as data. See :mod:`s2sgrad.rules.registry` for their form.

Importing this package registers every built-in rule; SciPy's table waits until the
user's code imports SciPy (see :func:`registry.defer`).
"""

from .registry import (Operand, Rule, RuleError, Template, all_nondifferentiable, all_rules, defer, defrule,
                       elementwise, is_nondifferentiable, load_deferred, lookup, nondifferentiable)
from .custom import adjoint, tangent
from . import ufuncs, reductions, shapes, linalg, python, indexing, helpers, constructors  # noqa: F401
from . import random_numbers, einsum, pymath, sequences, products, powers, unique  # noqa: F401
from . import identities, complex_numbers  # noqa: F401
from . import uniform as _uniform_table  # noqa: F401  (after the tables it annotates)

_BUILTIN = list(all_rules())
_BUILTIN_NONDIFFERENTIABLE = list(all_nondifferentiable())


def _register_scipy():
    """SciPy's table (SciPy is optional), registered once the user's code imports SciPy."""
    rules, nondifferentiable_ = {id(r) for r in all_rules()}, {id(f) for f in all_nondifferentiable()}
    from . import scipy_special  # noqa: F401
    _BUILTIN.extend(r for r in all_rules() if id(r) not in rules)
    _BUILTIN_NONDIFFERENTIABLE.extend(f for f in all_nondifferentiable() if id(f) not in nondifferentiable_)


defer(("scipy.special", "scipy.linalg"), _register_scipy)


def builtin_rules():
    """The rules s2sgrad comes with (not those users register): what the coverage page and tests list."""
    load_deferred(everything=True)
    return list(_BUILTIN)


def builtin_nondifferentiable():
    """The functions s2sgrad knows to carry no derivative (not those users declare)."""
    load_deferred(everything=True)
    return list(_BUILTIN_NONDIFFERENTIABLE)


__all__ = ["Rule", "Template", "Operand", "RuleError", "defrule", "elementwise", "nondifferentiable",
           "adjoint", "tangent", "lookup", "is_nondifferentiable", "all_rules", "all_nondifferentiable",
           "builtin_rules", "builtin_nondifferentiable"]
