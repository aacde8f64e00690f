"""The benchmark's workloads: what is differentiated, at which sizes, on which data.

A workload bundles everything the runner needs to time one gradient problem
the same way on every system: a seeded float64 data maker, the primal as a
user writes it, the hand-written reference gradient and the names to
differentiate with respect to. Keeping them as data (rather than code inside
the runner) lets ``tests/test_handwritten_gradients.py`` check the very same
references at small sizes, and lets ``--only`` pick workloads by name.
"""

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:      # bench/ and samples/ are not installed packages
    sys.path.insert(0, str(REPO_ROOT))

from bench import handwritten, user_functions  # noqa: E402
from samples import lecture_mlp  # noqa: E402


@dataclass(frozen=True)
class Workload:
    """One gradient problem at one size.

    ``make_data(rng, **sizes)`` returns the primal's positional arguments;
    ``hand_grad`` takes the same arguments and returns the gradients for
    ``wrt`` as a tuple, in ``wrt`` order. ``family`` names the model, shared
    by the sizes of one model (tests pick small sizes by it). ``quick`` says
    whether ``--quick`` runs it.
    """

    name: str
    family: str
    sizes: dict
    make_data: Callable
    primal: Callable
    hand_grad: Callable
    wrt: tuple
    quick: bool = True
    seed: int = 0

    def data(self, **sizes):
        """The arguments at this workload's sizes (or the ones given), from a fixed seed."""
        return self.make_data(np.random.default_rng(self.seed), **(sizes or self.sizes))

    def wrt_positions(self):
        """Positions of the ``wrt`` names among the primal's parameters (for argnum-style APIs)."""
        names = list(inspect.signature(self.primal).parameters)
        return tuple(names.index(n) for n in self.wrt)

    def describe(self):
        sizes = ", ".join(f"{k}={v:g}" for k, v in self.sizes.items())
        return f"{self.name}  ({sizes}; wrt {', '.join(self.wrt)})"


def make_mlp_data(rng, N, D, M, C):
    """X with a bias column of ones (N x D), one-hot Y (N x C), W (M x C), V (D x M)."""
    X = np.hstack([rng.standard_normal((N, D - 1)), np.ones((N, 1))])
    Y = np.eye(C)[rng.integers(0, C, N)]
    W = rng.standard_normal((M, C)) / np.sqrt(M)
    V = rng.standard_normal((D, M)) / np.sqrt(D)
    return X, Y, W, V


def make_logreg_data(rng, N, D):
    """Weights w (D), features X (N x D), labels y in {0, 1} from a noisy linear rule, lam."""
    X = rng.standard_normal((N, D))
    y = (X @ rng.standard_normal(D) + rng.standard_normal(N) > 0).astype(np.float64)
    w = 0.1 * rng.standard_normal(D)
    return w, X, y, 1e-3


def make_rnn_data(rng, T, B, I, H, O):
    """Inputs x (T x B x I), target (B x O), Wx (I x H), Wh (H x H), b (H), Wy (H x O)."""
    x = rng.standard_normal((T, B, I))
    target = rng.standard_normal((B, O))
    Wx = rng.standard_normal((I, H)) / np.sqrt(I)
    Wh = 0.9 * rng.standard_normal((H, H)) / np.sqrt(H)
    b = 0.1 * rng.standard_normal(H)
    Wy = rng.standard_normal((H, O)) / np.sqrt(H)
    return x, target, Wx, Wh, b, Wy


def make_chain_data(rng, n):
    """One vector of n values in [-2, 2]."""
    return (rng.uniform(-2.0, 2.0, int(n)),)


_MLP = dict(family="mlp", make_data=make_mlp_data, hand_grad=handwritten.mlp_cost_grad, wrt=("W", "V"))
_LOGREG = dict(family="logreg", make_data=make_logreg_data, primal=user_functions.logreg_cost,
               hand_grad=handwritten.logreg_cost_grad, wrt=("w",))
_RNN = dict(family="rnn", make_data=make_rnn_data, primal=user_functions.rnn_cost,
            hand_grad=handwritten.rnn_cost_grad, wrt=("Wx", "Wh", "b", "Wy"))
_CHAIN = dict(family="chain", make_data=make_chain_data, primal=user_functions.chain30,
              hand_grad=handwritten.chain30_grad, wrt=("x",))

WORKLOADS = (
    Workload("mlp-iris", sizes=dict(N=150, D=3, M=16, C=3), primal=lecture_mlp.cost, **_MLP),
    # The lecture's N x N broadcast would need 3.2 GB per temporary at N = 20000;
    # cost_rowwise has the same value and gradient without it (see lecture_mlp).
    Workload("mlp-large", sizes=dict(N=20000, D=100, M=256, C=10), primal=lecture_mlp.cost_rowwise,
             quick=False, **_MLP),
    Workload("logreg-1k", sizes=dict(N=1000, D=50), **_LOGREG),
    Workload("logreg-100k", sizes=dict(N=100000, D=200), quick=False, **_LOGREG),
    Workload("rnn-t50", sizes=dict(T=50, B=32, I=16, H=64, O=10), **_RNN),
    Workload("chain30-1e3", sizes=dict(n=1000), **_CHAIN),
    Workload("chain30-1e6", sizes=dict(n=1000000), quick=False, **_CHAIN),
)

BY_NAME = {w.name: w for w in WORKLOADS}
