"""Writes into shared memory (s2sgrad/aliasing.py): refused where another live name sees them, else right.

NumPy views (``z = y[0]``), two names for one array, arrays kept in a list, and
``+=`` on an array all let a write through one name change what another holds;
the derivative reads each name as a value of its own. Each refused case below
would otherwise give a silently wrong gradient; each accepted one is checked
against finite differences (and its value against the function's).
"""

import numpy as np
import pytest

from s2sgrad import GradError, check_grad, value_and_grad


# ------------------------------------------------------------------ accepted
def accumulate_elements(x):
    acc = x[0]                  # a NumPy scalar when x is a vector: += makes a new one
    for i in range(1, x.shape[0]):
        acc += x[i]
    return np.sum(acc * np.sum(x))


def fill_then_append(x):
    hs = []
    for t in range(x.shape[0]):
        h = np.zeros(3)         # a new array each pass: the rows appended before are not written
        h[0] = np.sum(np.sin(x[t]))
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def write_into_a_view_nothing_else_reads(x):
    y = x * 2.0
    v = y.reshape(-1)           # y is not read after the write
    v[0] = 0.0
    return np.sum(v ** 2)


def number_incremented(s):
    t = s
    t += 1.0                    # on a Python float, += makes a new value
    return t * s


def row_read_modified_written_back(x):
    y = x * 2.0
    for i in range(2):
        z = y[i]
        z = z * 3.0             # a new array: y is not written through z
        y[i] = z
    return np.sum(np.sin(y))


def new_accumulator(x):
    h = np.zeros_like(x)
    for i in range(3):
        h += np.sin(x) * i       # in place, on an array nothing else holds
    return np.sum(h * x)


# The optimizer must not make two names share memory: folding ``x * 1.0`` (the user's own statement)
# to ``x`` made the write below go into x; folding an adjoint ``1.0 * y`` to ``y`` let the sweep's
# restore of ``y[0]`` from the tape change the gradient too.
def copy_by_multiplying_then_write(x):
    y = x * 1.0
    y[0] = 5.0
    return np.sum(x * y)


def copy_then_write(x):
    y = np.copy(x)
    y[0] = 0.0
    return np.sum(x * y)


def copy_of_integers_as_floats_then_write(x, n):
    y = n * 1.0                 # floats: folded to n, the write of 0.5 went into the user's integers
    y[0] = 0.5
    return np.sum(x * y)


def append_views_of_the_argument(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(x[i])       # the list changes, not the rows it holds (views of x)
    return np.sum(np.stack(rows) ** 2) + np.sum(x)


def list_of_lists(x):
    rows = []
    for row in x:
        items = []              # a new list each pass: appending to it changes none appended before
        for v in row:
            items.append(np.tanh(v))
        rows.append(items)
    return np.sum(np.array(rows) ** 2)


ACCEPTED = [
    (append_views_of_the_argument, (np.array([[0.1, 0.2], [0.3, -0.4]]),)),
    (list_of_lists, (np.array([[0.1, 0.2], [0.3, -0.4]]),)),
    (copy_by_multiplying_then_write, (np.array([0.3, 0.1, 0.7]),)),
    (copy_then_write, (np.array([0.3, 0.1, 0.7]),)),
    (copy_of_integers_as_floats_then_write, (np.array([0.3, 0.1, 0.7]), np.array([1, 2, 3]))),
    (accumulate_elements, (np.array([0.3, -0.2, 0.5]),)),
    (fill_then_append, (np.array([[0.1, 0.2], [0.3, -0.4]]),)),
    (write_into_a_view_nothing_else_reads, (np.array([[0.1, 0.2], [0.3, -0.4]]),)),
    (number_incremented, (0.7,)),
    (row_read_modified_written_back, (np.array([[0.1, 0.2], [0.3, -0.4]]),)),
    (new_accumulator, (np.array([0.1, 0.2, -0.3]),)),
]


@pytest.mark.parametrize("func, args", ACCEPTED, ids=[f.__name__ for f, _ in ACCEPTED])
def test_accepted_writes_give_right_gradients(func, args):
    saved = [np.copy(a) for a in args]
    check_grad(func, args)
    value, _ = value_and_grad(func)(*args)
    np.testing.assert_allclose(value, func(*args))
    for before, after in zip(saved, args):
        np.testing.assert_array_equal(before, after)      # the arguments are as they were


# ------------------------------------------------------------------ refused
def write_into_a_view(x):
    y = x * 2.0
    z = y[0]
    z[1] = 1.0                  # changes y[0, 1]
    return np.sum(y)


def write_into_the_array_a_view_reads(x):
    y = x * 2.0
    z = y[0]
    y[0, 1] = 1.0               # changes z[1]
    return np.sum(z * x[0])


def write_into_a_second_name(x):
    y = x * 2.0
    z = y
    z[1] = 1.0
    return np.sum(y)


def write_into_an_array_kept_in_a_list(x):
    hs = []
    h = np.zeros(3)
    hs.append(h)
    h[0] = np.sum(x)            # hs[0] is h
    return np.sum(np.stack(hs) ** 2)


def accumulate_rows(x):
    acc = x[0]                  # a view of x's first row when x is a matrix
    for i in range(1, x.shape[0]):
        acc += x[i]             # changes x[0]
    return np.sum(acc * np.sum(x))


def bump(y):
    y += 1.0
    return y


def increment_the_callers_array(c):
    d = bump(c)
    return np.sum(c * d)


def write_into_a_transpose(x):
    y = np.sin(x)
    t = y.T
    t[0, 1] = 0.0
    return np.sum(y * x)


def append_to_a_list_another_name_holds(x):
    xs = [x * 1.0]
    ys = xs
    xs.append(x * 2.0)          # ys is the same list
    return np.sum(np.stack(ys) ** 2)


def write_into_a_list_kept_in_a_list(x):
    items = [x * 1.0, x * 2.0]
    rows = [items]
    items[0] = x * 3.0          # rows[0] is items
    return np.sum(np.array(rows) ** 2)


def write_into_an_array_appended_to_a_list(x):
    hs = []
    h = x * 1.0
    hs.append(h)
    h += 1.0                    # hs[0] is h
    return np.sum(np.stack(hs) ** 2)


REFUSED = [
    (append_to_a_list_another_name_holds, (np.ones(2),), "changing xs in place", "ys"),
    (write_into_a_list_kept_in_a_list, (np.ones(2),), "writing into items", "rows"),
    (write_into_an_array_appended_to_a_list, (np.ones(2),), "changing h in place", "hs"),
    (write_into_a_view, (np.ones((2, 2)),), "writing into z", "y"),
    (write_into_the_array_a_view_reads, (np.ones((2, 2)),), "writing into y", "z"),
    (write_into_a_second_name, (np.ones(2),), "writing into z", "y"),
    (write_into_an_array_kept_in_a_list, (np.ones(2),), "writing into h", "hs"),
    (accumulate_rows, (np.ones((3, 2)),), "changing acc in place", "x"),
    (increment_the_callers_array, (np.ones(2),), "changing y in place", "c"),
    (write_into_a_transpose, (np.ones((2, 2)),), "writing into t", "y"),
]


@pytest.mark.parametrize("func, args, what, other", REFUSED, ids=[f[0].__name__ for f in REFUSED])
def test_writes_another_live_name_sees_are_refused(func, args, what, other):
    with pytest.raises(GradError) as info:
        value_and_grad(func)(*args)
    error = info.value
    assert error.message.startswith(what) and f"may share memory with {other}" in error.message
    assert error.origin is not None and error.hint


def test_a_python_float_argument_may_be_incremented_in_a_helper():
    """The same program as increment_the_callers_array, with a number: += makes a new one, no error."""
    check_grad(increment_the_callers_array, (0.4,))


# ------------------------------------------------------------ views are known
def _rule_cases():
    import rule_cases
    for key, cases in sorted(rule_cases.CASES.items()):
        yield from ((key, c) for c in cases)
    for key, cases in sorted(rule_cases.METHOD_CASES.items()):
        yield from ((key, c) for c in cases)


def test_every_rule_case_returning_shared_memory_is_seen_as_sharing(tmp_path):
    """Soundness of the may-alias analysis on every call the rule matrix exercises: where NumPy's result
    shares memory with an argument (a view, or the argument itself), a write into it is refused."""
    import importlib.util
    import math
    from s2sgrad.aliasing import check_aliasing
    from s2sgrad.api import program_of
    rng = np.random.default_rng(0)
    sharing, missed = [], []
    for n, (key, case) in enumerate(_rule_cases()):
        if case.fn is not None:
            continue
        args = {k: spec(rng) for k, spec in case.args.items()}
        try:
            with np.errstate(all="ignore"):
                result = eval(case.expr, {"np": np, "math": math}, dict(args))
        except Exception:      # pragma: no cover - a case for another NumPy version
            continue
        first = result[0] if isinstance(result, (tuple, list)) else result
        if not any(isinstance(a, np.ndarray) and isinstance(first, np.ndarray) and np.shares_memory(first, a)
                   for a in args.values()):
            continue
        sharing.append(case.expr)
        params = ", ".join(args)
        pick = "[0]" if isinstance(result, (tuple, list)) else ""
        path = tmp_path / f"shares_{n}.py"
        path.write_text(f"import math\nimport numpy as np\n\n\ndef g({params}):\n    r = ({case.expr}){pick}\n"
                        f"    r[...] = 0.0\n    return {' + '.join(f'np.sum({a})' for a in args)}\n")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        try:
            check_aliasing(program_of(module.g))
        except GradError as exc:
            assert "may share memory" in exc.message
        else:
            missed.append(case.expr)
    assert not missed, f"calls whose result shares an argument's memory, taken for new arrays: {missed}"
    assert len(sharing) >= 10, sharing      # reshape, transpose, ravel, squeeze, ... are exercised


def reads_a_transpose_then_writes_its_base(x):
    m = np.ones_like(x)
    m[1] = np.sin(np.sum(m.T @ x))          # m.T was read before the write; its adjoint needs the old row
    return np.sum(np.sin(m.T))


def reads_a_slice_then_writes_its_base(x):
    m = x * 2.0
    head = m[:2]
    s = np.sum(head * x[:2])                # (read after the write, head would be refused: it changes too)
    m[0] = 5.0
    return s + np.sum(m ** 2)


@pytest.mark.parametrize("func", [reads_a_transpose_then_writes_its_base, reads_a_slice_then_writes_its_base])
def test_a_view_read_before_a_write_into_its_base_sees_the_old_values_in_the_adjoint(func, rng):
    x = rng.normal(size=(3, 1)) if func is reads_a_transpose_then_writes_its_base else rng.normal(size=4)
    check_grad(func, (x,))
