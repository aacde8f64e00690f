"""Python lists and tuples as values: ``a + b``, ``a * k``, ``list(a)``, ``tuple(a)``, ``reversed(a)``.

On lists, ``+`` concatenates and ``*`` repeats: differentiated as NumPy's
``np.add`` and ``np.multiply`` they would give the adjoint of an elementwise
sum, and ``dhs + dt`` would concatenate two adjoint lists. So an operator
whose operands are lists or tuples is read as one of the functions below
(:func:`operation_on_lists` says which, from what is known of the operands'
kinds); their adjoints are lists with one adjoint per element, aligned with
the primal list (``da = g[:len(a)]``). Slicing a list (``hs[1:]``,
``hs[::-1]``) is the container subscript of :mod:`s2sgrad.reverse`.

Every operation here is linear, so its tangent is the same operation on the
tangent lists (zeros, a list of them, for an operand that has none).
"""

import builtins

import gast

from ..runtime import add_each, sum_copies
from .registry import defrule

SEQUENCE_KINDS = ("list", "tuple")


def concatenate(a, b):
    """``a + b`` of two lists (or two tuples)."""
    return a + b


def repeat(a, k):
    """``a * k`` or ``k * a`` of a list (or tuple) and an integer."""
    return a * k


def copy_items(a):
    """``list(a)`` or ``tuple(a)`` of a list or tuple: the same items."""
    return list(a)


def rows(x):
    """``list(x)`` or ``tuple(x)`` of an array: its rows (its items along the first axis)."""
    return list(x)


def reverse_items(a):
    """``reversed(a)``: the items of a list, or the rows of an array, last first."""
    return reversed(a)


defrule(concatenate, "a, b", linear=True, vjp={"a": "g[:len(a)]", "b": "g[len(a):]"}, name="+ on lists")
defrule(repeat, "a, k", linear=True, vjp={"a": "sum_copies(g, len(a))"}, name="* on lists",
        namespace={"sum_copies": sum_copies})
defrule(copy_items, "a", linear=True, vjp={"a": "list(g)"}, name="list(a)")
defrule(rows, "x", linear=True, vjp={"x": "np.stack(g)"}, name="list(x) of an array")
defrule(reverse_items, "a", linear=True, vjp={"a": "g[::-1]"}, name="reversed")

LIST_OPERATIONS = frozenset({concatenate, repeat, copy_items, rows, reverse_items})
# linear in all their list operands together: the tangent is the same call on the tangent lists (forward mode),
# these and the helpers derivative code calls on adjoint lists (so that it can be differentiated again)
LINEAR_ON_LISTS = LIST_OPERATIONS | {add_each, sum_copies}


def operation_on_lists(rhs, kind_of):
    """``(function, arguments)`` when ``rhs`` is one of the operations above, else None.

    ``kind_of(node)`` is ``"list"``, ``"tuple"``, ``"dict"`` or None (an array,
    a number, or not known). ``a + b`` concatenates only where both operands
    are sequences (``x + [1, 2]`` with an array ``x`` is NumPy's sum), ``a * k``
    repeats where one operand is.
    """
    if isinstance(rhs, gast.BinOp):
        left, right = kind_of(rhs.left) in SEQUENCE_KINDS, kind_of(rhs.right) in SEQUENCE_KINDS
        if isinstance(rhs.op, gast.Add) and left and right:
            return concatenate, [rhs.left, rhs.right]
        if isinstance(rhs.op, gast.Mult) and left != right:
            return repeat, [rhs.left, rhs.right] if left else [rhs.right, rhs.left]
        return None
    if isinstance(rhs, gast.Call) and len(rhs.args) == 1 and not rhs.keywords:
        callee, arg = getattr(rhs, "callee", None), rhs.args[0]
        if callee in (builtins.list, builtins.tuple):
            return (copy_items if kind_of(arg) in SEQUENCE_KINDS else rows), [arg]
        if callee is builtins.reversed:
            return reverse_items, [arg]
    return None


def kind_of_result(rhs, kind_of):
    """The kind of the value an operation above makes, from its operands' kinds (None: not one of them)."""
    operation = operation_on_lists(rhs, kind_of)
    if operation is None:
        return None
    func, args = operation
    if func is reverse_items:               # an iterator over a list: its adjoint is a list
        return "list" if kind_of(args[0]) in SEQUENCE_KINDS else None
    if func in (copy_items, rows):
        return "tuple" if rhs.callee is builtins.tuple else "list"
    return kind_of(args[0])


ITERATORS = (builtins.zip, builtins.enumerate)


def refuse_iterators_kept(body, wrt):
    """``ps = list(zip(hs, ks))``: refused where a zipped list carries a derivative.

    ``zip`` and ``enumerate`` are read only in a ``for`` loop's header, where
    each item is indexed out of its sequence; kept as a value they are
    constants to the rules (their items are not tracked), which would drop the
    derivative without a word.
    """
    from ..activity import operand_names, varied_names
    from ..astutil import walk_statements
    from ..errors import GradError, origin_of
    varied = None
    for stmt in walk_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) \
                and getattr(stmt.value, "callee", None) in ITERATORS:
            varied = varied_names(body, set(wrt)) if varied is None else varied
            if operand_names(stmt.value) & varied:
                what = stmt.value.callee.__name__
                raise GradError(f"{what}(...) kept as a value is not differentiated (only in a for loop's header)",
                                origin_of(stmt), f"loop over it directly (for a, b in {what}(...)), or index the "
                                                 f"lists: xs[i], ys[i]")
