"""The benchmark's hand-written gradients are right.

Every system in ``bench/run.py`` is checked against, and timed relative to,
the hand-written NumPy gradients in ``bench/handwritten.py``; a wrong
reference would make every other row meaningless. They are checked here
against central finite differences of the very primals the benchmark
differentiates, at small sizes of each workload, in float64. No s2sgrad is
involved, so these tests hold while the compiler is being written.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # bench/ and samples/ are not installed

from bench.workloads import WORKLOADS  # noqa: E402
from samples import lecture_mlp  # noqa: E402

# Small enough that one central difference per coordinate stays fast, large
# enough that every dimension differs (so transposes and wrong axes show).
SMALL_SIZES = {
    "mlp": dict(N=7, D=3, M=4, C=3),
    "logreg": dict(N=9, D=4),
    "rnn": dict(T=4, B=3, I=2, H=5, O=2),
    "chain": dict(n=6),
}


def central_difference(f, args, position, eps=1e-6):
    """d f / d args[position], one coordinate at a time: (f(x + eps) - f(x - eps)) / (2 eps).

    Works on a copy, so the caller's arrays are left as they were.
    """
    args = list(args)
    x = np.array(args[position], dtype=np.float64)
    args[position] = x
    derivative = np.empty_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        f_plus = f(*args)
        x[i] = saved - eps
        f_minus = f(*args)
        x[i] = saved
        derivative[i] = (f_plus - f_minus) / (2 * eps)
    return derivative


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_hand_written_gradient_matches_central_differences(workload):
    args = workload.data(**SMALL_SIZES[workload.family])
    grads = workload.hand_grad(*args)
    assert isinstance(grads, tuple) and len(grads) == len(workload.wrt)
    for name, position, grad in zip(workload.wrt, workload.wrt_positions(), grads):
        expected = central_difference(workload.primal, args, position)
        assert grad.shape == expected.shape, name
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8, err_msg=f"d/d{name}")


def test_lecture_broadcast_quirk_gives_the_intended_loss():
    """mlp-iris and mlp-large share one reference gradient only because this holds.

    The lecture's ``cost`` averages an N x N broadcast of s[j] - lse[i];
    its mean equals the row-wise mean NLL that ``cost_rowwise`` computes.
    """
    X, Y, W, V = WORKLOADS[0].data(N=11, D=3, M=5, C=4)
    U = lecture_mlp.predict(X, W, V)
    assert (np.sum(U * Y, 1) - lecture_mlp.logsumexp(U)).shape == (11, 11)
    expected = -np.mean(np.log(np.sum(lecture_mlp.softmax(U) * Y, axis=1)))
    np.testing.assert_allclose(lecture_mlp.cost(X, Y, W, V), expected, rtol=1e-12)
    np.testing.assert_allclose(lecture_mlp.cost_rowwise(X, Y, W, V), expected, rtol=1e-12)
