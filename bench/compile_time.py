"""How long ``s2sgrad.grad(f, wrt=...)`` takes to return, cold and cached.

Source-to-source differentiation pays its cost when the gradient function is
built, not when it is called, so that cost is reported on its own: the
``grad`` call itself, and the first call of the result, where s2sgrad
specializes the derivative to the argument shapes (steady-state calls are
timed in the workload tables). "Cold" must defeat any cache s2sgrad keeps,
whatever it is keyed on: each cold sample imports the model's module afresh
under a new name (new function and code objects, same source file, so
``inspect.getsource`` still works) and clears s2sgrad's cache if the package
exposes a way to. "Cached" asks again for the same function object, which is
what a training loop that calls ``grad`` inside the loop would pay.
"""

import importlib.util
import inspect
import itertools
import statistics
import sys

from bench.timing import measure, time_once

_fresh_ids = itertools.count()

# Names under which s2sgrad might expose cache clearing; used only if present.
_CACHE_CLEARERS = ("clear_cache", "cache_clear", "reset_cache")


def _clear_s2sgrad_cache(s2sgrad):
    """Clear s2sgrad's gradient cache if it exposes a way to; return how, or None."""
    for owner_name in ("s2sgrad", "s2sgrad.api"):
        owner = s2sgrad if owner_name == "s2sgrad" else sys.modules.get(owner_name)
        for attr in _CACHE_CLEARERS:
            clear = getattr(owner, attr, None)
            if callable(clear):
                clear()
                return f"{owner_name}.{attr}()"
    return None


def _fresh_function(module_file, func_name):
    """``func_name`` from a brand-new import of ``module_file`` (nothing shared with earlier imports)."""
    name = f"_s2sgrad_bench_fresh_{next(_fresh_ids)}"
    spec = importlib.util.spec_from_file_location(name, module_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # some tools resolve f.__module__ through sys.modules
    spec.loader.exec_module(module)
    return getattr(module, func_name), name


def grad_build_times(f, wrt, args, cold_repeats=5, cached_repeats=5):
    """Seconds for ``s2sgrad.grad`` to return (cold and cached) and for a cold first call.

    ``f`` is only used to find its module file and name; every cold sample
    differentiates a fresh copy of it.
    """
    import s2sgrad

    module_file, name = inspect.getsourcefile(f), f.__name__
    build, first_call = [], []
    cleared = None
    for _ in range(cold_repeats):
        fresh, module_name = _fresh_function(module_file, name)
        cleared = _clear_s2sgrad_cache(s2sgrad)
        try:
            built = []
            build.append(time_once(lambda: built.append(s2sgrad.grad(fresh, wrt=wrt))))
            first_call.append(time_once(lambda: built[0](*args)))
        finally:
            del sys.modules[module_name]

    fresh, module_name = _fresh_function(module_file, name)
    try:
        cached = measure(lambda: s2sgrad.grad(fresh, wrt=wrt), target_s=0.05,
                         repeats=cached_repeats, warmup=1).median_s
    finally:
        del sys.modules[module_name]
    return dict(cold_median_s=statistics.median(build), cold_min_s=min(build), cold_samples=len(build),
                first_call_median_s=statistics.median(first_call), cached_median_s=cached,
                cache_cleared_with=cleared)
