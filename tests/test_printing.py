"""The direct printer of common statements (s2sgrad.printing) writes what astor writes.

Generated code is printed by astor except for the common statements, which
:mod:`s2sgrad.printing` prints itself to save time; users must never see the
difference. Each statement below is printed both ways, from fresh trees.
"""

import astor
import gast
import pytest

from s2sgrad import codegen
from s2sgrad.astutil import assign, const, name
from s2sgrad.printing import Unprinted, statement_text


class _AstorOnly(codegen._GastSourceGenerator):
    """The generator without the direct path: astor prints every statement."""

    visit_Assign = astor.code_gen.SourceGenerator.visit_Assign
    visit_AugAssign = astor.code_gen.SourceGenerator.visit_AugAssign
    visit_Return = astor.code_gen.SourceGenerator.visit_Return
    visit_Expr = astor.code_gen.SourceGenerator.visit_Expr


def _by_astor(tree):
    return codegen.printed_by(_AstorOnly, tree)


STATEMENTS = [
    "y = a + b * c - d / e",
    "y = (a + b) * (c - d) / (e @ f)",
    "y = a - (b - c)",
    "y = a / (b / c) / d",
    "y = -(a * b) - -c",
    "y = -a ** 2",
    "y = (-a) ** 2",
    "y = a ** -b ** c",
    "y = (a ** b) ** c",
    "y = a ** 0.5 * 2",
    "y = not a and (b or c)",
    "y = ~a & b | c ^ d",
    "y = a < b <= c",
    "y = (a < b) == c",
    "y = (a if b else c) + 1",
    "y = a if b > 0 else c if d else e",
    "y = np.sum(a * b, axis=(0, 1), keepdims=True)",
    "y = np.sum(a + b)",
    "y = f(*args, x, **kwargs)",
    "y = f(a, b=c)(d)",
    "y = (a + b).T @ c.reshape(-1, 1)",
    "y = a[0]",
    "y = a[1:, ::2]",
    "y = a[:, None, ...]",
    "y = a[i:j:None]",
    "y = a[(i, j)]",
    "y = a[b > 0]",
    "y = (a, b)",
    "y = a,",
    "y = ()",
    "y = [a, [b, c], ()]",
    "y = f((a, b), [c])",
    "y = np.zeros((*x.shape, 2))",
    "a[0], b = c, d",
    "x = y = 1.5",
    "y += a * b",
    "y @= -a",
    "return a, b",
    "return",
    "return a + 1",
    "f(a)",
    "np.add.at(dx, idx, g)",
    "y = True is not None",
    "y = 10 ** 400 + 1e-300",
    "y = a in b and c not in d",
    "y = (yield)",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_a_statement_prints_as_astor_prints_it(statement):
    wrapped = "def f():\n    " + statement + "\n"
    ours = codegen.to_source(gast.parse(wrapped))
    assert ours == _by_astor(gast.parse(wrapped))


LEFT_TO_ASTOR = [
    "y = 'ij,jk'",
    "y = f'{a}'",
    "y = lambda z: z",
    "y = [z for z in a]",
    "y = 1j * a",
    "y = {'a': b}",
]


@pytest.mark.parametrize("statement", LEFT_TO_ASTOR)
def test_what_it_does_not_print_is_left_to_astor(statement):
    tree = gast.parse(statement)
    with pytest.raises(Unprinted):
        statement_text(tree.body[0])
    assert codegen.to_source(gast.parse(statement)) == _by_astor(gast.parse(statement))


def _made(value_of):
    """A statement built as the passes build them (numbers as they fold, not as parsed)."""
    return gast.Module(body=[assign("y", value_of())], type_ignores=[])


BUILT = {
    "a negative number raised to a power": lambda: gast.BinOp(left=const(-2.0), op=gast.Pow(), right=name("a")),
    "a power of a negative number": lambda: gast.BinOp(left=name("a"), op=gast.Pow(), right=const(-0.5)),
    "a number's attribute": lambda: gast.Attribute(value=const(1.5), attr="real", ctx=gast.Load()),
    "a sum's attribute": lambda: gast.Attribute(
        value=gast.BinOp(left=name("a"), op=gast.Add(), right=name("b")), attr="T", ctx=gast.Load()),
    "a negated product": lambda: gast.UnaryOp(op=gast.USub(), operand=gast.BinOp(
        left=const(-1.0), op=gast.Mult(), right=name("a"))),
    "infinity": lambda: gast.BinOp(left=name("a"), op=gast.Mult(), right=const(float("inf"))),
}


@pytest.mark.parametrize("what", BUILT)
def test_a_built_statement_prints_as_astor_prints_it(what):
    assert codegen.to_source(_made(BUILT[what])) == _by_astor(_made(BUILT[what]))
