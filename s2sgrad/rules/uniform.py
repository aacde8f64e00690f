"""Adjoints that stay one number: where a uniform adjoint passes through unchanged.

A loss ending in ``np.mean`` or ``np.sum`` seeds its input's adjoint with the
same value everywhere. Kept as a scalar, it flows through additions,
subtractions, reductions and reshapes without any array being built (the
reverse transformer does this for elementwise rules whose partial derivative is
constant); these entries say the same for the other rules it passes through.
"""

import numpy as np

from .indexing import index_newaxis
from .python import transpose_attribute
from .registry import uniform

def sum_uniform(where):
    """g itself, unless where= leaves elements out of the sum (their adjoint is zero)"""
    return "g if uniform_g or axis is None and not keepdims else None" if where is True else "None"


def mean_uniform(where):
    """g over the count, unless where= leaves elements out of the mean"""
    return "g / (a.size / ans.size) if uniform_g or axis is None and not keepdims else None" if where is True \
        else "None"


uniform(np.sum, a=sum_uniform)
uniform(np.mean, a=mean_uniform)
for _same_size in (np.reshape, np.ravel, np.squeeze, np.expand_dims, np.transpose, np.swapaxes,
                   np.moveaxis, np.copy, transpose_attribute, np.atleast_1d, np.atleast_2d):
    uniform(_same_size, a="g if uniform_g else None")
uniform(index_newaxis, x="g if uniform_g else None")
uniform(np.negative, x="-g if uniform_g else None")
