"""The lecture MLP's gradient on an NVIDIA GPU: s2sgrad on CuPy against the hand-written code, JAX and PyTorch.

Run ``python bench/gpu.py`` on a machine with a CUDA GPU and CuPy (JAX with
CUDA and PyTorch are optional peers; a missing one gets a "not installed"
column). It takes under three minutes on one H100/H200.

For each MLP size (Iris, and three larger) and for float64 and float32 it
times, per gradient call and with the GPU synchronized after each call:

* the hand-written NumPy gradient (``bench/handwritten.py``) called on CuPy
  arrays: what NumPy's dispatch gives code written by hand;
* s2sgrad's generated gradient called on the same CuPy arrays;
* ``jax.jit(jax.grad(...))`` of the same function on ``jax.numpy``, with
  full-precision matmuls so float32 compares like with like;
* PyTorch eager autograd of its line-for-line twin (``bench/torch_functions.py``).

Before timing, every result is checked: s2sgrad on CuPy against NumPy on the
CPU where that is quick, and everything against the hand-written gradient on
CuPy. It ends with the table (Markdown) and the two targets: s2sgrad within
1.10x of the hand-written code on CuPy, and within 1.3x of JAX jit at the
largest size in float64. ``--json PATH`` also writes the results.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")    # leave GPU memory to CuPy and PyTorch

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.handwritten import mlp_cost_grad  # noqa: E402
from bench.numpy_swap import with_numpy  # noqa: E402
from bench.timing import measure  # noqa: E402
from bench.workloads import make_mlp_data  # noqa: E402
from samples import lecture_mlp  # noqa: E402
import s2sgrad  # noqa: E402

# name, sizes, primal: the lecture's own cost at Iris size, the N x N-free cost_rowwise beyond
SIZES = (
    ("iris", dict(N=150, D=3, M=16, C=3), lecture_mlp.cost),
    ("mlp-20k", dict(N=20_000, D=100, M=256, C=10), lecture_mlp.cost_rowwise),
    ("mlp-60k", dict(N=60_000, D=785, M=512, C=10), lecture_mlp.cost_rowwise),
    ("mlp-200k", dict(N=200_000, D=784, M=1024, C=10), lecture_mlp.cost_rowwise),
)
DTYPES = ("float64", "float32")
CPU_CHECK_MAX_N = 20_000                 # NumPy on the CPU as a reference up to this many rows
TOLERANCE = {"float64": 1e-9, "float32": 2e-3}     # largest error relative to the largest gradient entry
TARGET_HAND, TARGET_JAX = 1.10, 1.3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing (fewer repeats)")
    parser.add_argument("--only", nargs="+", choices=[s[0] for s in SIZES], help="run only these sizes")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def cupy_or_exit():
    try:
        import cupy
    except ImportError:
        sys.exit("bench/gpu.py needs CuPy with a CUDA GPU: CuPy is not installed")
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no CUDA device")
    except Exception as exc:
        sys.exit(f"bench/gpu.py needs CuPy with a CUDA GPU: {type(exc).__name__}: {exc}")
    return cupy


def optional(module):
    try:
        return __import__(module)
    except ImportError:
        return None


def relative_error(got, expected):
    """Largest absolute difference over the largest entry, across the gradients (all NumPy)."""
    return max(float(np.max(np.abs(g - e)) / max(np.max(np.abs(e)), 1e-300)) for g, e in zip(got, expected))


class Systems:
    """The four ways to get the gradient, each as ``prepare(primal, host_args) -> (call, to_numpy)``."""

    def __init__(self, cupy):
        self.cupy = cupy
        self.jax = optional("jax")
        self.torch = optional("torch")
        if self.jax is not None:
            self.jax.config.update("jax_enable_x64", True)              # float64 where the data is float64
            self.jax.config.update("jax_default_matmul_precision", "highest")   # no TF32/bf16 in float32
        if self.torch is not None:
            self.torch.backends.cuda.matmul.allow_tf32 = False
            self.torch.backends.cudnn.allow_tf32 = False

    def sync(self):
        self.cupy.cuda.get_current_stream().synchronize()

    def on_cupy(self, gradient, args):
        device_args = tuple(self.cupy.asarray(a) for a in args)

        def call():
            result = gradient(*device_args)
            self.sync()
            return result
        return call, lambda r: tuple(self.cupy.asnumpy(g) for g in r)

    def hand_written(self, primal, args):
        return self.on_cupy(mlp_cost_grad, args)

    def s2sgrad(self, primal, args):
        return self.on_cupy(s2sgrad.grad(primal, wrt=("W", "V")), args)

    def jax_jit(self, primal, args):
        if self.jax is None:
            return None
        import jax.numpy as jnp
        gradient = self.jax.jit(self.jax.grad(with_numpy(primal, jnp), argnums=(2, 3)))
        device_args = tuple(self.jax.device_put(a, self.jax.devices("gpu")[0]) for a in args)
        compiled = gradient.lower(*device_args).compile()
        return (lambda: self.jax.block_until_ready(compiled(*device_args)),
                lambda r: tuple(np.asarray(g) for g in r))

    def torch_eager(self, primal, args):
        if self.torch is None or not self.torch.cuda.is_available():
            return None
        from bench import torch_functions
        twin = torch_functions.BY_PRIMAL[primal.__name__]
        X, Y, W, V = (self.torch.from_numpy(a).cuda() for a in args)
        W.requires_grad_(True)
        V.requires_grad_(True)

        def call():
            result = self.torch.autograd.grad(twin(X, Y, W, V), (W, V))
            self.torch.cuda.synchronize()
            return result
        return call, lambda r: tuple(t.detach().cpu().numpy() for t in r)

    def free(self):
        self.cupy.get_default_memory_pool().free_all_blocks()
        if self.torch is not None and self.torch.cuda.is_available():
            self.torch.cuda.empty_cache()


SYSTEMS = (("hand-written on CuPy", "hand_written"), ("s2sgrad on CuPy", "s2sgrad"),
           ("JAX jit", "jax_jit"), ("PyTorch eager", "torch_eager"))


def run_one(systems, name, sizes, primal, dtype, timing):
    host = tuple(a.astype(dtype) for a in make_mlp_data(np.random.default_rng(0), **sizes))
    row = dict(size=name, dtype=dtype, **sizes, ms={}, error={}, notes=[])
    results = {}
    for label, method in SYSTEMS:
        try:
            prepared = getattr(systems, method)(primal, host)
        except Exception as exc:            # a peer that is installed but cannot run here
            row["notes"].append(f"{label}: {type(exc).__name__}: {exc}")
            prepared = None
        if prepared is None:
            row["ms"][label] = None
            continue
        call, to_numpy = prepared
        results[label] = to_numpy(call())
        row["ms"][label] = 1e3 * measure(call, **timing).median_s
        systems.free()
    reference = results["hand-written on CuPy"]
    for label, grads in results.items():
        row["error"][label] = relative_error(grads, reference)
    if sizes["N"] <= CPU_CHECK_MAX_N:        # NumPy on the CPU: the reference of references
        cpu = s2sgrad.grad(primal, wrt=("W", "V"))
        row["error"]["s2sgrad on CuPy vs NumPy on the CPU"] = relative_error(results["s2sgrad on CuPy"],
                                                                            cpu(*host))
        row["ms"]["NumPy on the CPU (s2sgrad)"] = 1e3 * measure(lambda: cpu(*host), target_s=0.1, repeats=3,
                                                                warmup=1).median_s
    row["ok"] = all(e <= TOLERANCE[dtype] for e in row["error"].values())
    return row


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def report(rows):
    columns = [label for label, _ in SYSTEMS] + ["NumPy on the CPU (s2sgrad)"]
    print("\n| size (N, D, M, C) | dtype | " + " | ".join(f"{c} (ms)" for c in columns)
          + " | s2sgrad / hand-written | s2sgrad / JAX jit | checks |")
    print("|" + "---|" * (len(columns) + 5))
    for r in rows:
        ms = r["ms"]
        s2s, hand, jax_ = ms["s2sgrad on CuPy"], ms["hand-written on CuPy"], ms.get("JAX jit")
        r["ratio_hand"] = s2s / hand
        r["ratio_jax"] = s2s / jax_ if jax_ else None
        worst = max(r["error"].values())
        print(f"| {r['size']} ({r['N']}, {r['D']}, {r['M']}, {r['C']}) | {r['dtype']} | "
              + " | ".join(fmt(ms.get(c), 3 if (ms.get(c) or 1) < 1 else 2) for c in columns)
              + f" | {r['ratio_hand']:.2f}x | {fmt(r['ratio_jax'])}{'x' if r['ratio_jax'] else ''} | "
              + f"{'ok' if r['ok'] else 'MISMATCH'} (max rel. error {worst:.1e}) |")
    for r in rows:
        for note in r["notes"]:
            print(f"note ({r['size']}, {r['dtype']}): {note}")
    hand_ok = all(r["ratio_hand"] <= TARGET_HAND for r in rows)
    print(f"\ntarget: s2sgrad on CuPy within {TARGET_HAND:.2f}x of the hand-written gradient on CuPy: "
          f"{'met' if hand_ok else 'NOT met'} (worst {max(r['ratio_hand'] for r in rows):.2f}x, at "
          f"{max(rows, key=lambda r: r['ratio_hand'])['size']} "
          f"{max(rows, key=lambda r: r['ratio_hand'])['dtype']})")
    largest = [r for r in rows if r["size"] == SIZES[-1][0] and r["dtype"] == "float64"]
    if largest and largest[0]["ratio_jax"] is not None:
        ratio = largest[0]["ratio_jax"]
        print(f"target: within {TARGET_JAX:.1f}x of JAX jit at {SIZES[-1][0]} in float64: "
              f"{'met' if ratio <= TARGET_JAX else 'NOT met'} ({ratio:.2f}x)")


def main(argv=None):
    opts = parse_args(argv)
    cupy = cupy_or_exit()
    systems = Systems(cupy)
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    versions = {m: getattr(optional(m), "__version__", None) for m in ("cupy", "jax", "torch", "numpy")}
    print(f"GPU: {props['name'].decode()}; " + ", ".join(f"{m} {v or 'not installed'}" for m, v in versions.items()))
    timing = dict(target_s=0.05, repeats=3, warmup=2) if opts.quick else dict(target_s=0.2, repeats=5, warmup=3)
    start = time.perf_counter()
    rows = []
    for name, sizes, primal in SIZES:
        if opts.only and name not in opts.only:
            continue
        for dtype in DTYPES:
            rows.append(run_one(systems, name, sizes, primal, dtype, timing))
            print(f"  {name} {dtype}: " + ", ".join(f"{k} {fmt(v, 3)} ms" for k, v in rows[-1]["ms"].items())
                  + f"  [{time.perf_counter() - start:.0f} s]", flush=True)
    report(rows)
    if opts.json:
        Path(opts.json).write_text(json.dumps(dict(gpu=props["name"].decode(), versions=versions, rows=rows),
                                              indent=2, default=str) + "\n")
        print(f"results written to {opts.json}")
    return 0 if all(r["ok"] for r in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
