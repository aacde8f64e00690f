"""The same generated gradients on the GPU, with CuPy, and CuPy's rules checked without a GPU.

CuPy arrays go through generated code by NumPy's dispatch protocols, and
CuPy is strict where Dask is lenient: it refuses NumPy arrays as operands and
any implicit conversion to NumPy, so a derivative that made an array from a
shape (``np.zeros((n, m))``) or read a value back to the host would fail or
stall there. Two groups of tests:

* ``DeviceArray`` below keeps CuPy's rules on the CPU (NumPy operands and
  conversions to NumPy or to Python numbers raise), so CI without a GPU checks
  that the generated MLP, logistic regression and RNN gradients only ever make
  arrays from the arguments and never bring a value back to the host.
* With CuPy and a CUDA GPU, the same gradients on ``cupy.ndarray`` must be
  CuPy arrays equal to NumPy's, computed without a device synchronization.
  Without them these tests skip, saying so.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # bench/ and samples/ are not installed

from bench.workloads import BY_NAME  # noqa: E402
from bench import user_functions  # noqa: E402
from samples import lecture_mlp  # noqa: E402
import s2sgrad  # noqa: E402
from s2sgrad.dispatch import ArrayDispatchWarning  # noqa: E402


def rnn_cost_generic(x, target, Wx, Wh, b, Wy):
    """``rnn_cost`` with its first state made from an argument, so it is an array of the arguments' library.

    ``np.zeros((B, H))`` is a NumPy array even when ``x`` is on the GPU;
    ``np.zeros_like(x, shape=...)`` is what array-generic code writes.
    """
    h = np.zeros_like(x, shape=(x.shape[1], Wh.shape[0]))
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh + b)
    return np.mean((h @ Wy - target) ** 2)


# name -> (primal, workload, sizes, wrt)
CASES = {
    "mlp": (lecture_mlp.cost, "mlp-iris", dict(N=12, D=4, M=5, C=3), ("W", "V")),
    "mlp-rowwise": (lecture_mlp.cost_rowwise, "mlp-large", dict(N=20, D=6, M=7, C=4), ("W", "V")),
    "logreg": (user_functions.logreg_cost, "logreg-1k", dict(N=20, D=5), ("w",)),
    "rnn": (rnn_cost_generic, "rnn-t50", dict(T=4, B=5, I=3, H=6, O=2), ("Wx", "Wh", "b", "Wy")),
}


def case_arguments(case):
    primal, workload, sizes, wrt = CASES[case]
    return primal, wrt, BY_NAME[workload].data(**sizes)


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


# ----------------------------------------------------------- CuPy's rules on the CPU
class HostTransfer(TypeError):
    """What DeviceArray raises where CuPy would copy to the host or refuse a NumPy array."""


def _unwrap(value):
    if isinstance(value, DeviceArray):
        return value.data
    if isinstance(value, np.ndarray):
        raise HostTransfer(f"a NumPy array of shape {value.shape} met a device array")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _unwrap_index(index):
    """Indexes may hold NumPy integer arrays (CuPy copies those to the device)."""
    if isinstance(index, tuple):
        return tuple(_unwrap_index(i) for i in index)
    return index.data if isinstance(index, DeviceArray) else index


def _wrap(value):
    if isinstance(value, (np.ndarray, np.generic)):     # CuPy's reductions give 0-d arrays, not scalars
        return DeviceArray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(v) for v in value)
    return value


class DeviceArray(np.lib.mixins.NDArrayOperatorsMixin):
    """An array with CuPy's rules, held in host memory: a GPU stand-in for machines without one.

    Like ``cupy.ndarray`` it takes part in NumPy's dispatch, refuses NumPy
    arrays as operands and implicit conversion to NumPy; unlike it, it also
    refuses ``float()``, ``bool()`` and ``.item()``, which on a GPU are device
    to host copies. Reductions return 0-d DeviceArrays, as CuPy's do.
    """

    def __init__(self, data):
        self.data = np.asarray(data)

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    T = property(lambda self: DeviceArray(self.data.T))

    def __array__(self, dtype=None, copy=None):
        raise HostTransfer("implicit conversion of a device array to a NumPy array")

    def __float__(self):
        raise HostTransfer("float() of a device array")

    __bool__ = __int__ = __complex__ = __index__ = __float__

    def item(self):
        raise HostTransfer(".item() of a device array")

    tolist = item

    def get(self):
        """The explicit copy to the host, as ``cupy.ndarray.get()``."""
        return self.data.copy()

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return DeviceArray(self.data[_unwrap_index(index)])

    def __setitem__(self, index, value):
        self.data[_unwrap_index(index)] = _unwrap(value)

    def copy(self):
        return DeviceArray(self.data.copy())

    def astype(self, dtype, copy=True):
        return DeviceArray(self.data.astype(dtype, copy=copy))

    def reshape(self, *shape):
        return DeviceArray(self.data.reshape(*shape))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        if method == "at":          # np.add.at(a, index, b): the index may hold NumPy integers, as in CuPy
            a, index, *b = inputs
            return getattr(ufunc, method)(_unwrap(a), _unwrap_index(index), *_unwrap(b), **kwargs)
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def __repr__(self):
        return f"DeviceArray({self.data!r})"


def on_device(args):
    return tuple(DeviceArray(a) if isinstance(a, np.ndarray) else a for a in args)


def test_device_array_keeps_cupys_rules():
    x = DeviceArray(np.ones(3))
    for refused in (lambda: x + np.ones(3), lambda: np.asarray(x), lambda: float(np.sum(x)),
                    lambda: bool(np.sum(x) > 0), lambda: np.sum(x).item()):
        with pytest.raises(HostTransfer):
            refused()
    assert isinstance(np.sum(x), DeviceArray) and isinstance(np.zeros_like(x), DeviceArray)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_generated_gradient_stays_on_a_device_array(case, dtype):
    primal, wrt, args = case_arguments(case)
    args = tuple(a.astype(dtype) if isinstance(a, np.ndarray) else a for a in args)
    derivative = s2sgrad.value_and_grad(primal, wrt=wrt)
    value, grads = derivative(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ArrayDispatchWarning)
        device_value, device_grads = derivative(*on_device(args))
    assert isinstance(device_value, DeviceArray)
    np.testing.assert_allclose(device_value.get(), value, rtol=1e-12)
    for name, got, expected in zip(wrt, as_tuple(device_grads), as_tuple(grads)):
        assert isinstance(got, DeviceArray) and got.dtype == dtype, (name, got.dtype)   # no float64 on the way
        np.testing.assert_allclose(got.get(), expected, rtol=1e-10 if dtype == np.float64 else 1e-5,
                                   atol=1e-13 if dtype == np.float64 else 1e-7, err_msg=f"d/d{name}")


def test_vjp_and_jvp_stay_on_a_device_array():
    X, Y, W, V = BY_NAME["mlp-iris"].data(N=9, D=4, M=5, C=3)

    def scores(X, W, V):
        return np.dot(lecture_mlp.logistic(np.dot(X, V)), W)

    dout = np.random.default_rng(1).standard_normal((9, 3))
    tangents = (np.ones_like(W), np.ones_like(V))
    vjp = s2sgrad.vjp(scores, wrt=("W", "V"))
    jvp = s2sgrad.jvp(lecture_mlp.cost_rowwise, wrt=("W", "V"))
    for got, expected in zip(vjp(*on_device((X, W, V, dout))), vjp(X, W, V, dout)):
        np.testing.assert_allclose(got.get(), expected, rtol=1e-10)
    got = jvp(*on_device((X, Y, W, V)), on_device(tangents))
    for g, e in zip(got, jvp(X, Y, W, V, tangents)):
        np.testing.assert_allclose(g.get(), e, rtol=1e-10)


def embedding_loss(E, tokens, target):
    return np.sum((E[tokens] - target) ** 2)


def trace_loss(A, B):
    return np.trace(A @ B)


def embedding_arguments():
    rng = np.random.default_rng(2)
    return rng.standard_normal((6, 3)), np.array([0, 4, 4, 1]), rng.standard_normal((4, 3))


@pytest.mark.parametrize("f, make_args", [
    pytest.param(embedding_loss, embedding_arguments, id="index"),
    pytest.param(trace_loss, lambda: tuple(np.random.default_rng(3).standard_normal((2, 4, 4))), id="trace")])
def test_index_and_trace_adjoints_stay_on_a_device_array(f, make_args):
    """Their adjoints were ``np.add.at`` and ``np.eye``, which cannot follow a CuPy array."""
    args = make_args()
    gradient = s2sgrad.grad(f)
    device_args = tuple(DeviceArray(a) if a.dtype.kind == "f" else a for a in args)
    np.testing.assert_allclose(gradient(*device_args).get(), gradient(*args), rtol=1e-12)


def test_an_array_made_from_a_shape_is_a_grad_error_naming_the_line():
    """The benchmark's own ``rnn_cost`` starts from ``np.zeros((B, H))``: a host array CuPy will not mix in."""
    import inspect
    args = on_device(BY_NAME["rnn-t50"].data(T=3, B=2, I=2, H=3, O=2))
    lines, first = inspect.getsourcelines(user_functions.rnn_cost)
    line = first + next(i for i, text in enumerate(lines) if "np.zeros(" in text)
    with pytest.warns(ArrayDispatchWarning, match=r"np\.zeros_like\(x, shape=\.\.\.\)") as record:
        with pytest.raises(s2sgrad.GradError, match=r"np\.zeros\(\) makes a NumPy array") as info:
            s2sgrad.grad(user_functions.rnn_cost, wrt="Wx")(*args)
    assert (info.value.origin.filename, info.value.origin.lineno) == (user_functions.__file__, line)
    assert any(r.lineno == line for r in record)


# ------------------------------------------------------------------ real CuPy on a GPU
def _cupy_or_skip():
    cupy = pytest.importorskip("cupy", reason="needs CuPy with a CUDA GPU (CuPy is not installed)")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:       # no driver, no device: CUDARuntimeError
        pytest.skip(f"needs CuPy with a CUDA GPU ({type(exc).__name__}: {exc})")
    if count == 0:
        pytest.skip("needs CuPy with a CUDA GPU (no CUDA device found)")
    return cupy


@pytest.fixture(scope="module")
def cupy():
    return _cupy_or_skip()


def _no_synchronization(cupy):
    """A context in which a device synchronization (a copy to the host among them) raises, where CuPy has one."""
    import contextlib
    import cupyx
    allow = getattr(cupyx, "allow_synchronize", None)
    if allow is None:
        return contextlib.nullcontext()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return allow(False)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_on_cupy_arrays_equals_numpy(cupy, case, dtype):
    primal, wrt, args = case_arguments(case)
    args = tuple(a.astype(dtype) if isinstance(a, np.ndarray) else a for a in args)
    derivative = s2sgrad.value_and_grad(primal, wrt=wrt)
    value, grads = derivative(*args)
    device_args = tuple(cupy.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    derivative(*device_args)              # specializes to the arguments (runs the primal once)
    with _no_synchronization(cupy):
        device_value, device_grads = derivative(*device_args)
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    assert isinstance(device_value, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(device_value), value, rtol=rtol)
    for name, got, expected in zip(wrt, as_tuple(device_grads), as_tuple(grads)):
        assert isinstance(got, cupy.ndarray) and got.dtype == dtype, (name, got.dtype)
        np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=rtol, atol=rtol * 1e-3,
                                   err_msg=f"d/d{name}")


def test_vjp_and_jvp_on_cupy_arrays(cupy):
    X, Y, W, V = BY_NAME["mlp-iris"].data(N=9, D=4, M=5, C=3)

    def scores(X, W, V):
        return np.dot(lecture_mlp.logistic(np.dot(X, V)), W)

    dout = np.random.default_rng(1).standard_normal((9, 3))
    vjp = s2sgrad.vjp(scores, wrt=("W", "V"))
    for got, expected in zip(vjp(*map(cupy.asarray, (X, W, V, dout))), vjp(X, W, V, dout)):
        assert isinstance(got, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(got), expected, rtol=1e-10)
    tangents = (np.ones_like(W), np.ones_like(V))
    jvp = s2sgrad.jvp(lecture_mlp.cost_rowwise, wrt=("W", "V"))
    got = jvp(*map(cupy.asarray, (X, Y, W, V)), tuple(map(cupy.asarray, tangents)))
    for g, e in zip(got, jvp(X, Y, W, V, tangents)):
        assert isinstance(g, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(g), e, rtol=1e-10)


@pytest.mark.parametrize("f, make_args", [
    pytest.param(embedding_loss, embedding_arguments, id="index"),
    pytest.param(trace_loss, lambda: tuple(np.random.default_rng(3).standard_normal((2, 4, 4))), id="trace")])
def test_index_and_trace_adjoints_on_cupy_arrays(cupy, f, make_args):
    args = make_args()
    gradient = s2sgrad.grad(f)
    got = gradient(*map(cupy.asarray, args))
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), gradient(*args), rtol=1e-12)
