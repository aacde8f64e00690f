"""Every failure the fuzzer found, shrunk, kept as a program that goes through all the oracles again.

A case is the shrunk program's module source, its arguments (by shape; ``float``
for a Python float, ``Complex(shape)`` for complex values, an integer array as
itself) and ``wrt``. Cases for bugs fixed in s2sgrad must pass;
cases for bugs found but not fixed yet are strict xfails naming the bug (``OPEN``, see
``fuzz_oracles.KNOWN_BUGS``): when one starts passing, remove its xfail and
its KNOWN_BUGS entry. Cases for constructs now refused (a GradError naming them, where
the derivative used to be silently wrong) are in ``REJECTED``.
"""

import textwrap

import numpy as np
import pytest

from fuzz_oracles import Unsupported, check_program
from fuzz_programs import Program



class Complex(tuple):
    """The shape of a complex argument in :func:`case`."""


def case(source, wrt, *shapes, name="f"):
    """A :class:`Program` from source text and argument shapes (``"float"``: a Python float)."""
    rng = np.random.default_rng(20240)

    def value(s):
        if isinstance(s, Complex):
            return rng.uniform(-1, 1, s) + 1j * rng.uniform(-1, 1, s)
        if isinstance(s, str) and s == "float":
            return float(rng.uniform(-1, 1))
        if isinstance(s, (int, np.ndarray)):
            return s
        return rng.uniform(-1, 1, s)

    def values():
        return tuple(value(s) for s in shapes)

    wrt_names = wrt if isinstance(wrt, tuple) else (wrt,)
    params = [line for line in source.splitlines() if line.startswith(f"def {name}(")][0]
    params = [p.strip() for p in params[params.index("(") + 1:params.index(")")].split(",")]
    indices = tuple(w if isinstance(w, int) else params.index(w) for w in wrt_names)
    return Program(textwrap.dedent(source), name, values(), values(), wrt, indices, frozenset())


FIXED = {
    # a module constant np.float64(0.75) was written into the derivative as a literal, which Python's compiler
    # rejects (TypeError: got an invalid type in Constant: float64; campaign seed 3000001, features all)
    "numpy_scalar_module_constant": case("""
import numpy as np

G = np.float64(0.75)


def f(a):
    return np.sum(np.sin(G * a))
""", 0, (3,)),
    # a rule's template read t.dtype where t holds a Python float (np.nanmax of a number): asked of NumPy
    # (np.result_type(t)) like the shape; found by the campaign
    "dtype_of_a_python_float": case("""
import numpy as np


def f(x, s):
    if float(np.sum(x)) > 100:
        s = np.tanh(x)
    return np.sum(np.sin(np.nanmax(s) * x))
""", 0, (3,), "float"),
    # `for k, j in enumerate(a)`: activity did not see j take a's rows, so an inner loop over j was left
    # iterating directly and dropped the derivative (reverse mode gave a wrong gradient; campaign find)
    "inner_loop_over_the_rows_an_enumerate_hands_out": case("""
import numpy as np


def h(z, W):
    for n_ in W:
        z = np.arctan(n_)
    return np.log(np.exp(z))


def f(a, b):
    for k, j in enumerate(a):
        a = h(b, j)
    return np.sum(np.sin(a))
""", 0, (2, 1), ()),
    # t[:] = t: the old t's adjoint gained dt[:] before dt[:] was cleared, so it was lost (campaign find)
    "array_written_with_itself": case("""
import numpy as np


def f(w):
    t = np.copy(w)
    t[:] = t
    return np.sum(np.sin(t))
""", 0, (2,)),
    # the shape-generic derivative read Z.shape where Z = 0.5 (a Python float, a helper's default in the
    # campaign's program); names assigned a Python number are asked of NumPy (np.shape(Z))
    "shape_of_a_name_assigned_a_python_number": case("""
import numpy as np


def f(x):
    Z = 0.5
    if float(np.sum(x)) > 100:
        Z = np.tanh(x)
    return float(np.sum(np.sin(np.reshape(Z, (-1,)) * x)))
""", 0, (3,)),
    # the last value of a for loop's variable, refined by a while loop: its adjoint was dropped after
    # the while loop (reverse mode gave 0; forward mode was right); found by the campaign
    "loop_variable_refined_by_a_later_loop": case("""
import numpy as np


def f(a):
    for i in a:
        a = np.sin(a)
    j = 0
    while j < len(a):
        i = i * 0.5
        j += 1
    return np.sum(np.sin(i))
""", 0, (2, 3)),
    # the adjoint of np.concatenate reads [a.shape[0] for a in rows[:-1]]; the simplifier took the
    # comprehension's `a` for the user's scalar `a` and folded a.shape to (): IndexError (campaign find)
    "template_comprehension_variable_named_like_a_user_variable": case("""
import numpy as np


def f(x, a):
    rows = []
    for j in range(2):
        rows.append(np.tanh(x) * (j + a))
    return np.sum(np.sin(np.concatenate(rows)))
""", 0, (3,), ()),
    # b is a Python float on the path the probe took and an array on the other: the ravel's adjoint read
    # b.shape (AttributeError on a float); found by the 10,000-program campaign
    "shape_of_a_python_float_or_an_array": case("""
import numpy as np


def f(a, b):
    if float(np.sum(a)) > 0:
        x = np.sin(a)
    else:
        b = np.sin(a)
    V = np.ravel(b)
    return float(np.sum(np.tanh(V)))
""", 0, (1,), "float"),
    # an adjoint reaching a branch's read of a value that may be unbound before it (a loop's last value)
    # was dropped after the branch: zero gradient (silently wrong); found by the 10,000-program campaign
    "loop_value_read_in_a_branch": case("""
import numpy as np


def f(c):
    a = np.sin(c)
    for i in a:
        a = a + 2.0
    if float(np.sum(a)) > 0:
        a = i + 2.0
    return np.sum(np.sin(a))
""", 0, (2, 3)),
    "loop_value_read_in_both_branches": case("""
import numpy as np


def f(x):
    for k in range(2):
        y = x * (k + 1.0)
    if np.sum(x) < 100:
        z = y * 5.0
    else:
        z = x
    return np.sum(np.sin(z))
""", 0, (3,)),
    # an eager derivative (jvp) refused at construction, for its shape-generic code, an `V += ...` that
    # the probe sees is on a number (a new value, nothing shared): now decided per specialization
    "augmented_assignment_of_a_number_shared_by_name": case("""
import numpy as np


def f(a, b):
    W = V = np.sin(a)
    V += np.sin(a)
    return np.sum(np.sin(W)) + np.sum(V * b)
""", 0, (), (3,)),
    # grad(f, wrt=("a",)) returned a bare array, so `(da,) = ...` split it along its first axis
    "tuple_wrt_of_one": case("""
import numpy as np


def f(a):
    b = np.sin(a)
    return np.sum(np.sin(b))
""", ("a",), (2, 3)),
    # a local named np moved NumPy's alias to np_1, but the runtime helpers (add_at, unbroadcast)
    # still said np: NameError inside the gradient
    "helpers_follow_the_numpy_alias": case("""
import numpy as onp


def f(a, b):
    np = onp.sin(a)
    c = np[[0, 0, 1]] * b
    return onp.sum(c * c)
""", (0, 1), (3,), (1,)),
    # Python float arguments: rules read x.shape / x.dtype, which a float has not
    "python_float_expand_dims": case("""
import numpy as np


def f(x):
    return np.sum(np.sin(np.expand_dims(x, -1)))
""", 0, "float"),
    "python_float_max": case("""
import numpy as np


def f(x, y):
    z = x * 2.0 + y
    return np.max(z) + np.cumsum(z)[0] + np.reshape(x, (1, 1))[0, 0]
""", ("x", "y"), "float", "float"),
    "python_float_mean_in_a_helper": case("""
import numpy as np


def h(b, c, x):
    return np.mean(b)


def f(a):
    a = h(a, a, a)
    return np.sum(np.sin(a))
""", 0, "float"),
    # np.array(tape) of an appended list: the list got an array adjoint, then .pop() (fixed in reverse.py)
    "array_of_list": case("""
import numpy as np


def f(a):
    tape = []
    for j in range(2):
        tape.append(a * (j + 1))
    b = np.array(tape)
    return np.sum(np.sin(b))
""", 0, (2,)),
    # g * (x >= 0) with the seed g = 1.0 folded to the bare mask: a bool gradient, and two masks
    # accumulated with + (logical or) gave True where the gradient is 2.0
    "mask_gradients_stay_numbers": case("""
import numpy as np


def f(a, b):
    dW = np.clip(b, -0.5, 0.5)
    return dW + np.sum(np.maximum(a, 0.0) + np.maximum(a, -1.0))
""", ("a", "b"), (3,), "float"),
    # the cleanup passes read `dt5 = da` at the top of a loop body as a copy to propagate into the
    # branch below, which first writes da and then reads dt5: silently wrong gradients
    "copy_propagated_past_a_write_in_a_branch": case("""
import numpy as np


def f(a):
    for i in range(1):
        a = a * 2.0
        a = a if float(np.sum(a)) > 10.0 else np.where(a > 0, a, 0.1 * a)
    return np.sum(np.sin(a))
""", 0, (3,)),
    # the output's name overwritten in a loop: the adjoint sweep restored its old value from the tape
    # before returning it, so value_and_grad returned the argument (and grad said "not a scalar")
    "returned_name_restored_by_the_sweep": case("""
import numpy as np


def f(z, r):
    for t1 in range(1):
        z = r / 2.0
    return z
""", (0, 1), (2, 3), "float"),
    # the seed 1.0 folded into the .T rule's g.T: (1.0).T, an AttributeError on a Python float
    "transpose_of_a_scalar_output": case("""
import numpy as np


def f(a):
    b = c = (np.sum(a)).T
    x = (b + 2.0)
    return x
""", 0, (3,)),
    # forward mode: a wrt parameter assigned once in a branch counted as having that one value, so its
    # tangent was dropped even where the branch is not taken (zero tangent, silently wrong)
    "conditional_overwrite_forward": case("""
import numpy as np


def f(u, r):
    if np.sum(r) > 5.0:      # never taken here
        u = r * 2.0
    return np.sum(np.sin(u))
""", 0, (1,), (1,)),
    # forward mode: t1 = b[1:] is a view; the cleanup passes moved the tangent's read of t1 past
    # b[1:] = t1 * s, which changes it (a write into an array now also writes every name sharing its memory)
    "subscript_augassign_forward": case("""
import numpy as np


def f(a):
    b = a.copy()
    b[1:] *= np.sum(np.sin(a))
    return np.sum(np.sin(b))
""", 0, (3,)),
    # the cleanup passes did not see that da += v reads da: dead-code elimination dropped
    # da = np.zeros_like(a) before a loop and kept the loop's da += ... (UnboundLocalError)
    "adjoint_read_before_any_contribution": case("""
import numpy as np


def f(x, dW):
    a = x / 2.0
    if np.max(a) > 0:
        x = np.exp(a) * dW
    b = a
    for k in range(2):
        b = np.maximum(b, a)
    return np.sum(np.sin(b))
""", 1, (2,), (2,)),
    # reverse mode: for i in c, with c rebound in the body, became for k in range(len(c)): i = c[k],
    # which read the new c; the loop now indexes the object its header named (c_1 = c before the loop)
    "rebind_iterated": case("""
import numpy as np


def f(a, c):
    for i in c:
        c = np.sin(a) * i
    return np.sum(c)
""", 0, (2,), (3,)),
    # reverse mode: i, the loop target, assigned in the body: the sweep took one name for two values
    # (ValueError in unbroadcast); normalization now loops over i_1 and starts the body with i = i_1
    "rebind_loop_target": case("""
import numpy as np


def f(a, b, x):
    for i in b:
        i = np.broadcast_to(x, (1, 3, 2))
    return np.sum(np.sin(i + a))
""", 2, "float", (3,), (3, 2)),
    # np.sum(s, axis=0) of a 0-d s (NumPy allows it): the rule put axis 0 back into g with expand_dims,
    # which a 0-d input has not (ValueError; with np.max, a gradient of the wrong shape)
    "reduction_with_axis_of_a_scalar": case("""
import numpy as np


def f(x):
    s = np.sum(x)
    return np.sum(np.sum(s, axis=0) * x)
""", 0, (3,)),
    # campaign seed 701797, shrunk: np.cumsum(x, axis=0) of a 0-d x scans it as 1-d, so the (1,)-shaped
    # adjoint was added in place into dx, 0-d (ValueError: non-broadcastable output operand)
    "scan_along_an_axis_of_a_scalar": case("""
import numpy as np


def f(a):
    c = np.cumsum(a)
    x = c.sum(axis=-1)
    value = c
    n_ = 0
    while n_ < a.shape[0]:
        value = np.cumsum(x, axis=0) - c
        n_ += 1
    return np.sum(np.sin(value))
""", 0, (2, 3)),
    # campaign seed 902290, shrunk: the probe cannot know t's shape (a branch it did not take assigns it), so
    # the unoptimized gradient kept .T of dt6, a copy of the seed dt = 1.0: a Python float has no .T
    "transpose_of_a_copy_of_the_seed": case("""
import numpy as np


def f(z):
    z = np.tanh(z) if np.max(z) > 0 else np.where(z > 0, z, 2.0 * z)
    t = u = z.T
    return t
""", 0, ()),
    # campaign seed 1100867, shrunk: the sum's uniform adjoint 1.0 times the integer 3 was folded to 3, so
    # the gradient, 3 times a mask, came out as integers
    "uniform_adjoint_scaled_by_an_integer": case("""
import numpy as np


def f(a):
    x = np.clip(a, -0.5, 0.5) * 3 + 2.0
    return np.sum(x)
""", 0, (2, 1)),
    # campaign seed 1101287, shrunk: forward mode transposed the tangent of a number, which a Python float
    # (the tangent passed in) has not; reverse mode knew an adjoint of a number is a number, forward did not
    "transpose_of_the_tangent_of_a_number": case("""
import numpy as np


def f(a):
    if float(np.sum(a)) > 0:
        b = (a + a)
    c = ((np.square(a) + 2.0)).T
    return np.sum(np.sin(c))
""", 0, "float"),
    # campaign seed 1306549, shrunk: the value returned is np.squeeze(a), a view of a, and the adjoint sweep
    # puts a's older values back in place, so value_and_grad returned the ones a held before the write
    "value_is_a_view_of_an_array_the_sweep_restores": case("""
import numpy as np


def f(x):
    a = np.ones_like(x)
    a[..., 0] = np.sin(x[..., 0])
    return a.squeeze()
""", 0, (1, 1)),
    # campaign seed 1300657: c = c[0, 0] copies the adjoint of the result into the adjoint of c, which the
    # reverse sweep then changes in place, so the copy was made a real one, dc.copy(); but dc, a number (a
    # vjp's cotangent, a Python float), has no .copy()
    "copy_of_an_adjoint_that_is_a_python_number": case("""
import numpy as np


def f(a, b, c):
    a = (np.concatenate([np.sin((c @ c.T)), (c @ c.T), np.sin((c @ c.T))], axis=1) if float(np.sum(a)) > 0 else ((c @ c.T) @ c))
    for i in range(1):
        c = c[0, 0]
        x = np.zeros_like(a)
        x[0] = np.sum((np.reshape(a, (3,)) + a))
        x[0] = np.sum((a + a))
    return c
""", 2, (2, 3, 4), (2, 1), (1, 3)),
    # campaign seed 1207708, shrunk: the shape-generic adjoint of np.matmul is a conditional expression, one of
    # whose branches is m itself (for vectors); the reverse sweep then restored m in place, and with it that
    # adjoint, which was m: a wrong shape-generic gradient (the specialized one copied, `ddx = m.copy()`)
    "shape_generic_adjoint_that_is_an_array_restored_in_place": case("""
import numpy as np


def f(g):
    dx = np.array([np.tanh(g), np.tanh(g) * 2.0])
    m = np.ones_like(dx)
    m[:] = 2.0 * np.sum(np.ravel(g))
    return np.matmul(dx, m)
""", 0, ()),
    # campaign seed 1206985: the adjoint of x.T is the adjoint's transpose, g.T; where x is a Python float on a
    # path the probe did not take, so is g, and a float has no .T (np.transpose answers for both)
    "transpose_of_a_number_on_a_path_the_probe_did_not_take": case("""
import numpy as np


def f(a, b):
    c = ((a + a) if float(np.sum(a)) > 0 else np.sum(a))
    a, c = c, a
    if float(np.sum(a)) > 0:
        c += (np.multiply(a, a)).T
    return c
""", 0, "float", ()),
    # campaign seed 1101474, shrunk: a = +a is a = a after normalization; its reverse added da to itself
    # and then cleared it, as if a had been overwritten by another value (a zero gradient)
    "value_assigned_to_itself_in_a_loop": case("""
import numpy as np


def f(a):
    for i in range(1):
        a = +a
    return np.sum(np.sin(a))
""", 0, (2, 3)),
    # campaign seed 1101287, its group's other program: the probe knew no shape at all (a, a Python float, is
    # reassigned on a path it did not take), so the shape-generic code served, and read a.dtype of the float
    "python_float_argument_where_no_shape_is_known": case("""
import numpy as np


def f(a):
    y = np.amin(a)
    if np.mean(a) > 5.0:
        a = np.sin(y)
    return np.sum(np.sin(a))
""", 0, "float"),
    # campaign seed 1801124, shrunk by hand: a list an inlined helper builds on a branch of a while loop
    # that no pass takes was still None when the loop's adjoint made its zero adjoint (zeros_like_each)
    "list_built_on_a_branch_never_taken": case("""
import numpy as np


def grow(a):
    hs = []
    for n in range(2):
        hs.append(a * (n + 1.0))
    return np.concatenate(hs)


def f(x):
    y = x
    for r in range(2):
        k = 0
        while k < 2:
            if np.sum(y) > 100.0:
                y = grow(y)[:3]
            else:
                y = y * 1.5
            k += 1
    return np.sum(y ** 2)
""", 0, (3,)),
    # campaign seed 2103444, shrunk: the adjoint read the view t1 = m.T after m[1] = ... wrote through it,
    # and m[1]'s old row was not restored (only m itself counted as read): silently wrong
    "view_read_after_a_write_into_its_base": case("""
import numpy as np


def f(x):
    m = np.ones_like(x)
    m[1] = np.sin(np.sum(m.T @ x))
    return np.sum(np.sin(m.T))
""", 0, (2, 1)),
    # campaign seed 2203187, shrunk by hand: in shape-generic code a name given arithmetic on a Python
    # number (a helper's default, scale * 1) was read as t.shape; only a bare number counted as one
    "arithmetic_on_a_default_is_a_python_number": case("""
import numpy as np


def halve(m, scale=0.5):
    return scale * 1


def f(t):
    for k in range(2):
        t = halve(t)
    return np.sum(np.sin(np.reshape(t, (-1,))))
""", 0, (3, 2)),
    # campaign seed 2203064, shrunk by hand: y[..., 0] = a with a of shape (1,) into a 1-D y assigns one
    # element; its adjoint, a number, was "unbroadcast" to a's shape, one axis short
    "a_length_one_array_assigned_to_one_element": case("""
import numpy as np


def f(a, b):
    if np.sum(b) > 100.0:
        b = b * 2.0
    else:
        b = b.flatten() * 2.0
    y = np.zeros_like(b)
    y[..., 0] = a
    return np.sum(np.sin(y + a))
""", 0, (1,), (2, 3)),
    # an adjoint that may be the primal array itself (dt7 = dx, the matmul rule's branch for a vector) passed on to
    # another name in a branch (dc = dt7), and dx restored from the tape in place before dc was read: dc came back
    # changed. Copies now follow names passed on (seed 2601741, shrunk)
    "adjoint_passed_on_before_its_array_is_restored": case("""
import numpy as np


def f(c):
    a = c @ c
    dx = np.zeros_like(c)
    dx[0] = np.sin(a)
    dx[1] = np.sin(a) * 2
    return np.matmul((c if float(np.sum(dx)) > 0 else c * 2), dx)
""", 0, (3,)),
    # a loop target over an array's rows (floats) reused as the target of a loop over range: the two loops'
    # i shared one adjoint, so the float adjoint was added into the integer counter's (UFuncTypeError; campaign
    # seed 3000025). A loop target whose value after the loop nobody reads is now the loop's own name
    # (s2sgrad/loop_names.py), an assignment after a loop a new version of the name
    "loop_target_reused_by_a_loop_over_range": case("""
import numpy as np


def f(b):
    for i in b:
        y = i * 2.0
    for i in range(3):
        y = y * (i + 1)
    return np.sum(np.sin(y))
""", 0, (3,)),
    # a loop target reused by an assignment after the loop: the counter and the array shared one name, whose
    # shape fact (a scalar, from the counter) made the shape-generic code broadcast wrongly (ValueError: input
    # operand has more dimensions than allowed by the axis remapping; campaign seed 3000252)
    "loop_target_reused_by_an_assignment": case("""
import numpy as np


def f(a):
    for i in range(1):
        a = np.ones((1, 3)) * a
    i = np.sin(a)
    i = i * np.cosh(i).sum(axis=-2)
    return np.sum(np.sin(i))
""", 0, ()),
    # the same, then updated in place: the counter's scalar shape fact made the shape-generic derivative sum
    # the array's adjoint to a number (silently wrong; campaign seed 3000339)
    "loop_target_reused_then_updated_in_place": case("""
import numpy as np


def f(a):
    hs = []
    for i in range(1):
        hs.append(np.tanh(a + (a + a)) * (i + 1))
    b = np.stack(hs)
    i = np.log(np.exp(a))
    i += np.sin(a)
    return np.sum(np.sin(i))
""", 0, (3,)),
    # found by the campaigns over the classes of issue 19, and fixed
    # x = np.abs(c) is real; x is bound again in a branch the probe did not take (x = np.expm1(y), real too),
    # and every name bound where the probe did not go counted as possibly complex: x's adjoint kept the
    # imaginary part of dV * (0.5+1j), which np.abs's rule then turned into a wrong real gradient (-1 where
    # it is 0; campaign seed 5001904). What is bound there is complex only if its value may be
    "real_value_bound_again_where_the_probe_did_not_go": case("""
import numpy as np


def f(a, b):
    c = np.exp(1j * b)
    x = np.abs(c)
    y = np.sin(x)
    V = x * (0.5+1j)
    for i in a:
        if float(np.sum(a)) > 0:
            x = np.expm1(y)
    return np.sum(x) + np.sum(np.real(V))
""", 1, -np.ones((3, 2)), np.array([0.71, -0.93, 0.46])),
    # c = np.ravel(np.asarray(b)) is a view of b, which the sweep restores in place (b[:] = tape.pop()): the
    # cleanup took the nested call for a new array and moved the read of c past the restore, so
    # value_and_grad returned the value of the old b (campaign seed 4202813)
    "view_through_a_nested_call_read_after_a_restore": case("""
import numpy as np


def f(a):
    b = np.ones_like(a)
    b[:] += b
    c = (np.asarray(b)).ravel()
    return np.sum(np.sin(c)) + np.sum(np.sin(c * a))
""", 0, (3,)),
    # a real argument gets a real gradient: here its name is bound again (a = np.sin(b)) on a path the probe
    # may not take, so the name counted as possibly complex and its gradient came back complex128
    # (campaign seed 4100701)
    "real_argument_whose_name_may_hold_a_complex_value": case("""
import numpy as np


def f(a):
    b = np.real(((a * (0.5+1j))))
    if float(np.sum(a)) > 0:
        hs = []
        for i in range(1):
            hs.append(np.tanh(a + np.sin(a)) * (i + 1))
        c = np.stack(hs)
        for j in range(1):
            a = np.sin(b)
    return np.sum(np.sin(a))
""", 0, np.array([0.27, -0.46, -0.92])),
    # G.T of a module constant was evaluated once, at compile time, into an unnamed outside value: the
    # derivative could not be written out as a module ("it refers to T, which no module exports"), and the
    # value was frozen (campaign seed 3000061); G.T now stays G.T on the imported G
    "attribute_of_a_module_constant": case("""
import numpy as np

G = np.linspace(-1.0, 1.0, 6).reshape((2, 3))


def f(a):
    return np.sum(np.sin((G.T @ G) * a))
""", 0, ()),
    # a method of a module constant, G.clip(-0.5, 0.5), was looked up at compile time as a bound method of the
    # value, which has no derivative rule (GradError "no derivative rule for ndarray.clip"), where x.clip(...)
    # of a local has one (campaign seed 3200859); it is now np.clip(G, -0.5, 0.5), as for a local
    "method_of_a_module_constant": case("""
import numpy as np

G = np.linspace(-1.0, 1.0, 6).reshape((2, 3))


def f(a):
    for i in a:
        a = G.clip(-0.5, 0.5)
    return np.sum(np.sin(a))
""", 0, (2, 3)),
    # the same for a method of a NumPy scalar module constant: SCALE.copy() was a bound method, an unnamed
    # outside value ("cannot write out a module for f: it refers to copy, which no module exports"; campaign
    # seed 3001362)
    "method_of_a_module_numpy_scalar": case("""
import numpy as np

SCALE = np.float64(0.75)


def f(dx):
    value = np.float_power(np.cosh(SCALE.copy()), dx[[1, 1]])
    return np.sum(value ** 2)
""", 0, (4,)),
    # y[[0, 0]] = v: NumPy writes position 0 once (the last duplicate wins); the adjoint read dy[0] twice,
    # twice the gradient (campaign seed 3000000, features all)
    "assignment_with_repeated_indices": case("""
import numpy as np


def f(a):
    w = np.zeros_like(a)
    w[[0, 0]] = np.sum(np.sin(a))
    return np.sum(np.sin(w))
""", 0, (3,)),
    # y[idx] += v with idx = [1, 0, 1] an argument: buffered, NumPy adds only the last duplicate's value
    "augmented_assignment_with_repeated_index_argument": case("""
import numpy as np


def f(a, idx):
    w = a.copy()
    w[idx] += np.sin(a[:3])
    return np.sum(np.sin(w))
""", 0, (4,), np.array([1, 0, 1])),
    # the gradient of a real-valued f of complex z must be df/dx - i df/dy (autograd, JAX): s2sgrad gives
    # its conjugate for np.abs
    "complex_argument_gradient_convention": case("""
import numpy as np


def f(z):
    return np.sum(np.abs(z) ** 2)
""", 0, Complex((3,))),
    # a real argument times a complex constant, made real again: the gradient of a real argument must be
    # real; s2sgrad returned a complex one (campaign seed 3000016)
    "real_argument_times_a_complex_constant": case("""
import numpy as np


def f(a):
    w = np.real(a * (0.5+1j))
    return np.sum(np.sin(w))
""", 0, (3,)),
    # np.imag of a complex value: no derivative rule (a crash, not a GradError saying "not supported")
    "imaginary_part": case("""
import numpy as np


def f(a, z):
    return np.sum(np.imag(z * a) ** 2)
""", (0, 1), (3,), Complex((3,))),
    # z.real as an attribute has no derivative rule (np.real has one; campaign seed 3000160)
    "real_part_as_an_attribute": case("""
import numpy as np


def f(d):
    b = (np.conjugate(d) * d).real
    return np.sum(np.sin(b))
""", 0, (4,)),
}

KNOWN = {}     # name -> (case, what goes wrong)

# Found by a campaign and not fixed yet, as strict xfails (each with its tag in fuzz_oracles.KNOWN_BUGS):
# name -> (case, the defect, whether a GradError refusing the construct is a fix too)
OPEN = {}


# found as silently wrong gradients; now refused with a GradError naming the construct and its line
# (s2sgrad/aliasing.py), the case-specific words of which each entry gives
REJECTED = {
    # n_ += v after a loop over b's rows reads n_, which the liveness of the user's code missed (an augmented
    # assignment's target is a Store), so the loop's target was renamed and the probe failed on an unbound n_
    # (UnboundLocalError; campaign seed 5005026); now, as before the renaming, n_ (a row of b) changed in
    # place is refused
    "augmented_assignment_after_a_loop_over_rows": (case("""
import numpy as np


W0 = np.linspace(-1.0, 1.0, 3).reshape((3,))


def f(a, b, idx):
    map = np.ones_like(a)
    np.add.at(map, idx, np.sum(np.hypot(a, 1.0)))
    out = np.maximum(W0, (a + 2.0))
    for n_ in b:
        for t1 in range(len(map)):
            min = np.real(((map * (0.5+1j))) * np.conj(((map * (0.5+1j)))))
        dans = c = (np.rad2deg(map))[None, :]
    i = 0
    while i < 3:
        n_ += np.add(out, W0)
        i += 1
    t2 = np.tanh(np.where(a < 0.2, a, b))
    if a.shape[0] > 3:
        n_ += map[..., 2]
        map = np.flip(a, 0)
    return np.mean(np.cos(map) * map) + np.sum(np.sin(W0) * 0.5)
""", 0, (3,), (1,), np.array([1, 1, 1])), "changing n_ in place (n_ += ... on an array) is not supported", 18),
    # BUF[:] = x * 2.0 into a module-level array, then read: once unseen by the derivative (gradient 0)
    "write_into_a_module_global_then_read": (case("""
import numpy as np

BUF = np.zeros((3,))


def f(x):
    BUF[:] = x * 2.0
    return np.sum(np.sin(BUF))
""", 0, (3,)), "writing into BUF[...] is not differentiated", 8),
    # campaign seed 1302868, shrunk: on the probe's path t is dW * 2, a NumPy scalar (immutable, so t /= v
    # makes a new one); on the other path t is dW itself, a 0-d array, and t /= v writes into the caller's a.
    # A copy is a number only if what it copies is one on every path
    "copy_of_a_zero_d_array_on_a_path_the_probe_did_not_take": (case("""
import numpy as np


def layer(dans, dW):
    for i in range(1):
        t = (dW if float(np.sum(dans)) > 0 else dW * 2)
        t /= (np.abs(dans) + 0.5)
    return np.sin(1.0 / np.exp(dans))


def f(a):
    return np.sum(layer(a, a))
""", 0, ()), "changing t in place (t /= ... on an array) is not supported here: t may share memory with a", 8),
    # z = y[0] is a view of y: z[1] = 1.0 changed y too, but the derivative treated z as a copy
    "write_into_a_view": (case("""
import numpy as np


def f(x):
    y = x * 2
    z = y[0]
    z[1] = 1.0
    return np.sum(y)
""", 0, (2, 2)), "writing into z is not supported here: z may share memory with y", 8),
    # y += 1.0 on an array changes it in place, so the caller's c too; s2sgrad computed y_1 = y + 1.0
    "augmented_assignment_aliasing": (case("""
import numpy as np


def bump(y):
    y += 1.0
    return y


def f(c):
    d = bump(c)
    return np.sum(c * d)
""", 0, (2,)), "changing y in place (y += ... on an array) is not supported here: y may share memory with c", 6),
    # a row loop's target reused by a range loop and read after it (seed 4100114 of a names campaign, shrunk by
    # hand): the two loops share the name, so the counter's binding did not end the rows' adjoint (a gradient
    # wrong by 0.45 here, a UFuncTypeError or a broadcast crash elsewhere); renaming the loop is no fix when
    # its last value is read
    "loop_target_reused_and_read_after_the_loop": (case("""
import numpy as np


def f(b):
    for i in b:
        y = i * 2.0
    for i in range(3):
        y = y * (i + 1)
    return np.sum(np.sin(y)) + i
""", 0, (3, 2)), "reusing i as a range loop's counter and as another value is not supported", 6),
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed(name, fuzz_dir):
    check_program(FIXED[name], fuzz_dir)


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=OPEN[name][1]))
                                  for name in sorted(OPEN)] or [pytest.param(None, marks=pytest.mark.skip(
                                      reason="no defect the campaigns found is open: OPEN is empty"))])
def test_open_defect(name, fuzz_dir):
    """Passes once the defect is fixed (or, where that is a fix too, the construct is refused by name)."""
    program, _, refusal_is_a_fix = OPEN[name]
    try:
        check_program(program, fuzz_dir)
    except Unsupported:
        if not refusal_is_a_fix:
            raise


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name, fuzz_dir):
    program, words, line = REJECTED[name]
    with pytest.raises(Unsupported) as info:
        check_program(program, fuzz_dir)
    error = info.value.error
    assert words in error.message and error.hint
    assert error.origin.lineno == line


@pytest.mark.parametrize("name", sorted(KNOWN) or [pytest.param(None, marks=pytest.mark.skip(
    reason="no known fuzz bug is open: KNOWN is empty"))])
def test_known_bug(name, fuzz_dir):
    program, reason = KNOWN[name]
    try:
        check_program(program, fuzz_dir)
    except Exception as exc:  # the bug: still there
        pytest.xfail(f"{reason} [{type(exc).__name__}: {str(exc).splitlines()[0][:120]}]")
    pytest.fail(f"the known bug {name!r} no longer reproduces: remove it from KNOWN here and from "
                f"fuzz_oracles.KNOWN_BUGS")


def sum_of_sines(a):
    return np.sum(np.sin(a))


def test_a_tuple_wrt_always_gives_a_tuple():
    """The API side of tuple_wrt_of_one, for every derivative that takes wrt."""
    from s2sgrad import grad, value_and_grad, vjp
    a = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    f = sum_of_sines
    for out in (grad(f, wrt=("a",))(a), value_and_grad(f, wrt=[0])(a)[1], vjp(f, wrt=(0,))(a, 1.0)):
        assert isinstance(out, tuple) and len(out) == 1
        np.testing.assert_allclose(out[0], np.cos(a))
    np.testing.assert_allclose(grad(f, wrt="a")(a), np.cos(a))
