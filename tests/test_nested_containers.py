"""Parameters nested in containers, as people pass a model's: a list of dicts or of (W, b) tuples, a dict of lists,
a dict walked by its items, values or keys (an L2 penalty over every parameter).

Each item's adjoint is a container of the same shape, added item by item
(``+`` would concatenate two lists); a loop may unpack each item
(``for W, b in layers``). Checked against central finite differences
through :func:`s2sgrad.check_grad`, which compares item by item.
"""

import types

import numpy as np
import pytest

import s2sgrad
from written_modules import written_out


def layers_of_dicts(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer["W"] + layer["b"])
    return np.sum(h ** 2)


def layers_of_dicts_by_index(layers, x):
    h = np.tanh(x @ layers[0]["W"] + layers[0]["b"])
    return np.sum(h @ layers[1]["W"] + layers[1]["b"])


def dict_of_lists(params, x):
    return np.sum(np.sin(x @ params["Ws"][0]) @ params["Ws"][1])


def layers_of_tuples(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def zipped_with_tuples(layers, scales, x):
    h = x
    for (W, b), s in zip(layers, scales):
        h = np.tanh(h @ W + b) * s
    return np.sum(h)


def enumerated_tuples(layers, x):
    h = x
    for k, (W, b) in enumerate(layers):
        h = np.tanh(h @ W + b) * (k + 1)
    return np.sum(h)


def penalty_over_items(params, x):
    total = 0.0
    for name, value in params.items():
        total = total + 0.1 * np.sum(value ** 2)
    return total + np.sum(np.tanh(x @ params["W"] + params["b"]))


def penalty_over_values(params, x):
    return sum(np.sum(v ** 2) for v in params.values()) + np.sum(np.sin(x @ params["W"]))


def penalty_over_keys(params, x):
    total = np.sum(x @ params["W"])
    for key in params:
        total = total + np.sum(np.cos(params[key]))
    return total


def dict_layers(rng):
    return [{"W": rng.normal(size=(3, 3)) * 0.5, "b": rng.normal(size=3)} for _ in range(2)]


def tuple_layers(rng):
    return [(rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)) for _ in range(3)]


CASES = [
    (layers_of_dicts, lambda rng: [dict_layers(rng), rng.normal(size=(2, 3))]),
    (penalty_over_items, lambda rng: [dict_layers(rng)[0], rng.normal(size=(2, 3))]),
    (penalty_over_values, lambda rng: [dict_layers(rng)[0], rng.normal(size=(2, 3))]),
    (penalty_over_keys, lambda rng: [dict_layers(rng)[0], rng.normal(size=(2, 3))]),
    (layers_of_dicts_by_index, lambda rng: [dict_layers(rng), rng.normal(size=(2, 3))]),
    (dict_of_lists, lambda rng: [{"Ws": [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]}, rng.normal(size=(2, 3))]),
    (layers_of_tuples, lambda rng: [tuple_layers(rng), rng.normal(size=(2, 3))]),
    (zipped_with_tuples, lambda rng: [tuple_layers(rng), [0.5, 2.0, -1.0], rng.normal(size=(2, 3))]),
    (enumerated_tuples, lambda rng: [tuple_layers(rng), rng.normal(size=(2, 3))]),
]


@pytest.mark.parametrize("func, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_gradient_matches_finite_differences(func, make, rng):
    s2sgrad.check_grad(func, make(rng), wrt=0)


@pytest.mark.parametrize("func, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_the_gradient_is_nested_as_the_argument(func, make, rng):
    args = make(rng)
    gradient = s2sgrad.grad(func)(*args)

    def structure(value):
        if isinstance(value, dict):
            return {k: structure(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [structure(v) for v in value]
        return np.shape(value)
    assert structure(gradient) == structure(args[0])


def leaves(value):
    if isinstance(value, dict):
        return [leaf for key in value for leaf in leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return [np.asarray(value)]


@pytest.mark.parametrize("func, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_forward_mode_along_the_gradient_gives_its_squared_length(func, make, rng):
    args = make(rng)
    gradient = s2sgrad.grad(func)(*args)
    _, derivative = s2sgrad.jvp(func)(*args, gradient)      # items of different shapes: no np.asarray of the list
    assert derivative == pytest.approx(sum(float(np.sum(g * g)) for g in leaves(gradient)), rel=1e-10)


def moved(value, direction, step):
    """``value + step * direction``, item by item, in the container's own shape."""
    if isinstance(value, dict):
        return {k: moved(value[k], direction[k], step) for k in value}
    if isinstance(value, (list, tuple)):
        return type(value)(moved(v, d, step) for v, d in zip(value, direction))
    return value + step * np.asarray(direction)


@pytest.mark.parametrize("func, make", CASES, ids=[f.__name__ for f, _ in CASES])
def test_a_hessian_vector_product_matches_differences_of_the_gradient(func, make, rng):
    args = make(rng)
    v = s2sgrad.grad(func)(*args)          # a direction shaped like the parameters
    found = s2sgrad.hvp(func)(*args, v)
    eps = 1e-5
    up = s2sgrad.grad(func)(moved(args[0], v, eps), *args[1:])
    down = s2sgrad.grad(func)(moved(args[0], v, -eps), *args[1:])
    for f, u, d in zip(leaves(found), leaves(up), leaves(down)):
        np.testing.assert_allclose(f, (u - d) / (2 * eps), rtol=1e-5, atol=1e-7)


def pairs_of_rows(pairs, x):
    total = 0.0
    for a, b in pairs:            # pairs may be an array of shape (n, 2, k) just as well as a list of tuples
        total = total + np.sum(np.sin(a * x) * b)
    return total


def stacked_weights(params, x):
    Ws = params["Ws"]             # a list of matrices, or one array of them: the code reads both alike
    return np.sum(np.tanh(x @ Ws[0]) @ Ws[1])


def embedding_rows(params, tokens):
    E = params["E"]               # an array read at an array of indices, one of them twice: not a list
    return np.sum(np.tanh(E[tokens] @ params["W"]) ** 2)


READ_AS_CONTAINERS = CASES + [
    (embedding_rows, lambda rng: [{"E": rng.normal(size=(5, 3)), "W": rng.normal(size=(3, 2))},
                                  np.array([1, 3, 1, 1, 0])]),
    (pairs_of_rows, lambda rng: [[(rng.normal(size=3), rng.normal(size=3)) for _ in range(4)], rng.normal(size=3)]),
    (pairs_of_rows, lambda rng: [rng.normal(size=(4, 2, 3)), rng.normal(size=3)]),
    (stacked_weights, lambda rng: [{"Ws": [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]}, rng.normal(size=(2, 3))]),
    (stacked_weights, lambda rng: [{"Ws": rng.normal(size=(2, 3, 3))}, rng.normal(size=(2, 3))]),
]


@pytest.mark.parametrize("func, make", READ_AS_CONTAINERS,
                         ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(READ_AS_CONTAINERS)])
def test_code_for_arguments_of_any_kind_serves_containers(func, make, rng, tmp_path):
    """What ``s2sgrad emit``/``show`` write without example arguments knows nothing of them: a parameter
    read by string keys, or whose items are unpacked or are containers, is a container there
    (``zeros_like_each``, not ``np.zeros_like`` of a list of tuples), and the same code still serves an
    array read the same way."""
    args = make(rng)
    fresh = types.FunctionType(func.__code__, func.__globals__, func.__name__)    # never called before
    written, _ = written_out(s2sgrad.grad(fresh, wrt=0), tmp_path, func.__name__)  # so: the generic code
    value, _ = getattr(written, f"value_and_grad_{func.__name__}")(*args)
    found = getattr(written, f"grad_{func.__name__}")(*args)     # what grad(f) returns (s2sgrad/convention.py)
    expected = s2sgrad.grad(func, wrt=0)(*args)
    assert value == pytest.approx(func(*args), rel=1e-12)
    assert len(leaves(found)) == len(leaves(expected))
    for f, e in zip(leaves(found), leaves(expected)):
        np.testing.assert_allclose(f, e, rtol=1e-12)
    s2sgrad.check_grad(func, args, wrt=0)


@pytest.mark.parametrize("func, make", READ_AS_CONTAINERS,
                         ids=[f"{f.__name__}-{k}" for k, (f, _) in enumerate(READ_AS_CONTAINERS)])
def test_forward_code_for_arguments_of_any_kind_serves_containers(func, make, rng, tmp_path):
    args = make(rng)
    direction = s2sgrad.grad(func, wrt=0)(*args)
    fresh = types.FunctionType(func.__code__, func.__globals__, func.__name__)
    written, _ = written_out(s2sgrad.jvp(fresh, wrt=0), tmp_path, func.__name__)
    parameter = func.__code__.co_varnames[0]
    value, derivative = getattr(written, f"jvp_{func.__name__}")(*args, **{f"d{parameter}": direction})
    assert value == pytest.approx(func(*args), rel=1e-12)
    assert derivative == pytest.approx(s2sgrad.jvp(func, wrt=0)(*args, direction)[1], rel=1e-12)
