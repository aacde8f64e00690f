"""The same generated gradients on Dask arrays: lazy, chunked over rows, and on a cluster.

Generated code calls NumPy functions, which NumPy's dispatch protocols hand
to Dask when the arguments are Dask arrays; so ``grad`` of the lecture MLP,
logistic regression and the RNN, called on chunked arrays, must return Dask
arrays that build a graph without computing anything, and whose computed
values are NumPy's. The same graphs then run on a ``dask.distributed``
cluster of two worker processes. The user functions are the benchmark's
(``samples/lecture_mlp.py``, ``bench/user_functions.py``), unchanged.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="needs dask[array] (in the test extra)")
import dask  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # bench/ and samples/ are not installed

from bench.workloads import BY_NAME  # noqa: E402
from bench import user_functions  # noqa: E402
from samples import lecture_mlp  # noqa: E402
import s2sgrad  # noqa: E402
from s2sgrad.dispatch import ArrayDispatchWarning  # noqa: E402


def refuse_to_compute(dsk, keys, **kwargs):
    """A Dask scheduler that fails: set while a gradient is built, it proves nothing was computed eagerly."""
    raise AssertionError("the gradient computed part of the Dask graph while it was being built")


def chunked(array, rows, axis=0):
    """``array`` as a Dask array chunked every ``rows`` along ``axis`` (whole along every other axis)."""
    chunks = tuple(rows if i == axis else -1 for i in range(array.ndim))
    return da.from_array(array, chunks=chunks)


# name -> (primal, workload, sizes, wrt, {argument position: axis of its rows})
CASES = {
    "mlp": (lecture_mlp.cost, "mlp-iris", dict(N=30, D=5, M=8, C=3), ("W", "V"), {0: 0, 1: 0}),
    "mlp-rowwise": (lecture_mlp.cost_rowwise, "mlp-large", dict(N=40, D=6, M=8, C=4), ("W", "V"), {0: 0, 1: 0}),
    "logreg": (user_functions.logreg_cost, "logreg-1k", dict(N=40, D=6), ("w",), {1: 0, 2: 0}),
    "rnn": (user_functions.rnn_cost, "rnn-t50", dict(T=3, B=12, I=4, H=6, O=3), ("Wx", "Wh", "b", "Wy"),
            {0: 1, 1: 0}),
}


def case_arguments(case, blocks):
    """The case's NumPy arguments, and the same with its data split into ``blocks`` chunks of rows."""
    primal, workload, sizes, wrt, row_axes = CASES[case]
    args = BY_NAME[workload].data(**sizes)
    lazy = tuple(chunked(a, -(-a.shape[row_axes[i]] // blocks), row_axes[i]) if i in row_axes else a
                 for i, a in enumerate(args))
    return primal, wrt, args, lazy


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_on_chunked_dask_arrays_is_lazy_and_equals_numpy(case):
    primal, wrt, args, lazy = case_arguments(case, blocks=3)
    derivative = s2sgrad.value_and_grad(primal, wrt=wrt)
    value, grads = derivative(*args)
    with dask.config.set(scheduler=refuse_to_compute):
        lazy_value, lazy_grads = derivative(*lazy)
    assert isinstance(lazy_value, da.Array)
    assert all(isinstance(g, da.Array) for g in as_tuple(lazy_grads))
    computed_value, *computed = dask.compute(lazy_value, *as_tuple(lazy_grads), scheduler="sync")
    np.testing.assert_allclose(computed_value, value, rtol=1e-12)
    for name, got, expected in zip(wrt, computed, as_tuple(grads)):
        assert isinstance(got, np.ndarray) and got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13, err_msg=f"d/d{name}")


def test_vjp_and_jvp_on_dask_arrays_equal_numpy():
    X, Y, W, V = BY_NAME["mlp-iris"].data(N=30, D=4, M=5, C=3)
    Xd, Yd = chunked(X, 7), chunked(Y, 7)

    def scores(X, W, V):
        return np.dot(lecture_mlp.logistic(np.dot(X, V)), W)

    dout = np.random.default_rng(0).standard_normal((30, 3))
    vjp = s2sgrad.vjp(scores, wrt=("W", "V"))
    jvp = s2sgrad.jvp(lecture_mlp.cost_rowwise, wrt=("W", "V"))
    tangents = (np.ones_like(W), np.ones_like(V))
    with dask.config.set(scheduler=refuse_to_compute):
        lazy_cotangents = vjp(Xd, W, V, chunked(dout, 7))
        lazy_value, lazy_tangent = jvp(Xd, Yd, W, V, tangents)
    for got, expected in zip(dask.compute(*lazy_cotangents, scheduler="sync"), vjp(X, W, V, dout)):
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    value, tangent = jvp(X, Y, W, V, tangents)
    np.testing.assert_allclose(lazy_tangent.compute(scheduler="sync"), tangent, rtol=1e-10)
    np.testing.assert_allclose(lazy_value.compute(scheduler="sync"), value, rtol=1e-12)


def embedding_loss(E, tokens, target):
    return np.sum((E[tokens] - target) ** 2)


def trace_loss(A, B):
    return np.trace(A @ B)


def test_adjoints_that_numpy_writes_in_place_run_on_dask():
    """``np.add.at`` (the adjoint of ``E[tokens]``) and ``np.eye`` (of a trace) do not dispatch to Dask."""
    rng = np.random.default_rng(3)
    E, tokens, target = rng.standard_normal((6, 3)), np.array([0, 4, 4, 1, 0, 5, 4]), rng.standard_normal((7, 3))
    A, B = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    for f, args, lazy in ((embedding_loss, (E, tokens, target), (chunked(E, 2), tokens, chunked(target, 3))),
                          (trace_loss, (A, B), (chunked(A, 2), chunked(B, 2)))):
        gradient = s2sgrad.grad(f)
        with dask.config.set(scheduler=refuse_to_compute):
            lazy_grad = gradient(*lazy)
        assert isinstance(lazy_grad, da.Array)
        np.testing.assert_allclose(lazy_grad.compute(scheduler="sync"), gradient(*args), rtol=1e-12)


def scaled_embedding_loss(E, tokens, X):
    return np.sum(E[tokens]) * np.sum(X)


def rows_written_loss(x, W):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        out[i] = np.tanh(x[i] @ W)
    return np.sum(out ** 2)


def check_lazily(f, args):
    """The gradient of ``f`` on chunked Dask arrays: built without computing, equal to NumPy's."""
    lazy = tuple(chunked(a, 2) if a.dtype.kind == "f" else a for a in args)
    gradient = s2sgrad.grad(f, wrt=1 if f is rows_written_loss else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)     # Dask's "not implemented by Dask array"
        with dask.config.set(scheduler=refuse_to_compute):
            lazy_grad = gradient(*lazy)
        computed = lazy_grad.compute(scheduler="sync")      # a fill value is only read inside the tasks
    np.testing.assert_allclose(computed, gradient(*args), rtol=1e-12)


def test_array_writes_copy_by_method_so_dask_stays_lazy():
    rng = np.random.default_rng(6)
    check_lazily(rows_written_loss, (rng.standard_normal((4, 3)), rng.standard_normal((3, 3))))


def test_a_fill_value_the_derivative_computes_stays_lazy():
    """The adjoint of a sum fills an array with a 0-d lazy value: np.zeros_like(t) + g, not np.full_like
    (Dask's full_like would fill through np.copyto, which it does not implement, computing the graph)."""
    rng = np.random.default_rng(6)
    check_lazily(scaled_embedding_loss, (rng.standard_normal((5, 3)), np.array([0, 1, 1, 4]),
                                         rng.standard_normal((4, 3))))


def reads_a_value(X, w):
    s = X @ w
    scale = float(np.max(s))
    return np.sum(s ** 2) / scale


def branches_on_a_value(X, w):
    s = X @ w
    if np.sum(s) > 0:
        s = 2 * s
    return np.sum(s ** 2)


def asks_for_an_item(X, w):
    s = X @ w
    return np.sum(s ** 2) * np.max(s).item()


def _line_of(function, text):
    import inspect
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f, construct", [(reads_a_value, "float("), (branches_on_a_value, "if np.sum")])
def test_reading_an_array_value_warns_naming_the_line_and_still_computes(f, construct):
    rng = np.random.default_rng(5)
    X, w = rng.standard_normal((8, 3)), rng.standard_normal(3)
    with pytest.warns(ArrayDispatchWarning, match="computes the Dask graph") as record:
        got = s2sgrad.grad(f, wrt="w")(chunked(X, 3), w)
    (warning,) = [r for r in record if r.category is ArrayDispatchWarning]
    assert (warning.filename, warning.lineno) == (__file__, _line_of(f, construct))
    np.testing.assert_allclose(got.compute(scheduler="sync"), s2sgrad.grad(f, wrt="w")(X, w), rtol=1e-12)


def test_a_construct_dask_cannot_run_is_a_grad_error_naming_the_line():
    X, w = np.ones((4, 3)), np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ArrayDispatchWarning)
        with pytest.raises(s2sgrad.GradError, match=r"\.item\(\)") as info:
            s2sgrad.grad(asks_for_an_item, wrt="w")(chunked(X, 2), w)
    assert info.value.origin.lineno == _line_of(asks_for_an_item, ".item()")


def test_unknown_chunk_sizes_are_a_grad_error_with_the_fix():
    X, Y, W, V = BY_NAME["mlp-iris"].data(N=12, D=3, M=4, C=3)
    Xd, Yd = chunked(X, 4), chunked(Y, 4)
    kept = Xd[:, 0] > -100                      # a boolean mask: Dask no longer knows how many rows
    with pytest.raises(s2sgrad.GradError, match=r"argument X of cost_rowwise has unknown chunk sizes.*\n.*X\.compute_chunk_sizes\(\)"):
        s2sgrad.grad(lecture_mlp.cost_rowwise, wrt=("W", "V"))(Xd[kept], Yd[kept], W, V)


def test_numpy_arguments_draw_no_dispatch_warning():
    X, w = np.ones((4, 3)), np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ArrayDispatchWarning)
        s2sgrad.grad(reads_a_value, wrt="w")(X, w)


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed", reason="needs distributed (in the test extra)")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, worker_dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_gradients_run_on_a_cluster_of_two_worker_processes(cluster_client):
    assert len(cluster_client.scheduler_info()["workers"]) == 2
    for case in ("mlp-rowwise", "logreg", "rnn"):
        primal, wrt, args, lazy = case_arguments(case, blocks=2)   # one block per worker: few tasks
        gradient = s2sgrad.grad(primal, wrt=wrt)
        futures = cluster_client.compute(list(as_tuple(gradient(*lazy))))
        for name, got, expected in zip(wrt, cluster_client.gather(futures), as_tuple(gradient(*args))):
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-13, err_msg=f"{case}: d/d{name}")
