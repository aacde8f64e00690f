"""The lecture's MLP trained on an NVIDIA GPU with CuPy, with the gradient s2sgrad writes for NumPy.

Run ``python samples/mlp_gpu.py`` (``--dtype float32`` for single precision).
The data set is synthetic: features, a bias column, and labels from a random
linear "teacher" plus noise. It is moved to the GPU once; from then on the
model (``samples/lecture_mlp.py``, plain NumPy) and its generated gradient run
on ``cupy.ndarray`` arguments, their NumPy calls dispatching to CuPy, so every
step stays on the device and only the printed losses come back.

Where CuPy or a CUDA GPU is missing, the script says what is missing and
trains the same model with the same code on NumPy arrays on the CPU instead,
on fewer rows.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's s2sgrad and samples

from s2sgrad import value_and_grad  # noqa: E402
from samples.lecture_mlp import cost_rowwise  # noqa: E402

D = 101              # features, the last one a bias column of ones
M = 256              # hidden logistic units
C = 10               # classes
LEARNING_RATE = 0.3
SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="rows of data (default: 200,000 on a GPU, 20,000 on the CPU)")
    parser.add_argument("--steps", type=int, default=100, help="gradient steps (default: 100)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    return parser.parse_args(argv)


def cupy_or_reason():
    """``(cupy, None)`` where CuPy can use a CUDA GPU, else ``(None, what is missing)``."""
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed (pip install cupy-cuda12x, matching your CUDA)"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:        # no driver or no device: cupy.cuda.runtime.CUDARuntimeError
        return None, f"CuPy finds no CUDA GPU ({type(exc).__name__}: {exc})"
    if count == 0:
        return None, "CuPy finds no CUDA GPU"
    return cupy, None


def make_data(rows, dtype, seed=SEED):
    """X (rows x D, bias column last) and one-hot Y (rows x C), in host memory."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((rows, D - 1)), np.ones((rows, 1))]).astype(dtype)
    scores = X @ rng.standard_normal((D, C)) + rng.standard_normal((rows, C))
    Y = np.eye(C, dtype=dtype)[np.argmax(scores, axis=1)]
    return X, Y


def init_weights(dtype, seed=SEED):
    rng = np.random.default_rng(seed + 1)
    return ((rng.standard_normal((M, C)) / np.sqrt(M)).astype(dtype),
            (rng.standard_normal((D, M)) / np.sqrt(D)).astype(dtype))


def train(X, Y, W, V, steps, report_every=10):
    """Gradient descent; arrays stay wherever they are (GPU or CPU), only printed losses move."""
    step_value_and_grad = value_and_grad(cost_rowwise, wrt=("W", "V"))
    for step in range(steps):
        loss, (dW, dV) = step_value_and_grad(X, Y, W, V)
        if step % report_every == 0 or step == steps - 1:
            print(f"  step {step:4d}   loss {float(loss):.4f}", flush=True)
        W = W - LEARNING_RATE * dW
        V = V - LEARNING_RATE * dV
    return W, V


def main(argv=None):
    args = parse_args(argv)
    cupy, missing = cupy_or_reason()
    if cupy is None:
        print(f"mlp_gpu.py runs on an NVIDIA GPU with CuPy, but {missing}.\n"
              f"Training the same model with the same code on NumPy arrays on the CPU instead.\n")
        xp, synchronize, device = np, (lambda: None), "CPU (NumPy)"
    else:
        xp, synchronize = cupy, cupy.cuda.Device().synchronize
        device = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    rows = args.rows or (200_000 if cupy is not None else 20_000)

    X, Y = make_data(rows, args.dtype)
    W, V = init_weights(args.dtype)
    X, Y, W, V = (xp.asarray(a) for a in (X, Y, W, V))     # the one copy to the device
    print(f"{device}: X {X.shape}, Y {Y.shape}, hidden units {M}, {args.dtype}, arrays of {type(X).__module__}")

    start = time.perf_counter()
    W, V = train(X, Y, W, V, args.steps)
    synchronize()
    elapsed = time.perf_counter() - start
    print(f"{args.steps} steps in {elapsed:.2f} s ({1e3 * elapsed / args.steps:.1f} ms per step); "
          f"the weights are {type(W).__module__}.{type(W).__name__}")


if __name__ == "__main__":
    main()
