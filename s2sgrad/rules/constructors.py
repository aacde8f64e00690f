"""Functions that make new arrays from shapes or other arrays' shapes: their results are constants.

Except for a fill value: ``np.full_like(a, c)`` is linear in ``c`` (reverse mode
writes ``np.full_like(t, g / n)`` for the adjoint of a mean, and that code must
be differentiable again), so its adjoint is the sum of ``g``.
"""

import numpy as np

from .registry import defrule, nondifferentiable

nondifferentiable(np.zeros_like, np.ones_like, np.empty_like, np.zeros, np.ones, np.empty,
                  np.eye, np.identity, np.arange, np.linspace, np.logspace, np.tri, np.indices,
                  np.meshgrid)

defrule(np.full_like, "a, fill_value, dtype=None", linear=True, vjp={"fill_value": "np.sum(g)"})
defrule(np.full, "shape, fill_value, dtype=None", linear=True, vjp={"fill_value": "np.sum(g)"})
