"""Random numbers and other values that carry no derivative: they run in the primal only.

``noise = rng.normal(size=x.shape)`` is a constant to the derivative, however
it was drawn: every function of ``np.random`` and every method of a generator
(``np.random.default_rng()``, the legacy ``RandomState``) is marked here, as
are the functions that only inspect arrays (their dtype, their indices).
"""

import numpy as np

from .registry import nondifferentiable, nondifferentiable_methods

nondifferentiable(*[getattr(np.random, n) for n in dir(np.random)
                    if not n.startswith("_") and callable(getattr(np.random, n))
                    and not isinstance(getattr(np.random, n), type)])
nondifferentiable_methods(np.random.Generator, np.random.RandomState, np.random.BitGenerator)

# what an array is, where its elements are, how they compare: integers and booleans
nondifferentiable(np.iscomplexobj, np.isrealobj, np.isscalar, np.result_type, np.can_cast,
                  np.issubdtype, np.broadcast_shapes, np.ravel_multi_index, np.unravel_index,
                  np.diag_indices, np.diag_indices_from, np.tril_indices, np.triu_indices,
                  np.tril_indices_from, np.triu_indices_from, np.argpartition, np.lexsort, np.digitize,
                  np.array_equiv, np.isin, np.zeros_like, np.ones_like, np.empty_like, np.tri,
                  np.histogram_bin_edges)
