"""Writes the derivative would not see: into memory from outside the function, or by a call.

A module-level or closure array, or an object's attribute, is a constant to the derivative; a write
into it differentiated to zero (issue 19, item 12: ``BUF[:] = x * 2.0; return np.sum(BUF ** 2)``), as
did ``y.__setitem__(0, v)`` and ``operator.setitem(y, 0, v)``, which change ``y`` without an
assignment. Each is now refused in reverse and forward mode, at the user's line, with a workaround
that differentiates; the calls already refused (``np.copyto``, ``out=``, ``y.fill``...) stay refused.
"""

import operator

import numpy as np
import pytest

from s2sgrad import GradError, grad, jvp

from both_modes import check_modes

BUF = np.zeros(3)


class Holder:
    pass


OBJ = Holder()
OBJ.a = np.zeros(3)


def into_a_module_array(x):
    BUF[:] = x * 2.0
    return np.sum(BUF ** 2)


def make_closure():
    buf = np.zeros(3)

    def into_a_closure_array(x):
        buf[:] = x * 2.0
        return np.sum(buf ** 2)
    return into_a_closure_array


def through_a_local_name(x):
    y = BUF[:2]
    y[0] = x[0]
    return np.sum(BUF ** 2)


def into_an_attribute(x):
    y = OBJ.a
    y[1:] = x[1:] * 3.0
    return np.sum(OBJ.a ** 2)


def a_constant_into_a_module_array(x):
    BUF[0] = 1.0                # the reverse sweep would put back BUF's old value (it crashed)
    return np.sum(BUF * x)


def by_setitem(x):
    y = np.zeros(3)
    y.__setitem__(0, x[0] * 2.0)
    return np.sum(y ** 2)


def by_operator_setitem(x):
    y = np.zeros(3)
    operator.setitem(y, 0, x[0] * 2.0)
    return np.sum(y ** 2)


def by_an_unbound_setitem(x):
    y = np.zeros(3)
    np.ndarray.__setitem__(y, 0, x[0])
    return np.sum(y ** 2)


def by_operator_iadd(x):
    y = np.zeros(3)
    operator.iadd(y, x)
    return np.sum(y ** 2)


def by_iadd(x):
    y = np.zeros(3)
    y.__iadd__(x)
    return np.sum(y ** 2)


def by_setattr(x):
    setattr(OBJ, "a", x * 2.0)
    return np.sum(OBJ.a ** 2)


def by_a_method_of_a_module_array(x):
    BUF.fill(x[0])
    return np.sum(BUF ** 2)


def by_a_method_of_an_attribute(x):
    OBJ.a.__setitem__(0, x[0])
    return np.sum(OBJ.a ** 2)


def by_copyto(x):
    y = np.zeros(3)
    np.copyto(y, x * 2.0)
    return np.sum(y ** 2)


def by_put(x):
    y = np.zeros(3)
    np.put(y, [0, 1], x[:2] * 2.0)
    return np.sum(y ** 2)


def by_place(x):
    y = np.zeros(3)
    np.place(y, np.array([True, False, True]), x[:2] * 2.0)
    return np.sum(y ** 2)


def by_out(x):
    y = np.zeros(3)
    np.multiply(x, 2.0, out=y)
    return np.sum(y ** 2)


def by_fill(x):
    y = np.zeros(3)
    y.fill(x[0] * 2.0)
    return np.sum(y ** 2)


def by_sort(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def by_resize(x):
    y = x * 1.0
    y.resize((2,), refcheck=False)
    return np.sum(y ** 2)


def by_put_along_axis(x):
    y = np.zeros((3, 1))
    np.put_along_axis(y, np.array([[0], [2]]), (x[:2] * 2.0)[:, None], axis=0)
    return np.sum(y ** 2)


REFUSED = {
    into_a_module_array: "writing into BUF[...]",
    make_closure(): "writing into buf[...]",
    through_a_local_name: "writing into y[...]",
    into_an_attribute: "writing into y[...]",
    a_constant_into_a_module_array: "writing into BUF[...]",
    by_setitem: "y.__setitem__(0, x[0] * 2.0)",
    by_operator_setitem: "operator.setitem(y, 0, x[0] * 2.0)",
    by_an_unbound_setitem: "np.ndarray.__setitem__(y, 0, x[0])",
    by_operator_iadd: "operator.iadd(y, x)",
    by_iadd: "y.__iadd__(x)",
    by_setattr: "setattr(OBJ, 'a', x * 2.0)",
    by_a_method_of_a_module_array: "BUF.fill(x[0])",
    by_a_method_of_an_attribute: "OBJ.a.__setitem__(0, x[0])",
    by_copyto: "np.copyto(y, x * 2.0)",
    by_put: "np.put(y, [0, 1], x[:2] * 2.0)",
    by_place: "np.place(y,",
    by_out: "np.multiply(x, 2.0, out=y)",
    by_fill: "y.fill(x[0] * 2.0)",
    by_sort: "y.sort()",
    by_resize: "y.resize((2,), refcheck=False)",
    by_put_along_axis: "np.put_along_axis(y,",
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", list(REFUSED), ids=lambda f: f.__name__)
def test_refused_at_the_users_line(f, mode):
    x = np.array([0.3, 0.5, 0.7])
    with pytest.raises(GradError) as caught:
        if mode == "reverse":
            grad(f)(x)
        else:
            jvp(f)(x, np.ones(3))
    text = str(caught.value)
    assert REFUSED[f] in text and "test_unseen_writes.py:" in text and "hint:" in text


def local_array_as_the_hint_says(x):
    buf = np.zeros_like(BUF)
    buf[:] = x * 2.0
    return np.sum(buf ** 2)


def a_local_copy_of_a_module_array(x):
    y = np.copy(BUF)
    y[0] = x[0] * 3.0
    return np.sum(y ** 2) + np.sum(BUF * x)


def an_index_assignment_for_setitem(x):
    y = np.zeros(3)
    y[0] = x[0] * 2.0
    return np.sum(y ** 2)


def module_arrays_read_and_used_as_masks(x):
    y = x * 1.0
    y[BUF > 0.5] = 0.0          # a module array only read: nothing to refuse
    return np.sum(y ** 2) + np.sum(OBJ.a * x)


@pytest.mark.parametrize("f", [local_array_as_the_hint_says, a_local_copy_of_a_module_array,
                               an_index_assignment_for_setitem, module_arrays_read_and_used_as_masks],
                         ids=lambda f: f.__name__)
def test_the_workarounds_differentiate(f):
    BUF[:] = [0.2, 0.9, 0.4]
    check_modes(f, (np.array([0.3, 0.5, 0.7]),), second=True)


def a_call_inside_an_expression_statement(x):
    y = np.zeros(3)
    y.__setitem__(0, x[0]) if x[1] > 0 else None      # was dropped as a statement without effect
    return np.sum(y ** 2)


def a_call_after_and(x):
    y = np.zeros(3)
    x[1] > 0 and np.copyto(y, x)
    return np.sum(y ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", [a_call_inside_an_expression_statement, a_call_after_and], ids=lambda f: f.__name__)
def test_a_call_in_an_expression_statement_is_refused(f, mode):
    x = np.array([0.3, 0.5, 0.7])
    with pytest.raises(GradError, match="a call inside an expression statement") as caught:
        grad(f)(x) if mode == "reverse" else jvp(f)(x, np.ones(3))
    assert "test_unseen_writes.py:" in str(caught.value) and "if c: y.fill(v)" in str(caught.value)
