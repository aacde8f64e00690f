"""Peak extra memory of one call, as seen by ``tracemalloc``.

A reverse-mode gradient must keep forward values alive until the backward
pass uses them; how many it keeps is the main memory cost of generated
gradient code versus a hand-written one. NumPy reports its array buffers to
``tracemalloc``, so the peak above the starting level during one call is a
fair, allocator-independent measure for NumPy-based systems (s2sgrad,
hand-written, autograd). JAX and PyTorch allocate outside Python's tracing
and would read as near zero, so they are not measured here.
"""

import gc
import tracemalloc


def peak_extra_bytes(fn):
    """Bytes allocated at the peak of one ``fn()`` call beyond what was live before it.

    One untraced call first, so that one-off allocations (caches, lazily built
    code) are not charged to the call being measured.
    """
    fn()
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - before
