"""The common statements of generated code, printed as astor prints them, at a third of its cost.

astor writes each node through a generic visitor, a ``write`` closure that
tests every item, and a context manager per operator for its parentheses;
for a gradient of a thousand lines that is a tenth of all the compile time.
Generated code is mostly assignments of names, numbers, arithmetic, calls,
attributes and subscripts: :func:`statement_text` prints those directly, with
astor's own precedence tables and the same rule for parentheses (a node is
wrapped where its precedence is below what its parent asks of it, ``_pp``,
which it also records on the nodes, as astor does). Anything else (strings,
f-strings, lambdas, comprehensions, non-finite floats) raises :class:`Unprinted`
and the caller lets astor print the whole statement. The golden-source tests
and a comparison over every rule's generated code hold the two to the same text.
"""

import math

import gast
from astor.op_util import Precedence, precedence_data, symbol_data


class Unprinted(Exception):
    """The statement holds a node this printer leaves to astor."""


for _table in (precedence_data, symbol_data):     # gast's operators and nodes are ast's namesakes
    _table.update({getattr(gast, cls.__name__): value for cls, value in list(_table.items())
                   if cls is not None and isinstance(getattr(gast, cls.__name__, None), type)})

_HIGHEST = Precedence.highest
_COMMA = Precedence.Comma
_SPACED = {op: f" {symbol} " for op, symbol in symbol_data.items()}


def _pp(node):
    """The precedence ``node``'s parent asks of it (astor's default where none did)."""
    return node.__dict__.get("_pp", _HIGHEST)


def _wrapped(text, p, node):
    return text if p >= _pp(node) else f"({text})"


def expression_text(node):
    """``node``'s source, parenthesized as astor would where its parent set ``node._pp``."""
    cls = type(node)
    if cls is gast.Name:
        return node.id
    if cls is gast.Attribute:
        return f"{expression_text(node.value)}.{node.attr}"
    if cls is gast.Constant:
        value = node.value
        kind = type(value)
        if kind is int or kind is bool or (kind is float and math.isfinite(value)):
            return _wrapped(repr(value), Precedence.Constant, node)
        if value is None:
            return "None"
        raise Unprinted(node)
    if cls is gast.BinOp:
        op = type(node.op)
        p = precedence_data[op]
        if op is gast.Pow:                  # right-associative: the left operand binds tighter
            node.left._pp, node.right._pp = Precedence.Pow + 1, Precedence.PowRHS
        else:
            node.left._pp, node.right._pp = p, p + 1
        return _wrapped(expression_text(node.left) + _SPACED[op] + expression_text(node.right), p, node)
    if cls is gast.Call:
        args, keywords = node.args, node.keywords
        inner = _COMMA if len(args) + len(keywords) > 1 else Precedence.call_one_arg
        parts = []
        for arg in args:
            arg._pp = inner
            parts.append(expression_text(arg))
        for keyword in keywords:
            keyword.value._pp = _COMMA
            parts.append(f"{keyword.arg}={expression_text(keyword.value)}" if keyword.arg
                         else f"**{expression_text(keyword.value)}")
        return f"{expression_text(node.func)}({', '.join(parts)})"
    if cls is gast.Subscript:
        node.slice._pp = precedence_data[gast.Subscript]
        return f"{expression_text(node.value)}[{expression_text(node.slice)}]"
    if cls is gast.UnaryOp:
        op = type(node.op)
        p = precedence_data[op]
        node.operand._pp = p
        symbol = symbol_data[op]
        return _wrapped(symbol + (" " if symbol.isalpha() else "") + expression_text(node.operand), p, node)
    if cls is gast.Tuple:
        elts = node.elts
        text = _items(elts) + ("," if len(elts) == 1 else "")
        return text if elts and precedence_data[gast.Tuple] >= _pp(node) else f"({text})"
    if cls is gast.List:
        return f"[{_items(node.elts)}]"
    if cls is gast.Slice:
        p = precedence_data[gast.Slice]
        lower, upper, step = node.lower, node.upper, node.step
        text = ""
        if lower is not None:
            lower._pp = p
            text = expression_text(lower)
        text += ":"
        if upper is not None:
            upper._pp = p
            text += expression_text(upper)
        if step is not None:
            step._pp = p
            text += ":" if type(step) is gast.Name and step.id == "None" else ":" + expression_text(step)
        return text
    if cls is gast.Compare:
        p = precedence_data[type(node.ops[0])]
        node.left._pp = p + 1
        text = expression_text(node.left)
        for op, right in zip(node.ops, node.comparators):
            right._pp = p + 1
            text += _SPACED[type(op)] + expression_text(right)
        return _wrapped(text, p, node)
    if cls is gast.IfExp:
        p = precedence_data[gast.IfExp]
        node.body._pp = node.test._pp = p + 1
        node.orelse._pp = p
        text = f"{expression_text(node.body)} if {expression_text(node.test)} else {expression_text(node.orelse)}"
        return _wrapped(text, p, node)
    if cls is gast.Starred:
        return "*" + expression_text(node.value)
    raise Unprinted(node)


def _items(elts):
    for elt in elts:
        elt._pp = _COMMA
    return ", ".join(expression_text(elt) for elt in elts)


def statement_text(node):
    """An assignment, augmented assignment, return or expression statement's line, without its
    indentation; :class:`Unprinted` for any other statement."""
    cls = type(node)
    if cls is gast.Assign:
        p = precedence_data[gast.Assign]
        node.value._pp = p
        text = ""
        for target in node.targets:
            target._pp = p
            text += expression_text(target) + " = "
        return text + expression_text(node.value)
    if cls is gast.AugAssign:
        p = precedence_data[gast.AugAssign]
        node.target._pp = node.value._pp = p
        return f"{expression_text(node.target)} {symbol_data[type(node.op)]}= {expression_text(node.value)}"
    if cls is gast.Return:
        if node.value is None:
            return "return"
        node.value._pp = precedence_data[gast.Return]
        return "return " + expression_text(node.value)
    if cls is gast.Expr:
        node.value._pp = precedence_data[gast.Expr]
        return expression_text(node.value)
    raise Unprinted(node)
