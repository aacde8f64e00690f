"""The systems the benchmark compares, each turned into a zero-argument timed call.

Every system gets the same workload and the same float64 arrays and must
produce the same gradients, so the only thing that differs between rows of a
table is how the gradient is obtained. A system either prepares a
``Prepared`` call, or raises ``Skipped`` when an optional peer is not
installed, or raises any other exception when it is installed but fails;
the runner prints the latter as a failure and carries on, so a broken peer
(or an s2sgrad that cannot compile a workload yet) never hides the others.

Peers are imported lazily, inside their prepare functions, because none of
them is a dependency of s2sgrad and importing JAX or PyTorch is slow.
"""

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:      # prefer this checkout's s2sgrad when it is not installed
    sys.path.insert(0, str(REPO_ROOT))

from bench.numpy_swap import with_numpy  # noqa: E402


class Skipped(Exception):
    """The system is not available here (an optional peer is not installed)."""


@dataclass
class Prepared:
    """A ready-to-time call and how to read its result back for checking.

    ``call`` must not return before the result exists (JAX dispatches
    asynchronously, so its calls block explicitly). ``to_grads`` and
    ``to_value`` map the call's result to a tuple of NumPy gradients and to
    the primal value; None means the result is not a gradient (the primal
    row). ``compile_s`` is a one-off cost kept out of the per-call time.
    """

    call: Callable[[], Any]
    to_grads: Optional[Callable[[Any], tuple]] = None
    to_value: Optional[Callable[[Any], float]] = None
    compile_s: Optional[float] = None


def _as_tuple(r):
    """Gradients as a tuple, whether a system returned one array or several."""
    return tuple(r) if isinstance(r, (tuple, list)) else (r,)


def _require(module_name):
    """Import an optional peer, or raise Skipped if it is not installed."""
    if importlib.util.find_spec(module_name) is None:
        raise Skipped(f"{module_name} not installed")
    return importlib.import_module(module_name)


def numpy_primal(workload, args):
    return Prepared(lambda: workload.primal(*args))


def hand_written(workload, args):
    return Prepared(lambda: workload.hand_grad(*args), to_grads=_as_tuple)


def s2sgrad_grad(workload, args):
    import s2sgrad
    g = s2sgrad.grad(workload.primal, wrt=workload.wrt)
    return Prepared(lambda: g(*args), to_grads=_as_tuple)


def s2sgrad_value_and_grad(workload, args):
    import s2sgrad
    vg = s2sgrad.value_and_grad(workload.primal, wrt=workload.wrt)
    return Prepared(lambda: vg(*args), to_grads=lambda r: _as_tuple(r[1]), to_value=lambda r: r[0])


def autograd_grad(workload, args):
    autograd = _require("autograd")
    import autograd.numpy as anp
    g = autograd.grad(with_numpy(workload.primal, anp), argnum=workload.wrt_positions())
    return Prepared(lambda: g(*args), to_grads=_as_tuple)


def _jax():
    """JAX in float64, as the NumPy systems run; must be set before any array is made."""
    jax = _require("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_args(jnp, args):
    """Arrays moved to JAX once, outside the timed call; Python scalars stay as they are."""
    return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)


def _jax_grads(r):
    return tuple(np.asarray(a) for a in r)


def jax_eager(workload, args):
    jax = _jax()
    import jax.numpy as jnp
    g = jax.grad(with_numpy(workload.primal, jnp), argnums=workload.wrt_positions())
    jargs = _jax_args(jnp, args)
    return Prepared(lambda: jax.block_until_ready(g(*jargs)), to_grads=_jax_grads)


def jax_jit(workload, args):
    jax = _jax()
    import jax.numpy as jnp
    from bench.timing import time_once
    g = jax.jit(jax.grad(with_numpy(workload.primal, jnp), argnums=workload.wrt_positions()))
    jargs = _jax_args(jnp, args)
    compiled = []
    compile_s = time_once(lambda: compiled.append(g.lower(*jargs).compile()))
    run = compiled[0]
    return Prepared(lambda: jax.block_until_ready(run(*jargs)), to_grads=_jax_grads, compile_s=compile_s)


def torch_eager(workload, args):
    torch = _require("torch")
    from bench import torch_functions
    f = torch_functions.BY_PRIMAL.get(workload.primal.__name__)
    if f is None:
        raise Skipped(f"no torch version of {workload.primal.__name__}")
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    params = [targs[i].requires_grad_(True) for i in workload.wrt_positions()]

    def call():
        return torch.autograd.grad(f(*targs), params)

    return Prepared(call, to_grads=lambda r: tuple(t.detach().numpy() for t in r))


SYSTEMS = (
    ("numpy primal", numpy_primal),
    ("hand-written", hand_written),
    ("s2sgrad grad", s2sgrad_grad),
    ("s2sgrad value_and_grad", s2sgrad_value_and_grad),
    ("autograd", autograd_grad),
    ("jax eager", jax_eager),
    ("jax jit", jax_jit),
    ("torch eager", torch_eager),
)
REFERENCE = "hand-written"
PRIMAL = "numpy primal"
