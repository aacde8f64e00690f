"""Every error a user can meet, audited: what construct, where (file:line), and what to do instead.

Each case below is a function (or call) s2sgrad must refuse. The offending
line is marked ``# <- HERE`` in this file; the test asserts that s2sgrad
raises :class:`GradError` (or, for a mistake NumPy itself reports at call
time, NumPy's own exception with the user's line attached), that the message
names the construct, that it points at the marked ``file:line``, that it
carries a hint, and that no internal exception is chained to it (the user sees
one error, not a traceback of s2sgrad's). ``docs/errors.md`` is the table of
these errors; ``test_the_docs_table_lists_every_case`` keeps the two in step.
"""

import functools
import inspect
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import s2sgrad
from s2sgrad import GradError, grad, value_and_grad, vjp

HERE = os.path.abspath(__file__)
DOCS = os.path.join(os.path.dirname(HERE), "..", "docs", "errors.md")


def marked_line(func, marker="# <- HERE"):
    """The absolute line number of the line of ``func``'s source carrying ``marker``."""
    lines, first = inspect.getsourcelines(func)
    hits = [first + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"{func.__name__} must mark exactly one line"
    return hits[0]


# ============================================================ unsupported syntax
def uses_try(x):
    try:  # <- HERE
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def uses_with(x):
    with np.errstate(all="ignore"):  # <- HERE
        y = np.log(x)
    return np.sum(y)


def uses_yield(x):
    for row in x:
        yield np.sum(row)  # <- HERE


def uses_yield_from(x):
    yield from x  # <- HERE


async def is_async(x):  # <- HERE
    return np.sum(x)


def defines_a_class(x):
    class Box:  # <- HERE
        value = 1.0
    return np.sum(x) * Box.value


def nested_function_escapes(x):
    def scale(y):
        return y * x
    scales = [scale]  # <- HERE
    return np.sum(scales[0](x))


def nested_function_in_a_loop(x):
    total = 0.0
    for k in range(2):
        def scale(y):  # <- HERE
            return y * k
        total = total + np.sum(scale(x))
    return total


def local_function_calls_itself(x):
    def halve(y):
        return halve(y / 2) if np.max(y) > 1 else y  # <- HERE
    return np.sum(halve(x))


COUNTER = 0.0


def writes_a_global(x):
    global COUNTER  # <- HERE
    COUNTER = np.sum(x)
    return COUNTER


def writes_a_nonlocal():
    total = 0.0

    def inner(x):
        nonlocal total  # <- HERE
        total = np.sum(x)
        return total
    return inner


def deletes_a_name(x):
    y = x * 2
    del y  # <- HERE
    return np.sum(x)


def imports_inside(x):
    import math  # <- HERE
    return np.sum(x) * math.pi


def star_args(*xs):  # <- HERE
    return np.sum(xs[0])


def star_kwargs(x, **options):  # <- HERE
    return np.sum(x)


def keyword_only(x, *, scale=1.0):  # <- HERE
    return np.sum(x) * scale


def positional_only(x, /):  # <- HERE
    return np.sum(x)


def not_ours(func):
    @functools.wraps(func)
    def wrapper(*args):
        return func(*args)
    return wrapper


@not_ours  # <- HERE
def has_a_decorator(x):
    return np.sum(x)


def lambda_inside(x):
    squares = [(lambda y: y * y)(v) for v in x]  # <- HERE
    return np.sum(squares)


def list_comprehension_that_may_not_run(x):
    parts = [np.sin(v) for v in x] if np.sum(x) > 0 else [x]  # <- HERE
    return np.sum(parts)


def set_comprehension(x):
    parts = {float(v) for v in x}  # <- HERE
    return np.sum(x) * len(parts)


def dict_comprehension(x):
    parts = {i: v for i, v in enumerate(x)}  # <- HERE
    return np.sum(parts[0])


def generator_expression_in_a_while_condition(x):
    while sum(v * v for v in x) > 1.0:  # <- HERE
        x = x * 0.5
    return np.sum(x)


def walrus(x):
    if (n := np.sum(x)) > 0:  # <- HERE
        return n
    return -n


def match_statement(x, kind):
    match kind:  # <- HERE
        case 1:
            y = x
        case _:
            y = -x
    return np.sum(y)


def for_else(x):
    total = 0.0
    for v in x:  # <- HERE
        total = total + v
    else:
        total = total * 2
    return total


def while_else(x):
    i = 0
    while i < 2:  # <- HERE
        i = i + 1
    else:
        x = x * 2
    return np.sum(x)


def starred_assignment(x):
    first, *rest = x  # <- HERE
    return first


def attribute_assignment(x):
    box = np.zeros(1)
    box.flags.writeable = False  # <- HERE
    return np.sum(x)


def starred_call(x):
    args = (x, 2.0)
    return np.sum(np.power(*args))  # <- HERE


def keyword_unpacking(x):
    options = {"axis": 0}
    return np.sum(np.sum(x, **options))  # <- HERE


def set_literal(x):
    choices = {1.0, 2.0}  # <- HERE
    return np.sum(x) * len(choices)


def dict_unpacking(x):
    base = {"a": x}
    more = {**base}  # <- HERE
    return np.sum(more["a"])


def calls_a_local_name(x):
    fn = np.sin
    return np.sum(fn(x))  # <- HERE


def calls_an_expression(x):
    fns = [np.sin]
    return np.sum(fns[0](x))  # <- HERE


def undefined_name(x):
    return np.sum(x * not_defined_anywhere)  # <- HERE  # noqa: F821


def missing_attribute(x):
    return np.sum(np.no_such_function(x))  # <- HERE


def returns_nothing(x):  # <- HERE
    y = np.sum(x)


def augmented_attribute(x):
    y = x * 2
    y.real += 1.0  # <- HERE
    return np.sum(y)


def loop_target_subscript(x):
    out = np.zeros(1)
    for out[0] in x:  # <- HERE
        pass
    return np.sum(out)


def assignment_into_attribute(x):
    y = x * 2
    y.real[0] = 1.0  # <- HERE
    return np.sum(y)


def nested_subscript_assignment(x):
    y = x * 2
    y[0][1] = 1.0  # <- HERE
    return np.sum(y)


def writes_into_a_view(x):
    y = x * 2
    z = y[1:]
    z[0] = 1.0  # <- HERE
    return np.sum(y)


def augments_an_argument_in_place(x):
    y = x
    y += 1.0  # <- HERE
    return np.sum(x * y)


def calls_eval(x):
    return np.sum(eval("x * 2"))  # <- HERE


SYNTAX = [
    # (function, words the message must contain)
    (uses_try, "try"),
    (uses_with, "with"),
    (uses_yield, "yield"),
    (uses_yield_from, "yield from"),
    (is_async, "async"),
    (defines_a_class, "class"),
    (nested_function_escapes, "the local function scale is used other than by calling it"),
    (nested_function_in_a_loop, "nested function definition here"),
    (local_function_calls_itself, "the local function halve calls itself"),
    (writes_a_global, "global"),
    (writes_a_nonlocal(), "nonlocal"),
    (deletes_a_name, "del"),
    (imports_inside, "import"),
    (star_args, "*xs"),
    (star_kwargs, "**options"),
    (keyword_only, "keyword-only"),
    (positional_only, "positional-only"),
    (has_a_decorator, "decorat"),
    (lambda_inside, "lambda"),
    (list_comprehension_that_may_not_run, "list comprehension"),
    (set_comprehension, "set comprehension"),
    (dict_comprehension, "dict comprehension"),
    (generator_expression_in_a_while_condition, "generator expression"),
    (walrus, ":="),
    (match_statement, "match"),
    (for_else, "for ... else"),
    (while_else, "while ... else"),
    (starred_assignment, "starred assignment"),
    (attribute_assignment, "attribute"),
    (starred_call, "*"),
    (keyword_unpacking, "**"),
    (set_literal, "set"),
    (dict_unpacking, "**"),
    (calls_a_local_name, "fn"),
    (calls_an_expression, "calling"),
    (undefined_name, "not_defined_anywhere"),
    (missing_attribute, "no_such_function"),
    (returns_nothing, "returns nothing"),
    (augmented_attribute, "augmented assignment to an attribute"),
    (loop_target_subscript, "loop target"),
    (assignment_into_attribute, "writing into y.real"),
    (nested_subscript_assignment, "writing into y[0]"),
    (writes_into_a_view, "writing into z is not supported here: z may share memory with y"),
    (augments_an_argument_in_place, "changing y in place (y += ... on an array) is not supported here"),
    (calls_eval, "eval()"),
]


def assert_reports(exc, func, words, line=None):
    """The GradError names ``words``, points at the marked line of ``func``, hints, and stands alone."""
    message = str(exc)
    assert re.search(re.escape(words), message, re.IGNORECASE), f"{words!r} not in {message!r}"
    assert exc.origin is not None, f"no file:line in {message!r}"
    expected = line if line is not None else marked_line(func)
    assert os.path.abspath(exc.origin.filename) == HERE, (exc.origin, HERE)
    assert exc.origin.lineno == expected, f"points at line {exc.origin.lineno}, the construct is at {expected}"
    assert f"{os.path.basename(HERE)}:{expected}" in message
    assert exc.hint, f"no hint in {message!r}"
    assert "hint:" in message
    assert "Traceback" not in message
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__), \
        "an internal exception is chained to the GradError"


@pytest.mark.parametrize("func, words", SYNTAX, ids=[f.__name__ for f, _ in SYNTAX])
def test_unsupported_syntax(func, words):
    with pytest.raises(GradError) as info:
        grad(func)(np.ones(3))
    assert_reports(info.value, func, words)


def test_every_syntax_case_is_distinct():
    assert len({f.__name__ for f, _ in SYNTAX}) == len(SYNTAX)


# ============================================================ calls with no rule
def calls_unwrap(x):
    return np.sum(np.unwrap(x))  # <- HERE


def calls_np_gradient(x):
    return np.sum(np.gradient(x))  # <- HERE


def calls_fft(x):
    return np.sum(np.fft.fft(x).real)  # <- HERE


def calls_gradient_at_points(x):
    return np.sum(np.gradient(x, [0.0, 1.0, 3.0]))  # <- HERE


def calls_a_builtin_function_without_source(x):
    return np.sum(np.i0(x))  # <- HERE


def calls_an_unknown_method(x):
    return np.sum(x * x.ptp())  # <- HERE


NO_RULE = [
    (calls_unwrap, "unwrap"),
    (calls_np_gradient, "gradient"),
    (calls_fft, "fft"),
    (calls_gradient_at_points, "gradient"),
    (calls_a_builtin_function_without_source, "i0"),
    (calls_an_unknown_method, "ptp"),
]


@pytest.mark.parametrize("func, words", NO_RULE, ids=[f.__name__ for f, _ in NO_RULE])
def test_calls_with_no_rule(func, words):
    with pytest.raises(GradError) as info:
        grad(func)(np.linspace(0.1, 0.9, 4))
    assert_reports(info.value, func, words)
    assert "defrule" in info.value.hint or "rule" in info.value.hint


# ============================================================ how it is called
def cost(X, W):  # <- HERE
    return np.sum(np.tanh(X @ W))


def vector_valued(x):  # <- HERE
    return np.sin(x)


def matmul_cost(X, W):
    U = X @ W  # <- HERE
    return np.sum(U)


def test_grad_of_a_non_scalar_output():
    with pytest.raises(GradError) as info:
        grad(vector_valued)(np.ones(3))
    assert_reports(info.value, vector_valued, "scalar")
    assert "vjp" in info.value.hint


def test_value_and_grad_of_a_non_scalar_output():
    with pytest.raises(GradError) as info:
        value_and_grad(vector_valued)(np.ones(3))
    assert_reports(info.value, vector_valued, "scalar")


def returns_a_tuple(x):
    loss = np.sum(x ** 2)
    return loss, x  # <- HERE


def returns_a_list(x):
    parts = [np.sum(x), np.sum(x ** 2)]
    return parts  # <- HERE


def returns_its_argument(xs):
    return xs  # <- HERE


@pytest.mark.parametrize("make", [grad, value_and_grad], ids=["grad", "value_and_grad"])
@pytest.mark.parametrize("func, kind", [(returns_a_tuple, "tuple"), (returns_a_list, "list")],
                         ids=["tuple", "list"])
def test_several_outputs_are_refused_at_the_return_line(make, func, kind, recwarn):
    """Once a TypeError inside generated code ("'float' object is not subscriptable", the seed 1.0 unpacked
    as the tuple) and a SyntaxWarning from compiling that code; now a GradError, where grad(f) is called."""
    with pytest.raises(GradError) as info:
        make(func)
    assert_reports(info.value, func, f"needs a scalar output, but {func.__name__} returns a {kind}")
    assert "s2sgrad.vjp" in info.value.hint and "jacobian" in info.value.hint
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


def test_a_container_argument_returned_is_refused_at_the_first_call(recwarn):
    """Nothing in the code says xs is a list; the first call's probe does."""
    derivative = grad(returns_its_argument)
    with pytest.raises(GradError) as info:
        derivative([np.ones(2), np.ones(3)])
    assert_reports(info.value, returns_its_argument, "returns a list")
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


def test_the_hint_for_several_outputs_works():
    """The hint's vjp, with one cotangent per output, gives the gradient of the first output."""
    x = np.linspace(0.1, 0.9, 4)
    found = vjp(returns_a_tuple)(x, (1.0, np.zeros(4)))
    np.testing.assert_allclose(found, 2 * x)


WRONG_WRT = [
    ("V", "'V' names no parameter"),
    (("X", "Q"), "'Q' names no parameter"),
    (2, "out of range"),
    (-3, "out of range"),
    ((), "wrt is empty"),
    (1.5, "wrt must be"),
    ((None,), "wrt must be"),
]


@pytest.mark.parametrize("wrt, words", WRONG_WRT, ids=["unknown-name", "unknown-in-tuple", "index-too-large",
                                                      "index-too-small", "empty", "float", "none"])
def test_wrong_wrt(wrt, words):
    with pytest.raises(GradError) as info:
        grad(cost, wrt=wrt)
    assert_reports(info.value, cost, words)


def test_wrt_names_the_parameters_in_the_message():
    with pytest.raises(GradError) as info:
        grad(cost, wrt="V")
    assert "X, W" in str(info.value)


INTEGER_INPUTS = [
    (np.ones((2, 3), dtype=int), np.ones((3, 2)), "X"),
    (np.ones((2, 3)), np.ones((3, 2), dtype=np.int32), "W"),
    (np.ones((2, 3)), np.ones((3, 2), dtype=bool), "W"),
]


@pytest.mark.parametrize("X, W, name", INTEGER_INPUTS, ids=["int64-array", "int32-array", "bool-array"])
def test_integer_valued_inputs(X, W, name):
    with pytest.raises(GradError) as info:
        grad(cost, wrt=name)(X, W)
    assert_reports(info.value, cost, f"argument {name}")
    assert "integer" in str(info.value) or "bool" in str(info.value)
    assert "astype(float)" in info.value.hint


def test_a_python_int_argument_is_refused_too():
    with pytest.raises(GradError) as info:
        grad(vector_valued)(3)
    assert_reports(info.value, vector_valued, "integer")


def test_integer_inputs_not_differentiated_are_fine():
    X, W = np.arange(6).reshape(2, 3), np.ones((3, 2)) * 0.1
    dW = grad(cost, wrt="W")(X, W)
    np.testing.assert_allclose(dW, X.T @ (1 - np.tanh(X @ W) ** 2))


def test_shape_mismatch_at_call_time_is_numpys_error_at_the_users_line():
    with pytest.raises(ValueError) as info:
        grad(matmul_cost, wrt="W")(np.ones((2, 3)), np.ones((4, 2)))
    exc = info.value
    assert "matmul" in str(exc) or "shapes" in str(exc) or "mismatch" in str(exc)   # NumPy's own words
    where = f"{os.path.basename(HERE)}:{marked_line(matmul_cost)}"
    notes = "\n".join(getattr(exc, "__notes__", []))
    assert where in notes, f"the user's line {where} is not in the notes {notes!r}"
    assert "U = X @ W" in notes


def test_wrong_number_of_arguments_at_call_time():
    with pytest.raises(GradError) as info:
        grad(cost)(np.ones((2, 3)))
    assert_reports(info.value, cost, "missing")


def test_unknown_keyword_at_call_time():
    with pytest.raises(GradError) as info:
        grad(cost)(np.ones((2, 3)), np.ones((3, 2)), V=1)
    assert_reports(info.value, cost, "V")


def test_vjp_called_without_a_cotangent():
    with pytest.raises(GradError) as info:
        vjp(cost)()
    assert_reports(info.value, cost, "cotangent")


# ============================================================ source that cannot be found
MADE_BY_EXEC = {}
exec("def made_by_exec(x):\n    return x * 2\n", MADE_BY_EXEC)
MADE_BY_EVAL = eval("lambda x: x * 2")


class Model:
    def loss(self, x):
        return np.sum(x)

    def __call__(self, x):
        return np.sum(x)


NO_SOURCE = [
    (MADE_BY_EXEC["made_by_exec"], "source"),
    (MADE_BY_EVAL, "source"),
    (np.sin, "not a Python function"),
    (len, "not a Python function"),
    (functools.partial(cost, np.ones((2, 3))), "not a Python function"),
    (Model(), "not a Python function"),
    (Model().loss, "bound method"),
]


@pytest.mark.parametrize("func, words", NO_SOURCE, ids=["exec", "eval-lambda", "ufunc", "builtin", "partial",
                                                       "callable-object", "bound-method"])
def test_source_that_cannot_be_found(func, words):
    with pytest.raises(GradError) as info:
        grad(func)
    exc = info.value
    assert words in str(exc)
    assert exc.hint
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def test_source_that_cannot_be_found_points_where_it_can():
    with pytest.raises(GradError) as info:
        grad(MADE_BY_EXEC["made_by_exec"])
    assert "<string>:1" in str(info.value)
    assert "eval/exec" in info.value.hint


# ============================================================ calls that change an array in place
# Each would otherwise be a silently wrong derivative: the call changes y, which the derivative takes to
# still hold its old value (s2sgrad/mutation.py).
BUFFER = np.zeros(4)


def fills(x):
    y = x * 2.0
    y.fill(0.0)  # <- HERE
    return np.sum(y)


def sorts(x):
    y = np.sin(x)
    y.sort()  # <- HERE
    return np.sum(y * np.arange(4.0))


def partitions(x):
    y = np.sin(x)
    y.partition(1)  # <- HERE
    return np.sum(y * np.arange(4.0))


def puts_by_method(x):
    y = x * 2.0
    y.put([0], 5.0)  # <- HERE
    return np.sum(y)


def resizes(x):
    y = x * 2.0
    y.resize((2, 2))  # <- HERE
    return np.sum(y)


def out_keyword(x):
    y = x * 2.0
    np.sin(x, out=y)  # <- HERE
    return np.sum(y)


def out_in_an_assignment(x):
    y = x * 2.0
    z = np.exp(x, out=y)  # <- HERE
    return np.sum(y * z)


def out_by_position(x):
    y = x * 2.0
    np.add(x, x, y)  # <- HERE
    return np.sum(y)


def out_of_a_method(x):
    y = x * 2.0
    x.clip(0.2, 0.8, out=y)  # <- HERE
    return np.sum(y)


def copies_into(x):
    y = np.zeros(4)
    np.copyto(y, x)  # <- HERE
    return np.sum(y ** 2)


def puts(x):
    y = x * 2.0
    np.put(y, [0], 5.0)  # <- HERE
    return np.sum(y)


def places(x):
    y = x * 2.0
    np.place(y, y > 1.0, 0.0)  # <- HERE
    return np.sum(y)


def puts_by_mask(x):
    y = x * 2.0
    np.putmask(y, y > 1.0, 0.0)  # <- HERE
    return np.sum(y)


def fills_the_diagonal(x):
    y = np.outer(x, x)
    np.fill_diagonal(y, 0.0)  # <- HERE
    return np.sum(y)


def shuffles(x):
    y = x * 2.0
    np.random.shuffle(y)  # <- HERE
    return np.sum(y * np.arange(4.0))


def multiplies_at(x):
    y = x * 2.0
    np.multiply.at(y, [0, 0], 3.0)  # <- HERE
    return np.sum(y)


def reverses_a_list(x):
    hs = [x * 2.0, x * 3.0]
    hs.reverse()  # <- HERE
    return np.sum(hs[0])


def extends_a_list(x):
    hs = [x * 2.0]
    hs.extend([x * 3.0])  # <- HERE
    return np.sum(hs[-1])


def pops_and_drops(x):
    hs = [x * 2.0, x * 3.0]
    hs.pop()  # <- HERE
    return np.sum(hs[-1])


def writes_into_a_module_array(x):
    np.multiply(x, 2.0, out=BUFFER)  # <- HERE
    return np.sum(BUFFER * x)


IN_PLACE = [
    # (function, words the message must contain)
    (fills, "y.fill(0.0) changes y in place"),
    (sorts, "y.sort() changes y in place"),
    (partitions, "y.partition(1) changes y in place"),
    (puts_by_method, "y.put([0], 5.0) changes y in place"),
    (resizes, "y.resize((2, 2)) changes y in place"),
    (out_keyword, "np.sin(x, out=y) changes y in place"),
    (out_in_an_assignment, "np.exp(x, out=y) changes y in place"),
    (out_by_position, "np.add(x, x, y) changes y in place"),
    (out_of_a_method, "x.clip(0.2, 0.8, out=y) changes y in place"),
    (copies_into, "np.copyto(y, x) changes y in place"),
    (puts, "np.put(y, [0], 5.0) changes y in place"),
    (places, "np.place(y, y > 1.0, 0.0) changes y in place"),
    (puts_by_mask, "np.putmask(y, y > 1.0, 0.0) changes y in place"),
    (fills_the_diagonal, "np.fill_diagonal(y, 0.0) changes y in place"),
    (shuffles, "np.random.shuffle(y) changes y in place"),
    (multiplies_at, "np.multiply.at(y, [0, 0], 3.0) changes y in place"),
    (reverses_a_list, "hs.reverse() changes hs in place"),
    (extends_a_list, "hs.extend([x * 3.0]) changes hs in place"),
    (pops_and_drops, "hs.pop() changes hs in place"),
    (writes_into_a_module_array, "np.multiply(x, 2.0, out=BUFFER) changes BUFFER in place"),
]


@pytest.mark.parametrize("func, words", IN_PLACE, ids=[f.__name__ for f, _ in IN_PLACE])
def test_calls_that_change_an_array_in_place(func, words):
    with pytest.raises(GradError) as info:
        grad(func)(np.linspace(0.1, 0.9, 4))
    assert_reports(info.value, func, words)
    assert "which s2sgrad does not differentiate" in info.value.message


@pytest.mark.parametrize("func", [fills, out_keyword, copies_into, multiplies_at],
                         ids=["fill", "out", "copyto", "multiply-at"])
def test_forward_mode_refuses_them_too(func):
    with pytest.raises(GradError) as info:
        s2sgrad.jvp(func)(np.linspace(0.1, 0.9, 4), np.ones(4))
    assert_reports(info.value, func, "changes y in place")


# ============================================================ lists used as values
def zips_into_a_list(x):
    hs, ks = [x * 2.0, x * 3.0], [x, x * x]
    pairs = list(zip(hs, ks))  # <- HERE
    return np.sum(pairs[0][0] * pairs[1][1])


def enumerates_into_a_list(x):
    hs = [x * 2.0, x * 3.0]
    numbered = list(enumerate(hs))  # <- HERE
    return np.sum(numbered[1][1])


def assigns_a_slice_of_a_list(x):
    hs = [x, x * 2.0, x * 3.0]
    hs[1:] = [x * 5.0]  # <- HERE
    return np.sum(hs[-1] * hs[0])


def loops_over_the_pieces_of_a_split(x):
    total = 0.0
    for piece in np.split(x, 2):  # <- HERE
        total = total + np.sum(piece ** 2)
    return total


LIST_VALUES = [
    # (function, words the message must contain)
    (loops_over_the_pieces_of_a_split, "np.split(x, 2) returns a number of arrays that s2sgrad cannot count"),
    (zips_into_a_list, "zip(...) kept as a value is not differentiated"),
    (enumerates_into_a_list, "enumerate(...) kept as a value is not differentiated"),
    (assigns_a_slice_of_a_list, "assigning to a slice of the list hs is not differentiated in reverse mode"),
]


@pytest.mark.parametrize("func, words", LIST_VALUES, ids=[f.__name__ for f, _ in LIST_VALUES])
def test_list_values_that_are_refused(func, words):
    with pytest.raises(GradError) as info:
        grad(func)(np.linspace(0.1, 0.9, 4))
    assert_reports(info.value, func, words)


@pytest.mark.parametrize("func", [zips_into_a_list, enumerates_into_a_list], ids=["zip", "enumerate"])
def test_forward_mode_refuses_kept_iterators_too(func):
    with pytest.raises(GradError) as info:
        s2sgrad.jvp(func)(np.linspace(0.1, 0.9, 4), np.ones(4))
    assert_reports(info.value, func, "kept as a value")


def test_forward_mode_assigns_a_slice_of_a_list():
    """Forward mode follows the slice assignment on the tangent list, so it is right, not refused."""
    x, v = np.linspace(0.1, 0.9, 4), np.linspace(1.0, 2.0, 4)
    _, tangent = s2sgrad.jvp(assigns_a_slice_of_a_list)(x, v)
    eps = 1e-6
    expected = (assigns_a_slice_of_a_list(x + eps * v) - assigns_a_slice_of_a_list(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


# ============================================================ the table in the docs
# the single-case tests above: non-scalar output (grad, value_and_grad), a Python int argument, a shape
# mismatch at call time, too few arguments, an unknown keyword, vjp without a cotangent
SINGLE_CASES = 9      # (and a tuple output, a list output)
AUDITED = len(SYNTAX) + len(NO_RULE) + len(IN_PLACE) + len(LIST_VALUES) + len(WRONG_WRT) + len(INTEGER_INPUTS) + len(NO_SOURCE) \
    + SINGLE_CASES


def test_at_least_forty_bad_inputs_are_audited():
    assert AUDITED >= 40, AUDITED


def test_the_docs_table_lists_every_case():
    with open(DOCS, encoding="utf-8") as handle:
        table = handle.read()
    rows = [line for line in table.splitlines()
            if line.startswith("|") and not line.startswith("|---") and not line.startswith("| Construct")]
    assert len(rows) >= 40, f"docs/errors.md lists {len(rows)} errors"
    for func, _ in SYNTAX + NO_RULE + IN_PLACE + LIST_VALUES:     # the documented message is the one users get
        with pytest.raises(GradError) as info:
            grad(func)(np.linspace(0.1, 0.9, 4))
        message = re.sub(r"\b" + re.escape(func.__name__) + r"\b", "f", info.value.message)
        assert message[:30] in table, f"docs/errors.md has no row for {message!r}"


# ============================================================ what the user sees of a GradError
SCRIPT = '''
import numpy as np
import s2sgrad


def no_rule(x):
    return np.sum(np.unwrap(x))


def vector_valued(x):
    return np.sin(x)


def missing(x):
    return np.sum(np.no_such_function(x))


CASE = {case!r}
if CASE == "at grad":
    s2sgrad.grad(no_rule)  # <- CALL
elif CASE == "at the call":
    s2sgrad.grad(vector_valued)(np.ones(3))  # <- CALL
elif CASE == "decorator":
    s2sgrad.jvp(wrt=0)(missing)  # <- CALL
elif CASE == "source":
    print(s2sgrad.value_and_grad(vector_valued).source_for(np.ones(3)))  # <- CALL
'''


def run_script(tmp_path, case, debug=False):
    """Run a script that meets a GradError in a fresh interpreter: (its path, the call's line, stderr)."""
    path = tmp_path / "user_script.py"
    path.write_text(SCRIPT.format(case=case))
    lines = SCRIPT.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "<- CALL" in text and f'"{case}"' in lines[i - 2])
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(s2sgrad.__file__))))
    env.pop("S2SGRAD_DEBUG", None)
    if debug:
        env["S2SGRAD_DEBUG"] = "1"
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120,
                          cwd=str(tmp_path))
    assert done.returncode == 1 and "GradError" in done.stderr, done.stderr
    return path, line, done.stderr


PACKAGE = os.path.dirname(os.path.abspath(s2sgrad.__file__)) + os.sep


@pytest.mark.parametrize("case", ["at grad", "at the call", "decorator", "source"])
def test_a_grad_error_shows_the_users_frames_and_the_message(case, tmp_path):
    """Once 19-29 lines of s2sgrad's own frames before the message; now the user's call, one line of
    s2sgrad's (the public entry point), and the message naming the user's file:line."""
    path, line, stderr = run_script(tmp_path, case)
    assert f'File "{path}", line {line}' in stderr, stderr
    assert any(text.startswith(f"s2sgrad.errors.GradError: {path}:") for text in stderr.splitlines()), stderr
    internal = [text for text in stderr.splitlines() if PACKAGE in text]
    assert len(internal) <= 1, stderr
    assert "During handling" not in stderr and "direct cause" not in stderr, stderr
    assert len(stderr.splitlines()) <= 10, stderr


def test_the_debug_switch_keeps_the_internal_frames(tmp_path):
    path, line, stderr = run_script(tmp_path, "at grad", debug=True)
    assert f'File "{path}", line {line}' in stderr
    assert len([text for text in stderr.splitlines() if PACKAGE in text]) > 3, stderr


def test_the_trimmed_error_is_the_same_error():
    """Trimming keeps the exception itself: its message, origin and hint, catchable as before."""
    with pytest.raises(GradError) as info:
        grad(vector_valued)(np.ones(3))
    assert info.value.__traceback__ is not None
    frames = [frame.filename for frame in __import__("traceback").extract_tb(info.value.__traceback__)]
    assert len([f for f in frames if f.startswith(PACKAGE)]) == 1, frames
    assert_reports(info.value, vector_valued, "scalar")


def test_value_and_grad_code_for_a_non_scalar_output_is_refused_too():
    """Its source (and so an emitted value_and_grad_f) would otherwise return the gradient of the sum."""
    with pytest.raises(GradError) as info:
        value_and_grad(vector_valued).source_for(np.ones(3))
    assert_reports(info.value, vector_valued, "scalar")


# ============================================================ messages name only what the user wrote
def sums_an_expression(x):
    return sum(x * 2.0)  # <- HERE


TEMPORARY = re.compile(r"\bt\d+\b")     # the names normalization gives intermediate values (s2sgrad/naming.py)


def test_a_message_never_names_an_internal_temporary():
    """``sum(x * 2.0)`` in code for arguments of any shape once said "sum(t1): ... whether t1 is a list"."""
    with pytest.raises(GradError) as info:
        grad(sums_an_expression).generic_source
    assert_reports(info.value, sums_an_expression, "sum(...): s2sgrad cannot tell whether its argument is a list")
    assert not TEMPORARY.search(str(info.value)), str(info.value)


def test_no_audited_message_names_an_internal_temporary():
    """Every refusal above, on functions none of which names a variable t1, t2, ..."""
    for func, _ in SYNTAX + NO_RULE + IN_PLACE + LIST_VALUES:
        assert not TEMPORARY.search(inspect.getsource(func)), func.__name__
        with pytest.raises(GradError) as info:
            grad(func)(np.linspace(0.1, 0.9, 4))
        assert not TEMPORARY.search(str(info.value)), (func.__name__, str(info.value))
