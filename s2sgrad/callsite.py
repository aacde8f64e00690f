"""What a transformer asks of a call site: its rule, and the derivative functions it needs generated.

Reverse and forward mode read a normalized right-hand side the same way: an
operator, a call, a method, a subscript or ``.T``, each mapped to the rule in
:mod:`s2sgrad.rules` with its arguments bound to the rule's parameter names.
:class:`CallSites` holds that reading; both transformers inherit it.
:class:`Subroutines` generates, for a recursive user function (which cannot be
inlined), the vjp or jvp function the derivative calls, into the same module.
"""

import gast

from .astutil import const, walk
from .complex_values import any_operand_complex
from .errors import GradError, origin_of
from .mutation import construct
from .rules import lookup
from .rules.indexing import index_advanced, index_basic, index_newaxis
from .rules.python import ARRAY_ATTRIBUTES, BINARY_OPERATORS, UNARY_OPERATORS
from .rules.registry import RuleError, argument_value, lookup_method
from .rules.sequences import operation_on_lists


_NO_RULE_HINTS = {
    "the method .tolist()": "keep the array and compute with it (x[i] for an item); "
                            "call .tolist() on values that need no derivative",
}


class CallSites:
    """Rule lookup for a transformer with ``self.facts`` (shapes, integers) and ``self.program``."""

    def template_at(self, rule, template, mapping, stmt):
        """The rule's template for this call (see :meth:`variant`): a factory writes it from the call's arguments."""
        template = self.variant(rule, template, mapping)
        if template.factory is None:
            return template
        arguments = {k: argument_value(v, self.facts.shapes) for k, v in mapping.items()}
        try:
            return template.at(arguments)
        except RuleError as exc:
            raise GradError(f"{rule.name}: {exc}", origin_of(stmt)) from None

    def variant(self, rule, template, mapping):
        """``template``, or its complex variant where an operand of the call may be complex
        (see :mod:`s2sgrad.complex_values`)."""
        if template.complex is not None and any_operand_complex(rule, mapping, self.facts):
            return template.complex
        return template

    @staticmethod
    def refuse_one_sided(rule, p, stmt, mode):
        """A parameter that carries a derivative, under a rule for the other mode only (a user's
        ``s2sgrad.adjoint`` without its ``s2sgrad.tangent``): its derivative here is unknown, not zero."""
        other, decorator = ("forward-mode", "adjoint") if mode == "reverse" else ("reverse-mode", "tangent")
        raise GradError(f"{rule.name} has a {other} rule for its argument {p} but no {mode}-mode rule",
                        origin_of(stmt), f"register one with @s2sgrad.{decorator}({rule.name.split('.')[-1]}) "
                                         f"(see docs/rules.md)")

    def output_count(self, y, rhs, stmt):
        """How many results of ``y = f(...)`` (a call with a variable count) the code reads: ``y[k]``, max k."""
        used = [n.slice.value for n in walk(self.program.node)
                if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and n.value.id == y
                and isinstance(n.slice, gast.Constant) and type(n.slice.value) is int]
        if not used or min(used) < 0:
            raise GradError(f"{construct(rhs)} returns a number of arrays that s2sgrad cannot count here "
                            f"(a loop over them, or an index that is not a constant)", origin_of(stmt),
                            "unpack them (a, b, c = np.split(x, 3)) or read each by a constant index "
                            "(parts[0], parts[1])")
        return max(used) + 1

    def rule_for(self, rhs, stmt):
        """The rule for a normalized right-hand side and its arguments bound to parameter names."""
        on_lists = operation_on_lists(rhs, self.container_kind)
        if on_lists is not None:           # hs + [h]: concatenation, not np.add (see rules/sequences)
            func, args = on_lists
            return self.bind(lookup(func), args, {}, stmt, what=func.__name__)
        if isinstance(rhs, gast.BinOp):
            func = BINARY_OPERATORS.get(type(rhs.op))
            return self.bind(lookup(func) if func else None, [rhs.left, rhs.right], {}, stmt,
                             what=f"the operator {type(rhs.op).__name__}")
        if isinstance(rhs, gast.UnaryOp):
            func = UNARY_OPERATORS.get(type(rhs.op))
            return self.bind(lookup(func) if func else None, [rhs.operand], {}, stmt,
                             what=f"the operator {type(rhs.op).__name__}")
        if isinstance(rhs, gast.Subscript):
            return self.index_rule(rhs, stmt)
        if isinstance(rhs, gast.Attribute):
            if rhs.attr in ARRAY_ATTRIBUTES:
                return self.bind(lookup(ARRAY_ATTRIBUTES[rhs.attr]), [rhs.value], {}, stmt, what=f".{rhs.attr}")
            raise GradError(f"no derivative rule for the attribute .{rhs.attr}", origin_of(stmt))
        if isinstance(rhs, gast.Call):
            kwargs = {k.arg: k.value for k in rhs.keywords}
            method = getattr(rhs, "method", None)
            if method is not None:
                rule = lookup_method(method)
                return self.bind(rule, [rhs.func.value] + list(rhs.args), kwargs, stmt,
                                 what=f"the method .{method}()")
            callee = rhs.callee
            rule = lookup(callee)
            what = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", repr(callee))
            return self.bind(rule, list(rhs.args), kwargs, stmt, what=what)
        raise GradError(f"differentiating {type(rhs).__name__} is not supported yet", origin_of(stmt))

    def container_kind(self, atom):
        """``"list"``, ``"tuple"``, ``"dict"`` for an atom known to hold one, else None."""
        if isinstance(atom, gast.Name):
            return self.facts.kinds.get(atom.id)
        return {gast.List: "list", gast.Tuple: "tuple", gast.Dict: "dict"}.get(type(atom))

    def bind(self, rule, args, kwargs, stmt, what):
        if rule is None:
            hint = _NO_RULE_HINTS.get(what, "register one with s2sgrad.defrule(function, params, vjp=..., jvp=...)")
            raise GradError(f"no derivative rule for {what}", origin_of(stmt), hint)
        bound, error = rule.bind(args, kwargs)
        if error:
            raise GradError(error, origin_of(stmt))
        return rule, bound

    def index_rule(self, rhs, stmt):
        index = rhs.slice
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        if all(_is_full_slice(p) or _is_none(p) for p in parts) and any(_is_none(p) for p in parts):
            restore = [gast.Slice(lower=None, upper=None, step=None) if _is_full_slice(p) else const(0)
                       for p in parts]
            restore = restore[0] if len(restore) == 1 else gast.Tuple(elts=restore, ctx=gast.Load())
            return lookup(index_newaxis), {"x": rhs.value, "index": index, "restore": restore}
        if all(self.is_basic_index(p) for p in parts):
            return lookup(index_basic), {"x": rhs.value, "index": index}
        return lookup(index_advanced), {"x": rhs.value, "index": index}

    def is_basic_index(self, part):
        if isinstance(part, gast.Slice):
            return all(v is None or self.is_integer(v) for v in (part.lower, part.upper, part.step))
        if isinstance(part, gast.Constant):
            return part.value is None or part.value is Ellipsis or type(part.value) is int
        return self.is_integer(part)

    def is_integer(self, atom):
        if isinstance(atom, gast.Constant):
            return type(atom.value) is int or atom.value is None
        return isinstance(atom, gast.Name) and atom.id in self.facts.integers



class Subroutines:
    """The derivative functions generated for recursive user functions, one per (function, active arguments).

    ``build(program, wrt, subroutines)`` returns ``(FunctionDef, derivative names)``
    for one of them; it may request more (the function calling itself).
    """

    def __init__(self, kind, build, caller=None):
        self.kind = kind          # "vjp" or "jvp": the generated functions' prefix
        self.build = build
        self.caller = caller      # the name of the function they are generated for
        self.names = {}
        self.functions = []       # (FunctionDef, Externals), in the order generated

    def request(self, func, active):
        key = (func, active)
        if key in self.names:
            return self.names[key]
        from .naming import Namer
        from .normalize import normalize
        from .optimize import optimize
        from .parsing import parse_function
        from .shapes import static_facts
        taken = set(self.names.values()) | {self.caller}
        new_name = f"{self.kind}_{func.__name__}"
        count = 0
        while new_name in taken:
            count += 1
            new_name = f"{self.kind}_{func.__name__}_{count}"
        self.names[key] = new_name
        program = normalize(parse_function(func), Namer())
        facts = static_facts(program)
        fn, generated = self.build(program, [program.params[i] for i in active], facts, self)
        fn.name = new_name
        optimize(fn, program.namer, generated, facts.shapes, program.externals.np)
        self.functions.append((fn, program.externals))
        return new_name


def _is_full_slice(part):
    return isinstance(part, gast.Slice) and part.lower is None and part.upper is None and part.step is None


def _is_none(part):
    return isinstance(part, gast.Constant) and part.value is None
