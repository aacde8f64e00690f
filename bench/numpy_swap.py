"""Rerun a NumPy user function on another NumPy-like module (autograd.numpy, jax.numpy).

Tracing AD systems need their own ``np``. Rather than keep a second,
drifting copy of every workload, the benchmark clones the user's function
with a globals dict in which ``np`` is the other module. Helper functions
that the primal calls through its globals (``logistic`` and ``logsumexp``
for the lecture MLP) are cloned the same way, so the whole call tree sees
the substitute. The original functions are left untouched.
"""

import functools
import types


def with_numpy(f, np_module):
    """A copy of ``f`` whose global ``np``, and that of same-module helpers, is ``np_module``."""
    old = f.__globals__
    new = dict(old)
    new["np"] = np_module
    for name, value in old.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is old:
            new[name] = _clone(value, new)
    return _clone(f, new)


def _clone(f, globals_):
    g = types.FunctionType(f.__code__, globals_, f.__name__, f.__defaults__, f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    return functools.update_wrapper(g, f)
