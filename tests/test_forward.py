"""Forward mode: tangents against central finite differences, and against reverse mode.

Each construct is checked two ways: the tangent ``J v`` that ``jvp`` computes
matches central differences of ``f`` along a random ``v``, and it passes the
dot-product test against reverse mode, ``<J v, w> == <v, J^T w>`` for random
``w``, which ties the two modes' rules to each other to rounding error.
(Every rule is run in forward mode by ``tests/test_rules_matrix.py``.)
"""

import os
import pathlib

import numpy as np
import pytest

from s2sgrad import GradError, grad, jacobian, jvp, vjp
from s2sgrad.optimize import disabled

from finite_differences import jacobian_by_differences
from lecture import cost, make_data


# ------------------------------------------------------------------- helpers
def step(x, t, eps):
    """x + eps * t, for arrays, numbers and dicts of them."""
    if isinstance(x, dict):
        return {k: step(x[k], t[k], eps) for k in x}
    return x + eps * t


def inner(a, b):
    if isinstance(a, dict):
        return sum(inner(a[k], b[k]) for k in a)
    return np.sum(a * b)


def directional_difference(f, args, wrt, tangents, eps=1e-6):
    up, down = list(args), list(args)
    for i, t in zip(wrt, tangents):
        up[i] = step(args[i], t, eps)
        down[i] = step(args[i], t, -eps)
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps)


def random_like(rng, x):
    if isinstance(x, dict):
        return {k: random_like(rng, v) for k, v in x.items()}
    t = rng.normal(size=np.shape(x))
    return float(t) if isinstance(x, float) else t


def check_forward(f, args, wrt, rng, rtol=1e-5, atol=1e-7):
    """jvp against central differences along a random tangent; returns the tangents and the tangent."""
    tangents = tuple(random_like(rng, args[i]) for i in wrt)
    value, tangent = jvp(f, wrt=wrt)(*args, tangents)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert np.shape(tangent) == np.shape(value)
    np.testing.assert_allclose(tangent, directional_difference(f, args, wrt, tangents), rtol=rtol, atol=atol,
                               err_msg=jvp(f, wrt=wrt).source)
    return tangents, tangent


def check_dot_product(f, args, wrt, rng):
    """<J v, w> == <v, J^T w>: forward mode against reverse mode, on random v and w."""
    v = tuple(random_like(rng, args[i]) for i in wrt)
    value, jv = jvp(f, wrt=wrt)(*args, v)
    w = random_like(rng, value) if np.ndim(value) else float(rng.normal())
    jtw = vjp(f, wrt=wrt)(*args, w)
    jtw = (jtw,) if len(wrt) == 1 and not isinstance(jtw, tuple) else jtw
    assert inner(jv, w) == pytest.approx(sum(inner(a, b) for a, b in zip(v, jtw)), rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ constructs
def broadcast_into_larger(x, b):
    return np.tanh(x + b)                 # x (3,), b (4, 3): the tangent of x must grow to (4, 3)


def method_calls(X, w):
    y = (X * w).sum(axis=1)
    return y.T.reshape(-1, 1) / X.shape[0]


def _layer(x, W):
    return np.maximum(x @ W, 0.1 * (x @ W))


def inlined_helpers(x, W, V):
    return np.sum(_layer(_layer(x, W), V) ** 2)


def tuple_unpacking(x):
    a, b = x[0], x[1:]
    return a * b


def fancy_and_boolean_indexing(x, idx):
    return x[idx] * x[x > 0].sum()


def recurrence(h, W, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t])        # h is read and overwritten in one statement
    return h


def loop_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sin(row @ w)
    return total


def zip_and_enumerate(X, w):
    total = 0.0
    for i, (row, weight) in enumerate(zip(X, w)):
        total = total + (i + 1) * weight * np.sum(row ** 2)
    return total


def newton_sqrt(a):
    x = a
    i = 0
    while i < 20:
        x = 0.5 * (x + a / x)
        if np.max(np.abs(x * x - a)) < 1e-12:
            break
        i = i + 1
    return x


def skip_negative(x, w):
    total = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        total = total + x[i] * w[i] ** 2
    return total


def nested_loops(x, W):
    out = x
    for i in range(2):
        for j in range(2):
            out = np.sin(out @ W) + out
    return out


def branches(x, y):
    if np.sum(x) > 0:
        z = x * y
    elif np.sum(x) > -1:
        z = np.exp(y)
    else:
        z = 2.0                           # no tangent flows in: the tangent is zero
    return z * x


def early_return(x, w):
    if np.all(x > 0):
        return np.log(x) * w
    return np.exp(w) * x


def array_writes(x):
    out = np.zeros(x.shape[0] + 1)        # made without a tangent, then written into
    for i in range(x.shape[0]):
        out[i + 1] = out[i] + x[i] ** 2
    return out


def scatter_add(v, idx):
    x = np.zeros(4)
    np.add.at(x, idx, np.sin(v))          # an in-place update, repeated indices accumulating
    return x


def list_of_states(x):
    hs = []
    h = x
    for i in range(3):
        h = np.sin(h) * 2.0
        hs.append(h)
    return np.stack(hs) + hs[0]


def joins(a, b):
    return np.concatenate([a, np.zeros(2), b]) * np.stack([a, b]).sum()


def power_tower(x, depth):
    if depth == 0:
        return x
    return np.sin(power_tower(x, depth - 1)) * x     # recursion: a generated jvp_power_tower calls itself


def recursive(x, w):
    return power_tower(x * w, 3) + power_tower(w, 2)


def dicts(p, x):
    cache = {"h": np.tanh(x @ p["W"]), "scale": 2.0}
    cache["y"] = cache["h"] @ p["V"] * cache["scale"]
    return cache["y"]


CONSTRUCTS = {
    "broadcast into a larger result": (broadcast_into_larger, lambda r: (r.normal(size=3), r.normal(size=(4, 3))),
                                       [(0,), (1,), (0, 1)]),
    "method calls and .T": (method_calls, lambda r: (r.normal(size=(4, 3)), r.normal(size=3)), [(0, 1)]),
    "inlined helpers": (inlined_helpers, lambda r: (r.normal(size=(2, 3)), r.normal(size=(3, 4)),
                                                    r.normal(size=(4, 2))), [(0, 1, 2), (2,)]),
    "tuple unpacking": (tuple_unpacking, lambda r: (r.normal(size=4),), [(0,)]),
    "fancy and boolean indexing": (fancy_and_boolean_indexing,
                                   lambda r: (r.normal(size=6), np.array([0, 2, 2, 5])), [(0,)]),
    "recurrence in a loop": (recurrence, lambda r: (r.normal(size=3), 0.5 * r.normal(size=(3, 3)),
                                                    r.normal(size=(4, 3))), [(0, 1, 2), (1,)]),
    "loop over rows": (loop_over_rows, lambda r: (r.normal(size=(4, 3)), r.normal(size=3)), [(0, 1), (1,)]),
    "zip and enumerate": (zip_and_enumerate, lambda r: (r.normal(size=(4, 3)), r.normal(size=4)), [(0, 1)]),
    "while with break": (newton_sqrt, lambda r: (r.uniform(1, 2, size=3),), [(0,)]),
    "continue": (skip_negative, lambda r: (r.normal(size=6), r.normal(size=6)), [(0, 1)]),
    "nested loops": (nested_loops, lambda r: (r.normal(size=3), 0.3 * r.normal(size=(3, 3))), [(0, 1)]),
    "if, first branch": (branches, lambda r: (np.abs(r.normal(size=3)), r.normal(size=3)), [(0, 1)]),
    "if, elif branch": (branches, lambda r: (np.array([-0.2, 0.1, -0.3]), r.normal(size=3)), [(0, 1)]),
    "if, constant branch": (branches, lambda r: (-np.abs(r.normal(size=3)) - 1, r.normal(size=3)), [(0, 1)]),
    "early return, taken": (early_return, lambda r: (r.random(3) + 0.1, r.normal(size=3)), [(0, 1)]),
    "early return, not taken": (early_return, lambda r: (-r.random(3), r.normal(size=3)), [(0, 1)]),
    "array writes": (array_writes, lambda r: (r.normal(size=4),), [(0,)]),
    "np.add.at": (scatter_add, lambda r: (r.normal(size=3), np.array([0, 2, 0])), [(0,)]),
    "list append and np.stack": (list_of_states, lambda r: (r.normal(size=3),), [(0,)]),
    "dicts, a dict argument among them": (dicts, lambda r: ({"W": r.normal(size=(3, 4)), "V": r.normal(size=(4, 2))},
                                                            r.normal(size=(2, 3))), [(0,), (0, 1)]),
    "recursion": (recursive, lambda r: (r.normal(size=3), r.normal(size=3)), [(0, 1), (0,)]),
    "joins with constants": (joins, lambda r: (r.normal(size=3), r.normal(size=3)), [(0,), (0, 1)]),
}


def _construct_cases():
    for label, (f, make, wrts) in CONSTRUCTS.items():
        for wrt in wrts:
            yield pytest.param(f, make, wrt, id=f"{label}-wrt{''.join(map(str, wrt))}")


@pytest.mark.parametrize("f, make, wrt", _construct_cases())
def test_construct(f, make, wrt, rng):
    check_forward(f, make(rng), wrt, rng)


@pytest.mark.parametrize("f, make, wrt", _construct_cases())
def test_dot_product_with_reverse_mode(f, make, wrt, rng):
    check_dot_product(f, make(rng), wrt, rng)


@pytest.mark.parametrize("f, make, wrt", [pytest.param(*CONSTRUCTS[k][:2], CONSTRUCTS[k][2][0], id=k) for k in
                                          ("recurrence in a loop", "array writes", "list append and np.stack",
                                           "broadcast into a larger result")])
def test_cleanup_passes_never_change_a_tangent(f, make, wrt, rng):
    args = make(rng)
    tangents = tuple(random_like(rng, args[i]) for i in wrt)
    optimized = jvp(f, wrt=wrt)(*args, tangents)
    with disabled():
        plain = type(jvp(f, wrt=wrt))(f, wrt)(*args, tangents)
    np.testing.assert_allclose(optimized[1], plain[1], rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------- the lecture
def test_lecture_cost_matches_finite_differences_and_reverse_mode(rng):
    args = make_data(rng)
    check_forward(cost, args, (0, 2, 3), rng)
    check_dot_product(cost, args, (0, 2, 3), rng)


def test_generic_and_specialized_forward_code_agree(rng):
    args = make_data(rng)
    tangents = (rng.normal(size=args[2].shape), rng.normal(size=args[3].shape))
    forward = jvp(cost, wrt=("W", "V"))
    value, tangent = forward(*args, tangents)
    generic_value, generic_tangent = forward._generic.function(*args, dW=tangents[0], dV=tangents[1])
    assert generic_value == pytest.approx(value, rel=1e-12)
    assert generic_tangent == pytest.approx(tangent, rel=1e-10)


GOLDEN = pathlib.Path(__file__).parent / "golden" / "lecture_cost_jvp.py"


def lecture_forward_source():
    """The forward-mode code users see for the lecture's cost, specialized to X 5x3, Y 5x3, W 4x3, V 3x4."""
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)], rng.normal(size=(4, 3)),
            rng.normal(size=(3, 4)))
    return jvp(cost, wrt=("X", "W", "V")).source_for(*args)


def test_golden_forward_source_of_the_lecture_cost():
    """Pinned like tests/test_golden_sources.py: regenerate with S2SGRAD_UPDATE_GOLDEN=1 and review the diff."""
    source = lecture_forward_source()
    if os.environ.get("S2SGRAD_UPDATE_GOLDEN"):
        GOLDEN.write_text(source)
    assert source == GOLDEN.read_text()
    assert "dQ = np.dot(dX, V) + np.dot(X, dV)" in source          # the product rule, named after the primals
    assert "dU = np.dot(dZ, W) + np.dot(Z, dW)" in source
    assert "dY" not in source and "unbroadcast" not in source


# -------------------------------------------------------------------- the API
def test_only_active_tangents_are_computed(rng):
    forward = jvp(cost, wrt="W")
    forward(*make_data(rng), rng.normal(size=(4, 3)))
    assert "dX" not in forward.source and "dQ" not in forward.source and "dZ =" not in forward.source


def test_tangent_of_an_output_that_does_not_depend_on_wrt_is_zero(rng):
    def constant_in_x(x, y):
        return np.sum(y ** 2)
    value, tangent = jvp(constant_in_x)(rng.normal(size=3), rng.normal(size=3), rng.normal(size=3))
    assert tangent == 0.0


def test_tuple_outputs_get_tuple_tangents(rng):
    def two(x):
        return np.sin(x), np.sum(x ** 2)
    x, v = rng.normal(size=3), rng.normal(size=3)
    (s, q), (ds, dq) = jvp(two)(x, v)
    np.testing.assert_allclose(ds, np.cos(x) * v)
    assert dq == pytest.approx(np.sum(2 * x * v))


def test_scalar_arguments(rng):
    def f(x, y):
        return np.sin(x * y) + x ** 3
    value, tangent = jvp(f, wrt=(0, 1))(0.3, 1.7, (1.0, 0.0))
    assert tangent == pytest.approx(1.7 * np.cos(0.3 * 1.7) + 3 * 0.3 ** 2)


def test_wrong_number_of_tangents_is_a_grad_error(rng):
    with pytest.raises(GradError, match="takes 2 tangents"):
        jvp(cost, wrt=("W", "V"))(*make_data(rng), (np.zeros((4, 3)),))


def test_a_jvp_cannot_be_differentiated_again():
    with pytest.raises(GradError, match="cannot differentiate the jvp"):
        grad(jvp(cost, wrt="V"))


def test_unsupported_list_method_is_a_grad_error(rng):
    def sorts(x):
        xs = [x, 2 * x]
        xs.sort(key=len)
        return xs[0]
    with pytest.raises(GradError, match=r"xs\.sort\(key=len\) changes xs in place"):
        jvp(sorts)(rng.normal(size=2), rng.normal(size=2))


# ------------------------------------------------------------------ Jacobians
def softmax_rows(Z, b):
    E = np.exp(Z + b - np.max(Z, axis=1, keepdims=True))
    return E / np.sum(E, axis=1, keepdims=True)



@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_shape_and_values(mode, rng):
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    J = jacobian(softmax_rows, wrt=0, mode=mode)(*args)
    assert J.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(J, jacobian_by_differences(softmax_rows, args, 0), rtol=1e-5, atol=1e-8)


def test_jacobians_of_both_modes_agree_for_several_arguments(rng):
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    forward = jacobian(softmax_rows, wrt=(0, 1), mode="forward")(*args)
    reverse = jacobian(softmax_rows, wrt=(0, 1), mode="reverse")(*args)
    assert [j.shape for j in forward] == [(2, 3, 2, 3), (2, 3, 3)]
    for a, b in zip(forward, reverse):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def squared_softmax(Z, b):
    return np.sum(softmax_rows(Z, b) ** 2)


def test_jacobian_of_a_scalar_function_is_its_gradient(rng):
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(jacobian(squared_softmax, wrt="b", mode=mode)(*args),
                                   grad(squared_softmax, wrt="b")(*args), rtol=1e-12)


def test_jacobian_carries_the_source_of_what_it_calls(rng):
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    forward = jacobian(softmax_rows, mode="forward")
    forward(*args)
    assert forward.source.startswith("def jvp_softmax_rows(Z, b, *, dZ):")
    reverse = jacobian(softmax_rows, mode="reverse")
    reverse(*args)
    assert reverse.source.startswith("def vjp_softmax_rows(Z, b, *, d")


def test_jacobian_mode_must_be_known():
    with pytest.raises(GradError, match="mode"):
        jacobian(softmax_rows, mode="sideways")


# ------------------------------------------------------------------------ CLI
def test_cli_shows_forward_mode(capsys):
    from s2sgrad.cli import main
    lecture = str(__import__("lecture").__file__)
    assert main(["show", f"{lecture}:cost", "--mode", "forward", "--wrt", "X,W,V",
                 "--shapes", "X=5x3,Y=5x3,W=4x3,V=3x4"]) == 0
    assert capsys.readouterr().out == GOLDEN.read_text()


def test_cli_emits_a_standalone_forward_module(tmp_path, rng):
    import importlib.util
    from s2sgrad.cli import main
    lecture = str(__import__("lecture").__file__)
    out = tmp_path / "jvp_cost.py"
    assert main(["emit", f"{lecture}:cost", "--mode", "forward", "--wrt", "V", "-o", str(out)]) == 0
    text = out.read_text()
    assert "import s2sgrad" not in text and "def jvp_cost(X, Y, W, V, *, dV):" in text
    spec = importlib.util.spec_from_file_location("jvp_cost_module", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args, v = make_data(rng), rng.normal(size=(3, 4))
    value, tangent = module.jvp_cost(*args, dV=v)
    assert tangent == pytest.approx(jvp(cost, wrt="V")(*args, v)[1], rel=1e-12)


def test_a_one_element_tuple_wrt_gets_tuples_back(rng):
    args = (rng.normal(size=(2, 3)), rng.normal(size=3))
    for mode in ("reverse", "forward"):
        (J,) = jacobian(softmax_rows, wrt=("Z",), mode=mode)(*args)
        assert J.shape == (2, 3, 2, 3)
