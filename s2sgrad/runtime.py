"""The few helpers generated code may call, kept standalone.

Generated code normally spells out the reduction a broadcast needs
(``np.sum(g, axis=0)``), because it is specialized to its arguments' shapes.
Only where shapes are not known when the code is generated (the CLI without
example shapes, the first ``.source`` of a gradient) does it call
:func:`unbroadcast`. A written-out module carries this function's source text,
so it never imports s2sgrad.
"""

import numpy as np


def unbroadcast(value, like):
    """Sum ``value`` over the axes NumPy broadcasting added to ``like``'s shape."""
    shape = getattr(like, "shape", ())
    if getattr(value, "shape", ()) == shape:
        return value
    lead = np.ndim(value) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and value.shape[lead + i] != 1)
    return np.reshape(np.sum(value, axis=axes), shape)


HELPERS = {"unbroadcast": unbroadcast}
