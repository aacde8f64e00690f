"""Mutation testing of the derivative rules: which small errors in a rule would the tests miss?

    python scripts/mutate_rules.py                         # every rule (a few minutes)
    python scripts/mutate_rules.py --rules np.max np.clip  # some rules (names as s2sgrad.rules lists them)
    python scripts/mutate_rules.py --limit 200 --seed 1    # a random sample of 200 mutants
    python scripts/mutate_rules.py --survivors             # print only the mutants no test kills

A *mutant* is a rule with one small edit to one of its templates (``vjp`` or
``jvp``), made on the template's syntax tree: a factor of a product dropped, a
divisor dropped (the tie count of ``np.max``'s adjoint among them), a sign
flipped (``+`` <-> ``-``, a unary minus dropped, the whole contribution
negated), a transpose or conjugate dropped, an ``axis`` shifted by one, a
``keepdims`` negated, a comparison loosened or tightened (``>=`` <-> ``>``,
``==`` -> ``>=``/``<=``: how ties are broken). Templates written by a factory
at each call site are mutated in the text the factory returns (the k-th edit of
a factory is the k-th edit of each text it writes, labelled by the first).

Index arithmetic is left alone (``np.ndim(a) - 1``, ``(1,) * k``, the sign of a
literal axis such as ``-1``), and so are the tests that choose a branch by the
call's constants (``axis is None``): the axis edits stand for their errors.

Each mutant is installed in-process (the rule's entry in the registry is
replaced, and restored afterwards; no file of s2sgrad is changed) and checked
by the cases aimed at its rule, through the very check the test matrix runs
(``tests/test_rules_matrix.py::test_rule``: both modes, the specialized and
the generic derivative, against central differences): the rule's cases in
``tests/rule_cases.py``, the array methods that map onto it, and its special
points (``tests/special_points.py``; those marked as a known defect are left
out). A mutant is *killed* when a case fails.

Edits that cannot change the math are listed in ``EQUIVALENT`` below with the
reason; they run too, and are counted apart where they survive. An edit in a
branch no case takes is not among them: it survives, and is a case to add (a
special point, an asymmetric shape, an axis that matters). The exit status is
1 if any mutant survives.
"""

import argparse
import ast
import collections
import functools
import os
import random
import re
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))

import pathlib  # noqa: E402

import pytest  # noqa: E402

from s2sgrad.rules import builtin_rules  # noqa: E402
from s2sgrad.rules.methods import ARRAY_METHODS  # noqa: E402
from s2sgrad.rules.registry import Template  # noqa: E402

import rule_cases  # noqa: E402
import special_points  # noqa: E402
import test_rules_matrix as matrix  # noqa: E402

# Mutants that do not change the math: (rules, a regular expression matched at the start of the rest of
# the mutant's id as printed, "vjp[a] drop factor: ...", where "(at k) " stands for a factory's k-th edit),
# and why.
_MAXIMA, _MINIMA = ("np.max", "np.amax", "np.nanmax"), ("np.min", "np.amin", "np.nanmin")
_ONE_D = "in the branch of a 1-D x, "
_ZERO_D = "the branch of a 0-d operand, which np.matmul refuses"
_PRODUCTS, _SCANS = ("np.prod", "np.nanprod"), ("np.cumprod", "np.cumulative_prod")
_POWERS = ("np.power", "np.float_power", "math.pow", "pow")
_COUNTS = "a count of zeros is never negative"
_NO_ZEROS_HELD = "where there is no zero, held is a sum of nothing: 0, and constant"
EQUIVALENT = [
    (_MAXIMA, r"\w+\[a\] break ties: a == \(ans if .* -> a >= ", "a >= max is a == max"),
    (_MINIMA, r"\w+\[a\] break ties: a == \(ans if .* -> a <= ", "a <= min is a == min"),
    (("np.ptp",), r"\w+\[a\] break ties: a == np\.max\(a.* -> a >= ", "no element exceeds the maximum"),
    (("np.ptp",), r"\w+\[a\] break ties: a == np\.min\(a.* -> a <= ", "no element is below the minimum"),
    (("np.cov",), r"jvp\[m\] \(at \d+\) flip sign: X - np\.mean\(X", "Xc only meets the centred dXc (dXc @ Xc.T): "
                                                                   "a row's mean added to Xc adds nothing"),
    (("np.cov",), r"jvp\[m\] \(at \d+\) flip sign: dX - np\.mean\(dX", "dXc only meets the centred Xc: its rows' "
                                                                     "means add nothing"),
    (("np.corrcoef",), r"vjp\[x\] \(at \d+\) flip sign: dXc - np\.mean\(dXc", "dXc is centred already (Z's rows are, "
                                                                            "so is (G + G.T) @ Z): the mean "
                                                                            "removed is zero"),
    (("np.corrcoef",), r"jvp\[x\] \(at \d+\) flip sign: dX - np\.mean\(dX", "dXc only meets the centred Z (sums "
                                                                          "with Z, dZ @ Z.T): a row's mean adds "
                                                                          "nothing"),
    (("np.linalg.eigvalsh",), r"vjp\[a\] \(at \d+\) drop transpose: S\.T -> S$", "S = (V * g) @ V.T is symmetric"),
    (("np.linalg.eigvalsh",), r"jvp\[a\] \(at \d+\) drop transpose: np\.tril\(da, -1\)\.T",
     "only the diagonal of V.T @ dA @ V is read, which transposing dA's lower part keeps"),
    (("x[...]",), r"vjp\[x\] negate result: np\.zeros_like\(x\) ->", "-0 is 0"),
    (("np.conjugate",), r"vjp\[x\] drop transpose: np\.conj\(g\) -> g$", "the rule check feeds real arrays, where "
                                                                       "conj is the identity (see the README)"),
    (("np.matmul",), r"vjp\[a\] \(at \d+\) drop factor: g \* b -> g #2$", _ZERO_D),
    (("np.matmul",), r"vjp\[b\] \(at \d+\) drop factor: g \* a -> [ag] #2$", _ZERO_D),
    (("np.linalg.norm",), r"vjp\[x\] \(at 15\) negate keepdims: True -> not True #3$",
     _ONE_D + "where the tie count is a scalar either way"),
    (("np.linalg.norm",), r"vjp\[x\] \(at 1[89]\) shift axis", _ONE_D + "whose axis 0 is its axis -1"),
    (("np.average",), r"vjp\[weights\] \(at 12\) negate keepdims: True -> not True #2$",
     "the total of 1-D weights standing along the axis: its other axes have length 1, kept or not it "
     "broadcasts alike"),
    (("np.imag", "np.angle"), r"\w+\[\w+\] negate result: np\.zeros_like\(\w+\) ->", "-0 is 0 (the rule of a real "
                                                                                    "argument)"),
    (_PRODUCTS, r"\w+\[a\] \(at \d+\) break ties: zeros == 0 -> zeros <= 0$", _COUNTS),
    (_PRODUCTS, r"\w+\[a\] \(at \d+\) break ties: zeros == 1 -> zeros <= 1$", "in the branch of a zero element, "
                                                                              "whose reduction has one zero or more"),
    (_PRODUCTS, r"\w+\[a\] \(at \d+\) break ties: zeros == 2 -> zeros <= 2$",
     "in the branch of a zero element (one zero or more), where with one zero held - factors is the element minus "
     "itself: 0, and constant"),
    (_PRODUCTS, r"\w+\[a\] \(at \d+\) break ties: zeros == 1 -> zeros <= 1 #2$", _NO_ZEROS_HELD),
    (_SCANS, r"\w+\[\w\] \(at \d+\) break ties: count == 0 -> count <= 0$", _COUNTS),
    (_SCANS, r"vjp\[\w\] \(at \d+\) break ties: count == 1 -> count <= 1$",
     "in the branch of a zero element, whose running counts from it on are 1 or more"),
    (_SCANS, r"jvp\[\w\] \(at \d+\) break ties: count == 1 -> count <= 1$",
     "where no zero came yet, the running sum of the zeros' tangents is a sum of nothing: 0, and constant"),
    (_SCANS, r"\w+\[\w\] \(at \d+\) break ties: count == 1 -> count <= 1 #2$", _NO_ZEROS_HELD),
    (_POWERS, r"\w+\[\w+\] \(at \d+\) break ties: \w+ == 0 -> \w+ <= 0$", "only at a negative base with the exponent "
     "0 (for the base's test: there only the second derivative in base and exponent changes, which does not exist: "
     "x ** y is not real for exponents near 0) or at a zero base with a negative exponent (for the exponent's "
     "test: the power is infinite there, without a derivative)"),
    (("max", "min"), "", "never instantiated: normalization writes max(a, b) as np.maximum(a, b) and max(xs) as "
                         "np.max(xs) (and refuses max(*xs), a renamed max)"),
]


def equivalent(mutant):
    """Why ``mutant`` cannot change the math, or None."""
    rest = f"{mutant.mode}[{mutant.param}] {mutant.description}"
    for rules, pattern, reason in EQUIVALENT:
        if mutant.rule.name in rules and re.match(pattern, rest):
            return reason
    return None


_TRANSPOSING_CALLS = {"transpose", "matrix_transpose", "swapaxes", "conj", "conjugate"}
_LOOSER = {ast.GtE: ast.Gt, ast.Gt: ast.GtE, ast.LtE: ast.Lt, ast.Lt: ast.LtE}


# ---------------------------------------------------------------- the edits
def _structural(node):
    """Whether ``node`` only chooses between branches by the call's constants (``axis is None``,
    ``np.ndim(a) == 0``): such tests are folded where the code is generated, so they are left alone."""
    for sub in _outside_tests(node):
        if isinstance(sub, ast.Constant) and sub.value is None:
            return True
        if isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute)) \
                and getattr(sub.func, "id", getattr(sub.func, "attr", None)) in ("ndim", "len", "shape", "size",
                                                                                 "isinstance", "type"):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in ("ndim", "shape", "size"):
            return True
        if isinstance(sub, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn))
                                                for op in sub.ops):
            return True
    return False


def _outside_tests(node):
    """The nodes of ``node``, but for the tests of the conditional expressions in it (``GX``'s)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend([node.body, node.orelse] if isinstance(node, ast.IfExp) else ast.iter_child_nodes(node))


def _short(text, width=48):
    return text if len(text) <= width else text[:width - 3] + "..."


def _sites(tree):
    """The edits one tree allows, in a fixed order: (node, description, replacement maker)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.IfExp, ast.If)) or isinstance(node, ast.BoolOp) and _structural(node):
            skipped.update(id(n) for n in ast.walk(node.test if not isinstance(node, ast.BoolOp) else node))
    sites = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.BinOp) and not (_counting(node.left) or _counting(node.right)):
            if isinstance(node.op, ast.Mult):
                sites.append((node, "drop factor", lambda n: n.right))
                sites.append((node, "drop factor", lambda n: n.left))
            elif isinstance(node.op, ast.Div):
                sites.append((node, "drop divisor", lambda n: n.left))
            elif isinstance(node.op, (ast.Add, ast.Sub)):
                flipped = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
                sites.append((node, "flip sign", lambda n, op=flipped: ast.BinOp(n.left, op, n.right)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and not isinstance(node.operand, ast.Constant):
            sites.append((node, "flip sign", lambda n: n.operand))
        elif isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
            sites.append((node, "drop transpose", lambda n: n.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _TRANSPOSING_CALLS and node.args:
            sites.append((node, "drop transpose", lambda n: n.args[0]))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and not _structural(node):
            op = type(node.ops[0])
            if op in _LOOSER:
                sites.append((node, "break ties", lambda n, new=_LOOSER[op]: ast.Compare(n.left, [new()],
                                                                                           n.comparators)))
            elif op is ast.Eq:
                for new in (ast.GtE, ast.LtE):
                    sites.append((node, "break ties", lambda n, new=new: ast.Compare(n.left, [new()],
                                                                                       n.comparators)))
        if isinstance(node, ast.Call):
            for k, keyword in enumerate(node.keywords):
                if keyword.arg == "keepdims":
                    sites.append((keyword.value, "negate keepdims",
                                  lambda n: ast.UnaryOp(ast.Not(), n)))
                elif keyword.arg == "axis" and (isinstance(keyword.value, ast.Name) or isinstance(
                        keyword.value, ast.Constant) and isinstance(keyword.value.value, int)):
                    sites.append((keyword.value, "shift axis", _shifted))
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id == "axis":
                    sites.append((arg, "shift axis", _shifted))
    return sites


def _shifted(node):
    """``axis`` one lower (the axis before it; 0 becomes the last), where it is one integer."""
    axis = ast.unparse(node)
    return ast.parse(f"({axis} - 1 if type({axis}) is int else {axis})", mode="eval").body


def _counting(node):
    """Whether ``node`` counts axes or elements, or builds a shape (``np.ndim(a) - 1``, ``(1,) * k``,
    ``len(knots) - 2``): index arithmetic, not the derivative's; the axis edits stand for its errors."""
    return isinstance(node, ast.Tuple) or isinstance(node, ast.Constant) and isinstance(node.value, tuple) \
        or _structural(node) or isinstance(node, ast.Name) and node.id in ("i", "k", "n", "axis")


def _negated_result(tree):
    """The whole contribution negated: the expression, or the last assignment to a ``d`` name."""
    if isinstance(tree, ast.Expression):
        if isinstance(tree.body, ast.Tuple):      # one contribution per element of a sequence parameter
            return [(e, "negate result", lambda n: ast.UnaryOp(ast.USub(), n)) for e in tree.body.elts
                    if not (isinstance(e, ast.Constant) and e.value is None)]
        return [(tree.body, "negate result", lambda n: ast.UnaryOp(ast.USub(), n))]
    assigns = [s for s in tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
               and isinstance(s.targets[0], ast.Name) and s.targets[0].id.startswith("d")]
    return [(assigns[-1].value, "negate result", lambda n: ast.UnaryOp(ast.USub(), n))] if assigns else []


def _parse(text):
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError:
        return ast.parse(text)


def edits(text):
    """Every edit of template ``text``: a list of (description, mutated text)."""
    out = []
    for index in range(len(_negated_result(_parse(text))) + len(_sites(_parse(text)))):
        tree = _parse(text)
        sites = _negated_result(tree) + _sites(tree)
        node, kind, make = sites[index]
        before = ast.unparse(node)
        new = make(node)
        _replace(tree, node, new)
        ast.fix_missing_locations(tree)
        after = ast.unparse(new)
        out.append((f"{kind}: {_short(before)} -> {_short(after)}", ast.unparse(tree)))
    return out


def _replace(tree, old, new):
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return
    raise AssertionError("node not found")


# ---------------------------------------------------------------- the mutants
class Mutant:
    def __init__(self, rule, mode, param, description, text=None, index=None):
        self.rule, self.mode, self.param = rule, mode, param
        self.description, self.text, self.index = description, text, index     # text, or a factory's edit index
        self.id = f"{rule.name} {mode}[{param}] {description}"
        self.status = None

    def install(self):
        table = getattr(self.rule, self.mode)
        original = table[self.param]
        if self.text is not None:
            table[self.param] = Template.parse(self.text, original.namespace)
        else:
            table[self.param] = Template(original.text, factory=_mutated_factory(original.factory, self.index),
                                         namespace=original.namespace)
        return original


def _mutated_factory(factory, index):
    @functools.wraps(factory)
    def mutated(**arguments):
        text = factory(**arguments)
        if text is None:
            return None
        texts = edits(text)
        return texts[index][1] if index < len(texts) else text
    return mutated


def _recording_factory(factory, seen):
    @functools.wraps(factory)
    def recording(**arguments):
        text = factory(**arguments)
        if text is not None:
            seen.append(text)
        return text
    return recording


def cases_aimed_at(rule):
    """The cases the suite aims at ``rule``: its table entry, the methods mapped onto it, its special points."""
    cases = list(rule_cases.cases_for(rule))
    for method, (func, _) in ARRAY_METHODS.items():
        if func is rule.func:
            cases += rule_cases.METHOD_CASES.get(method, [])
    cases += special_points.cases_of(rule)
    return cases


def run_cases(rule, cases, tmp):
    """The first case that fails (its index and error), or None. A forward check the case skips is skipped."""
    matrix._MODULES.clear()          # new modules: new functions, so every derivative is generated afresh
    for i, case in enumerate(cases):
        try:
            matrix.test_rule(rule, case, tmp)
        except pytest.skip.Exception:
            pass
        except Exception as error:   # noqa: BLE001  (a crash of generated code fails the test too)
            return i, error
    return None


def mutants_of(rule, cases, tmp):
    """Every mutant of ``rule``; a factory's edits are those of the texts it writes for the cases."""
    mutants = []
    for mode in ("vjp", "jvp"):
        for param, template in getattr(rule, mode).items():
            if template.applies_function:
                continue              # the tangent is the function itself: nothing to edit
            if template.factory is None:
                seen = collections.Counter()
                for description, text in edits(template.text):
                    seen[description] += 1
                    label = description + (f" #{seen[description]}" if seen[description] > 1 else "")
                    mutants.append(Mutant(rule, mode, param, label, text=text))
                continue
            texts = []
            table = getattr(rule, mode)
            table[param] = Template(template.text, factory=_recording_factory(template.factory, texts),
                                    namespace=template.namespace)
            try:
                run_cases(rule, cases, tmp)
            finally:
                table[param] = template
            labels = {}
            for text in texts:
                seen = collections.Counter()
                for index, (description, _) in enumerate(edits(text)):
                    seen[description] += 1
                    labels.setdefault(index, description + (f" #{seen[description]}" if seen[description] > 1
                                                            else ""))
            mutants += [Mutant(rule, mode, param, f"(at {index}) {label}", index=index)
                        for index, label in sorted(labels.items())]
    return mutants


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", nargs="*", help="only these rules (as s2sgrad.rules names them)")
    parser.add_argument("--limit", type=int, help="a random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed")
    parser.add_argument("--survivors", action="store_true", help="print only the mutants that survive")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    started = time.time()

    rules = builtin_rules()
    if options.rules:
        unknown = set(options.rules) - {r.name for r in rules}
        if unknown:
            parser.error(f"no such rules: {sorted(unknown)}")
        rules = [r for r in rules if r.name in options.rules]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="s2sgrad_mutants_"))
    work = []
    for rule in rules:
        cases = cases_aimed_at(rule)
        if run_cases(rule, cases, tmp) is not None:
            print(f"{rule.name}: its cases fail without any mutation; left out", file=sys.stderr)
            continue
        work += [(m, cases) for m in mutants_of(rule, cases, tmp)]
    if options.limit is not None and options.limit < len(work):
        work = random.Random(options.seed).sample(work, options.limit)

    counts = collections.Counter()
    for mutant, cases in work:
        original = mutant.install()      # (a mutant listed as equivalent runs too: the list may be wrong)
        try:
            killed = run_cases(mutant.rule, cases, tmp) is not None
        finally:
            getattr(mutant.rule, mutant.mode)[mutant.param] = original
        reason = None if killed else equivalent(mutant)
        mutant.status = "killed" if killed else "equivalent" if reason else "SURVIVED"
        counts[mutant.status] += 1
        if not options.survivors or mutant.status == "SURVIVED":
            print(f"{mutant.status:10} {mutant.id}" + (f"  ({reason})" if reason else ""), flush=True)
    scored = counts["killed"] + counts["SURVIVED"]
    print(f"\n{len(work)} mutants of {len(rules)} rules: {counts['killed']} killed, {counts['SURVIVED']} survived, "
          f"{counts['equivalent']} equivalent; score {counts['killed']}/{scored}"
          f" = {100 * counts['killed'] / max(scored, 1):.1f}% ({time.time() - started:.0f} s)")
    return 1 if counts["SURVIVED"] else 0


if __name__ == "__main__":
    sys.exit(main())
