"""Expression simplification: fold what is known, drop what multiplies by one.

Rule templates are written for every case (``np.full_like(a, g) if axis is
None else ...``); instantiated with constant arguments, and with the ranks of
arrays known (``b.ndim`` -> ``2``), most of that folds away here, leaving the
specific expression a person would write. Simplifications are exact in
floating point (``g * 1`` -> ``g``, never reassociation).
"""

import math
import operator

import gast
import numpy as np

from .astutil import Transformer, const, name_nodes, names_in, walk_statements

_COMPARE = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt,
            gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
            gast.Is: operator.is_, gast.IsNot: operator.is_not}
_ARITH = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul}


def is_const(node, *values):
    if not isinstance(node, gast.Constant):
        return False
    if not values:
        return True
    return any(type(node.value) is not bool and node.value == v and type(node.value) in (int, float)
               for v in values)


def literal(node):
    """The Python value of a constant or a tuple of constants, else raise ValueError."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.Tuple):
        return tuple(literal(e) for e in node.elts)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and is_const(node.operand):
        return -node.operand.value
    raise ValueError


def is_literal(node):
    try:
        literal(node)
        return True
    except ValueError:
        return False


class Simplifier(Transformer):
    """Bottom-up folding; ``shapes`` maps names to known shapes (tuples) for ``.ndim``.

    A statement of the user's own is left alone: what it computes is theirs
    (``y = n * 1.0`` is a float copy).
    """

    keeps_users_statements = True

    def __init__(self, shapes=None, numpy_alias="np"):
        self.shapes = shapes or {}
        self.np = numpy_alias

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if is_const(node.value) and type(node.value.value) in (int, float):
            # a number (a folded seed, ``1.0``) where a rule reads an array attribute: ``(1.0).T``
            # would fail on a Python float; transposing or taking the real part of a number is the number
            folded = {"T": node.value, "real": node.value, "ndim": const(0), "size": const(1),
                      "shape": gast.Tuple(elts=[], ctx=gast.Load())}.get(node.attr)
            if folded is not None:
                return folded
        if node.attr in ("ndim", "size") and isinstance(node.value, gast.Name):
            shape = self.shapes.get(node.value.id)
            if shape is not None:     # specialized code: the count is a constant of the shapes
                return const(len(shape) if node.attr == "ndim" else math.prod(shape))
        if node.attr == "T" and isinstance(node.value, gast.Name) and self.shapes.get(node.value.id) is not None \
                and len(self.shapes[node.value.id]) <= 1:
            return node.value       # transposing a vector or a number changes nothing (a float has no .T)
        if node.attr in ("shape", "dtype") and isinstance(node.value, gast.Name) \
                and self.shapes.get(node.value.id) == ():
            # a scalar may be a Python float, which has neither: say it the way that works for both
            if node.attr == "shape":
                return gast.Tuple(elts=[], ctx=gast.Load())
            return gast.Call(func=gast.Attribute(value=gast.Name(id=self.np, ctx=gast.Load(), annotation=None,
                                                                 type_comment=None),
                                                 attr="result_type", ctx=gast.Load()),
                             args=[node.value], keywords=[])
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and is_literal(node.left) and is_literal(node.comparators[0]):
            fn = _COMPARE.get(type(node.ops[0]))
            if fn is not None:
                try:
                    return const(bool(fn(literal(node.left), literal(node.comparators[0]))))
                except TypeError:
                    return node
        return node

    def visit_BoolOp(self, node):
        is_and = isinstance(node.op, gast.And)
        kept = []
        for value in node.values:
            value = self.visit(value)          # in order, so that a deciding constant spares the rest
            if isinstance(value, gast.Constant) and isinstance(value.value, bool):
                if value.value != is_and:      # False in `and`, True in `or`: decides it
                    return const(value.value)
                continue                        # True in `and`, False in `or`: no effect
            kept.append(value)
        if not kept:
            return const(is_and)
        if len(kept) == 1:
            return kept[0]
        node.values = kept
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        operand = node.operand
        if isinstance(node.op, gast.Not) and isinstance(operand, gast.Constant):
            return const(not operand.value)
        if isinstance(node.op, gast.USub):
            if is_const(operand) and type(operand.value) in (int, float):
                return const(-operand.value) if operand.value < 0 else node
            if isinstance(operand, gast.Tuple) and all(is_const(e) and type(e.value) is int
                                                       for e in operand.elts):
                return gast.Tuple(elts=[const(-e.value) if e.value < 0 else
                                        gast.UnaryOp(op=gast.USub(), operand=e) for e in operand.elts],
                                  ctx=gast.Load())   # np.roll(g, -(1, 2)) -> np.roll(g, (-1, -2))
            if isinstance(operand, gast.UnaryOp) and isinstance(operand.op, gast.USub):
                return operand.operand
            if isinstance(operand, gast.BinOp) and isinstance(operand.op, (gast.Mult, gast.Div)) \
                    and self.is_scalar(operand.left) and not self.is_scalar(operand.right):
                # -(c * y) -> -c * y: negate the number, not the array (exact either way)
                return gast.BinOp(left=gast.UnaryOp(op=gast.USub(), operand=operand.left), op=operand.op,
                                  right=operand.right)
        return node

    def is_scalar(self, node):
        """A number, or a name known to hold one (its shape is ``()``)."""
        return is_const(node) or (isinstance(node, gast.Name) and self.shapes.get(node.id) == ())

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        if isinstance(node.test, gast.Constant):     # a rule's template choosing: visit only the choice
            return self.visit(node.body if node.test.value else node.orelse)
        node.body, node.orelse = self.visit(node.body), self.visit(node.orelse)
        return node

    def visit_If(self, node):
        """An ``if`` on a constant (in a rule's statement template) keeps only the branch taken."""
        self.generic_visit(node)
        if isinstance(node.test, gast.Constant):
            return (node.body if node.test.value else node.orelse) or [gast.Pass()]
        return node

    def visit_Subscript(self, node):
        """``(a, b)[1]`` -> ``b``: a rule's template picking one of a call's several arguments."""
        self.generic_visit(node)
        if isinstance(node.value, (gast.Tuple, gast.List)) and isinstance(node.ctx, gast.Load) \
                and isinstance(node.slice, gast.Constant) and type(node.slice.value) is int \
                and -len(node.value.elts) <= node.slice.value < len(node.value.elts):
            return node.value.elts[node.slice.value]
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right, op = node.left, node.right, node.op
        if (type(op) in _ARITH and is_const(left) and is_const(right)
                and type(left.value) is int and type(right.value) is int):
            return const(_ARITH[type(op)](left.value, right.value))
        if type(op) in _ARITH and _is_number(left) and _is_number(right):
            value = _folded(op, left.value, right.value)        # the operation Python would do first anyway
            if value is not None and len(repr(value)) <= max(len(repr(left.value)), len(repr(right.value))) + 1:
                return const(value)        # 2 * 0.5 -> 1.0, but 0.1 * 3 stays as written, not 0.30000000000000004
        if isinstance(op, (gast.Add, gast.Sub)) and _negated_number(right) is not None:
            flipped = gast.Sub() if isinstance(op, gast.Add) else gast.Add()
            return gast.BinOp(left=left, op=flipped, right=_negated_number(right))    # a + -0.5 -> a - 0.5
        if (isinstance(op, gast.Div) and is_const(left) and is_const(right) and type(left.value) is int
                and type(right.value) is int and right.value and left.value % right.value == 0):
            return const(float(left.value // right.value))     # 22500 / 1 -> 22500.0, exactly
        if isinstance(op, gast.Mult):
            if is_const(right, 1) and not _may_be_bool(left):
                return _times_one(left, right)
            if is_const(left, 1) and not _may_be_bool(right):
                return _times_one(right, left)     # (never for a mask: 1.0 * (x >= 0) is a float, the mask
                                                   # alone adds as or)
            if is_const(right, -1):
                return self.visit(gast.UnaryOp(op=gast.USub(), operand=left))
            if _is_neg(right):              # a * -b  ->  -(a * b)
                return gast.UnaryOp(op=gast.USub(),
                                    operand=self.visit(gast.BinOp(left=left, op=op, right=right.operand)))
            if _is_reciprocal(right):       # a * (1 / b)  ->  a / b
                return gast.BinOp(left=left, op=gast.Div(), right=right.right)
            if self.is_scalar(left) and isinstance(right, gast.BinOp) and isinstance(right.op, gast.Mult) \
                    and _is_power_of_two(right.left) and not self.is_scalar(right.right):
                # s * (2 * x)  ->  2 * s * x: scale the number, not the array (doubling is exact either way)
                return gast.BinOp(left=gast.BinOp(left=right.left, op=gast.Mult(), right=left), op=gast.Mult(),
                                  right=right.right)
        if isinstance(op, (gast.Mult, gast.Div)) and _is_neg(left) \
                and not (self.is_scalar(left.operand) and not self.is_scalar(right)):   # (-a) * b  ->  -(a * b)
            return gast.UnaryOp(op=gast.USub(),
                                operand=self.visit(gast.BinOp(left=left.operand, op=op, right=right)))
        if isinstance(op, gast.Div) and _is_neg(right):                # a / -b  ->  -(a / b)
            return gast.UnaryOp(op=gast.USub(),
                                operand=self.visit(gast.BinOp(left=left, op=op, right=right.operand)))
        if isinstance(op, gast.Mult) and _is_broadcast_to_shape_of(left, right, self.shapes):
            return gast.BinOp(left=left.args[0], op=op, right=right)   # broadcast_to(e, v.shape) * v
        if isinstance(op, gast.Div) and is_const(right, 1):
            return _times_one(left, const(1.0))     # a true division is a float
        if isinstance(op, gast.Pow) and is_const(right, 1):
            return left
        if isinstance(op, gast.Add):
            if is_const(right, 0):
                return left
            if is_const(left, 0):
                return right
            if _is_neg(right):              # a + -b  ->  a - b
                return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
        if isinstance(op, gast.Sub):
            if is_const(right, 0):
                return left
            if _is_neg(right):              # a - -b  ->  a + b
                return gast.BinOp(left=left, op=gast.Add(), right=right.operand)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        fname = _numpy_function(node, self.np)
        args = node.args
        if fname is not None:     # keepdims=False is every NumPy function's default: a template passing it on
            node.keywords = [k for k in node.keywords if not (k.arg == "keepdims" and isinstance(k.value, gast.Constant)
                                                              and k.value.value is False)]
        if fname in ("ndim", "size") and len(args) == 1 and not node.keywords and isinstance(args[0], gast.Name) \
                and self.shapes.get(args[0].id) is not None:   # np.ndim(a), np.size(a): a Python float has them too
            shape = self.shapes[args[0].id]
            return const(len(shape) if fname == "ndim" else math.prod(shape))
        if fname == "transpose" and len(args) == 1 and not node.keywords and isinstance(args[0], gast.Name) \
                and self.shapes.get(args[0].id) is not None:     # (np.transpose(g) of a g that may be a float)
            if len(self.shapes[args[0].id]) <= 1:
                return args[0]
            return gast.Attribute(value=args[0], attr="T", ctx=gast.Load())
        if fname == "copy" and len(args) == 1 and not node.keywords and isinstance(args[0], gast.Call) \
                and _numpy_function(args[0], self.np) == "copy":
            return args[0]                                       # np.copy(np.copy(x)): one copy is new already
        if fname == "logical_and" and len(args) == 2 and not node.keywords:
            if _is_true(args[0]):
                return args[1]
            if _is_true(args[1]):
                return args[0]
        if fname == "moveaxis" and len(args) == 3 and is_literal(args[1]) and is_literal(args[2]) \
                and literal(args[1]) == literal(args[2]):
            return args[0]
        if fname == "sum" and args and _is_neg(args[0]):      # np.sum(-x) -> -np.sum(x): negate the small one
            node.args = [args[0].operand] + args[1:]
            return gast.UnaryOp(op=gast.USub(), operand=node)
        return node


def _times_one(operand, one):
    """``operand * one`` where ``one`` is 1 or 1.0: the operand, a float where the one made it so
    (``1.0 * 3`` is ``3.0``: a uniform adjoint scaled by an integer is still a float)."""
    if type(one.value) is float and is_const(operand) and type(operand.value) is int:
        return const(float(operand.value))
    return operand


_BOOL_FUNCTIONS = frozenset({"logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf",
                             "isfinite", "signbit", "equal", "not_equal", "less", "less_equal", "greater",
                             "greater_equal", "isclose"})


def _may_be_bool(node):
    """Whether an expression may be a boolean (a mask): multiplying it by 1.0 makes it a number."""
    if isinstance(node, (gast.Compare, gast.BoolOp)):
        return True
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        return True
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
        return node.func.attr in _BOOL_FUNCTIONS
    return isinstance(node, gast.Constant) and isinstance(node.value, bool)


def _is_true(node):
    return isinstance(node, gast.Constant) and node.value is True


def _is_number(node):
    """A literal int or float (not a bool): arithmetic on two is exact to fold."""
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _folded(op, a, b):
    try:
        return _ARITH[type(op)](a, b)
    except OverflowError:      # (an int too large for a float: left for Python to raise at run time)
        return None


def _negated_number(node):
    """For a negative number literal (``-0.5``, as a constant or a minus sign on one), the positive one."""
    if _is_number(node) and node.value < 0:
        return const(-node.value)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and _is_number(node.operand) \
            and node.operand.value > 0:
        return node.operand
    return None


def _is_neg(node):
    return isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and not is_const(node.operand)


def _is_broadcast_to_shape_of(call, operand, shapes):
    """``np.broadcast_to(e, v.shape)`` times ``v`` (or an array of v's known shape, or a number times
    one: ``2 * v``): it broadcasts anyway."""
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "broadcast_to" and len(call.args) == 2 and not call.keywords
            and isinstance(call.args[1], gast.Attribute)
            and call.args[1].attr == "shape" and isinstance(call.args[1].value, gast.Name)):
        return False
    while isinstance(operand, gast.BinOp) and isinstance(operand.op, gast.Mult) and _is_number(operand.left):
        operand = operand.right
    if not isinstance(operand, gast.Name):
        return False
    shaped_like = call.args[1].value.id
    return shaped_like == operand.id or (shapes.get(shaped_like) is not None
                                         and shapes.get(shaped_like) == shapes.get(operand.id))


def _is_power_of_two(node):
    """A constant 2, 4, 8, ...: multiplying by it is exact (it only changes the exponent)."""
    if not is_const(node) or type(node.value) not in (int, float) or node.value < 2:
        return False
    mantissa, _ = np.frexp(node.value)
    return mantissa == 0.5


def _is_reciprocal(node):
    return isinstance(node, gast.BinOp) and isinstance(node.op, gast.Div) and is_const(node.left, 1)


def _numpy_function(call, alias):
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id == alias:
        return func.attr
    return None


def simplify(node, shapes=None, numpy_alias="np"):
    """Simplify an expression or statement (in place where possible); returns the result."""
    return Simplifier(shapes, numpy_alias).visit(node)


_ASKED_OF_NUMPY = {"shape": "shape", "ndim": "ndim", "size": "size", "dtype": "result_type", "T": "transpose"}


def ask_numpy_for_shapes(fn, numbers, shape_of, numpy_alias="np"):
    """``np.shape(b)`` for ``b.shape`` (and ``ndim``, ``size``, ``dtype``, ``T``) where ``b`` may be a Python number.

    A rule reads its operand's shape as ``b.shape``; where the probe saw ``b`` hold
    a Python float on one path and an array on another, its shape is not known,
    and a float has no ``.shape``. NumPy's functions answer for both. ``numbers``:
    the names that may hold a Python number (the probe's, a vjp's cotangent);
    a gradient's seed (``dt = 1.0``) and the copies of any of them
    (``dt20 = dt``) may too, and are asked of NumPy where ``shape_of`` does not
    know their shape. The user's own statements stay as written.
    """
    names = {n for n in maybe_numbers(walk_statements(fn.body), numbers) if shape_of(n) is None}
    class Ask(Transformer):
        keeps_users_statements = True

        def visit_Attribute(self, node):
            self.generic_visit(node)
            if node.attr not in _ASKED_OF_NUMPY or not isinstance(node.ctx, gast.Load):
                return node
            value = node.value      # a name that may hold a number, or an expression reading one
            may_be_a_number = value.id in names if isinstance(value, gast.Name) else \
                not isinstance(value, gast.Constant) and bool(names_in(value, gast.Load) & names)
            if may_be_a_number:
                return gast.Call(func=gast.Attribute(value=gast.Name(id=numpy_alias, ctx=gast.Load(), annotation=None,
                                                                     type_comment=None),
                                                     attr=_ASKED_OF_NUMPY[node.attr], ctx=gast.Load()),
                                 args=[node.value], keywords=[])
            return node

    if not names:
        return fn
    ask = Ask()
    for stmt in walk_statements(fn.body):      # (only the statements that read one: a handful, as a rule)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            field = "iter" if isinstance(stmt, gast.For) else "test"
            if any(n.id in names for n in name_nodes(getattr(stmt, field))):
                setattr(stmt, field, ask.visit(getattr(stmt, field)))
        elif any(n.id in names for n in name_nodes(stmt)):
            ask.visit(stmt)
    return fn


def maybe_numbers(statements, known=()):
    """``known`` and the names some assignment among ``statements`` (normalized or generated) may give a
    Python number, which has no ``.shape``: a number (a gradient's seed ``dt = 1.0``), plain arithmetic on
    numbers and such names (``t = scale * 1``, ``dt = -da``), or a conditional expression either branch of
    which may be one (``dt = da if c else dx``), transitively."""
    found, derived, branches = set(known), [], []
    for s in statements:
        if type(s) is gast.Assign and type(s.targets[0]) is gast.Name:
            value = s.value
            if type(value) is gast.IfExp:
                branches.append((s.targets[0].id, value))
            else:
                operands = _arithmetic_operands(value)       # (None: a call or a subscript somewhere in it)
                if operands == set():
                    found.add(s.targets[0].id)
                elif operands is not None:
                    derived.append((s.targets[0].id, operands))
    grown = True
    while grown:
        new = {target for target, operands in derived if target not in found and operands <= found}
        new |= {target for target, value in branches if target not in found and _may_be_a_number(value, found)}
        found |= new
        grown = bool(new)
    return found


_NUMBERS = (int, float, complex)


def _arithmetic_operands(node):
    """The names Python arithmetic ``node`` reads (numbers and names, operators), or None for anything
    else in it: a call, an attribute, a subscript may make an array of numbers."""
    cls = type(node)
    if cls is gast.Name:
        return {node.id}
    if cls is gast.Constant:
        return set() if type(node.value) in _NUMBERS else None
    if cls is gast.BinOp:
        left, right = _arithmetic_operands(node.left), _arithmetic_operands(node.right)
        return None if left is None or right is None else left | right
    if cls is gast.UnaryOp:
        return _arithmetic_operands(node.operand)
    return None


def _may_be_a_number(node, numbers):
    """Whether ``node`` may evaluate to a Python number, given the names that may hold one."""
    if type(node) is gast.IfExp:
        return _may_be_a_number(node.body, numbers) or _may_be_a_number(node.orelse, numbers)
    operands = _arithmetic_operands(node)
    return operands is not None and operands <= numbers


def simplify_function(fn, shapes=None, numpy_alias="np"):
    """Simplify a generated function in place (before the cleanup passes, which fold what their own
    substitutions make foldable)."""
    Simplifier(shapes, numpy_alias).visit(fn)
