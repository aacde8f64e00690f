"""The lecture's MLP trained on millions of rows, on a Dask cluster, with the unchanged gradient.

Run ``python samples/mlp_dask.py`` to start a ``dask.distributed.LocalCluster``
(worker processes on this machine), or ``python samples/mlp_dask.py
tcp://scheduler:8786`` to use a cluster that is already running. The script
makes a synthetic classification data set of a few million rows on the
workers, chunked by rows and kept in their memory, and trains the lecture's
one-hidden-layer MLP on it by gradient descent.

The model is ``samples/lecture_mlp.py`` as written for NumPy, and the
gradient is the one s2sgrad generates for NumPy arrays: called on Dask
arrays, its NumPy calls dispatch to Dask, so each step builds a lazy graph
over the chunks and one ``dask.compute`` runs it on the workers. Only the
small weight matrices (and their gradients) live in this process. It uses
``cost_rowwise``, the lecture's loss without its N x N broadcast, which
would be 10**13 entries here.

``--numpy-baseline`` then runs the same steps with plain NumPy in this one
process, on the same data, for comparison.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's s2sgrad and samples

from s2sgrad import value_and_grad  # noqa: E402
from samples.lecture_mlp import cost_rowwise  # noqa: E402

D = 20               # features, the last one a bias column of ones
M = 32               # hidden logistic units
C = 4                # classes
LEARNING_RATE = 1.0  # the loss is a mean over rows, so its gradient does not grow with N
SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", nargs="?", help="a running Dask scheduler (default: start a LocalCluster)")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of data (default: 2,000,000)")
    parser.add_argument("--chunk-rows", type=int, default=250_000, help="rows per chunk (default: 250,000)")
    parser.add_argument("--steps", type=int, default=20, help="gradient steps (default: 20)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default: 2)")
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--numpy-baseline", action="store_true",
                        help="then run the same steps with NumPy in this process, on the same data")
    return parser.parse_args(argv)


def make_data(rows, chunk_rows, seed=SEED):
    """Features X (rows x D, bias column last) and one-hot labels Y (rows x C), lazily, chunked by rows.

    The labels come from a random linear "teacher" plus noise, so there is
    something to learn and the loss can fall well below log(C).
    """
    import dask.array as da
    rng = da.random.default_rng(seed)
    features = rng.standard_normal((rows, D - 1), chunks=(chunk_rows, D - 1))
    X = da.concatenate([features, da.ones((rows, 1), chunks=(chunk_rows, 1))], axis=1).rechunk({1: D})
    teacher = np.random.default_rng(seed + 1).standard_normal((D, C))
    scores = X @ teacher + rng.standard_normal((rows, C), chunks=(chunk_rows, C))
    Y = (da.argmax(scores, axis=1)[:, None] == np.arange(C)).astype(np.float64)
    return X, Y


def init_weights(seed=SEED):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((M, C)) / np.sqrt(M), rng.standard_normal((D, M)) / np.sqrt(D)


def train(X, Y, W, V, steps, compute, report_every=5):
    """Gradient descent; ``compute`` turns the step's loss and gradients into NumPy values."""
    step_value_and_grad = value_and_grad(cost_rowwise, wrt=("W", "V"))
    for step in range(steps):
        loss, (dW, dV) = step_value_and_grad(X, Y, W, V)
        loss, dW, dV = compute(loss, dW, dV)
        if step % report_every == 0 or step == steps - 1:
            print(f"  step {step:3d}   loss {float(loss):.4f}", flush=True)
        W = W - LEARNING_RATE * dW
        V = V - LEARNING_RATE * dV
    return W, V


def connect(args):
    """A client of the cluster at ``args.address``, or of a new LocalCluster (returned to close it)."""
    from dask.distributed import Client, LocalCluster
    if args.address:
        return Client(args.address), None
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads_per_worker, processes=True,
                           dashboard_address=":0")       # any free port
    return Client(cluster), cluster


def main(argv=None):
    args = parse_args(argv)
    if importlib.util.find_spec("distributed") is None:
        sys.exit("mlp_dask.py needs dask[array] and distributed: pip install 'dask[array]' distributed")
    import dask

    client, cluster = connect(args)
    try:
        workers = client.scheduler_info()["workers"]
        dashboard = client.dashboard_link
        if importlib.util.find_spec("bokeh") is None:
            dashboard += "  (served once bokeh is installed: pip install bokeh)"
        print(f"Dask cluster: {len(workers)} workers, scheduler {client.scheduler.address}")
        print(f"dashboard:    {dashboard}")

        X, Y = make_data(args.rows, args.chunk_rows)
        X, Y = client.persist([X, Y])          # made once, kept in the workers' memory
        dask.distributed.wait([X, Y])
        print(f"data:         X {X.shape} and Y {Y.shape}, float64, {X.numblocks[0]} chunks of "
              f"{args.chunk_rows:,} rows, {(X.nbytes + Y.nbytes) / 2**20:,.0f} MiB on the workers")

        W0, V0 = init_weights()
        print(f"\nTraining on Dask arrays ({args.steps} steps):")
        start = time.perf_counter()
        train(X, Y, W0, V0, args.steps, compute=dask.compute)
        dask_s = time.perf_counter() - start
        print(f"Dask: {dask_s:.1f} s, {dask_s / args.steps:.2f} s per step")

        if args.numpy_baseline:
            Xn, Yn = dask.compute(X, Y)
            print(f"\nThe same {args.steps} steps with NumPy arrays in this one process:")
            start = time.perf_counter()
            train(Xn, Yn, W0, V0, args.steps, compute=lambda *values: values)
            numpy_s = time.perf_counter() - start
            print(f"NumPy: {numpy_s:.1f} s, {numpy_s / args.steps:.2f} s per step  "
                  f"(Dask: {dask_s / numpy_s:.2f}x the NumPy time)")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
