"""Functions that make new arrays from shapes or other arrays' shapes: their results are constants.

Except for a fill value: ``np.full_like(a, c)`` is linear in ``c`` (reverse mode
writes ``np.full_like(t, g / n)`` for the adjoint of a mean, and that code must
be differentiable again), so its adjoint is the sum of ``g``.
"""

import numpy as np

from .registry import defrule, nondifferentiable

nondifferentiable(np.zeros_like, np.ones_like, np.empty_like, np.zeros, np.ones, np.empty,
                  np.eye, np.identity, np.arange, np.tri, np.indices)

# evenly spaced values depend on their ends: start + (stop - start) * w, w = np.linspace(0, 1, num)
_W = "np.linspace(0.0, 1.0, num, endpoint=endpoint)"
defrule(np.linspace, "start, stop, num=50, endpoint=True, dtype=None",
        vjp={"start": f"np.tensordot(1 - {_W}, g, axes=1)", "stop": f"np.tensordot({_W}, g, axes=1)"},
        jvp={"start": f"np.multiply.outer(1 - {_W}, dstart)", "stop": f"np.multiply.outer({_W}, dstop)"})
defrule(np.logspace, "start, stop, num=50, endpoint=True, base=10.0, dtype=None",
        vjp={"start": f"np.tensordot(1 - {_W}, g * ans * np.log(base), axes=1)",
             "stop": f"np.tensordot({_W}, g * ans * np.log(base), axes=1)"},
        jvp={"start": f"ans * np.log(base) * np.multiply.outer(1 - {_W}, dstart)",
             "stop": f"ans * np.log(base) * np.multiply.outer({_W}, dstop)"})

defrule(np.full_like, "a, fill_value, dtype=None", linear=True, vjp={"fill_value": "np.sum(g)"})
defrule(np.full, "shape, fill_value, dtype=None", linear=True, vjp={"fill_value": "np.sum(g)"})
