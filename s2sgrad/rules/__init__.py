"""The derivative rules, as data. See :mod:`s2sgrad.rules.registry` for their form.

Importing this package registers every built-in rule.
"""

from .registry import (Operand, Rule, RuleError, Template, all_nondifferentiable, all_rules, defrule,
                       elementwise, is_nondifferentiable, lookup, nondifferentiable)
from .custom import adjoint, tangent
from . import ufuncs, reductions, shapes, linalg, python, indexing, helpers, constructors  # noqa: F401
from . import random_numbers, einsum, pymath  # noqa: F401
from . import identities  # noqa: F401
try:
    import scipy.special  # noqa: F401  (SciPy is optional: its rules are registered where it is installed)
except ImportError:  # pragma: no cover
    pass
else:
    from . import scipy_special  # noqa: F401
from . import uniform as _uniform_table  # noqa: F401  (after the tables it annotates)

_BUILTIN = tuple(all_rules())
_BUILTIN_NONDIFFERENTIABLE = tuple(all_nondifferentiable())


def builtin_rules():
    """The rules s2sgrad comes with (not those users register): what the coverage page and tests list."""
    return list(_BUILTIN)


def builtin_nondifferentiable():
    """The functions s2sgrad knows to carry no derivative (not those users declare)."""
    return list(_BUILTIN_NONDIFFERENTIABLE)


__all__ = ["Rule", "Template", "Operand", "RuleError", "defrule", "elementwise", "nondifferentiable",
           "adjoint", "tangent", "lookup", "is_nondifferentiable", "all_rules", "all_nondifferentiable",
           "builtin_rules", "builtin_nondifferentiable"]
