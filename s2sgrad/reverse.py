"""Reverse mode: the adjoint (backpropagation) of a normalized function.

The generated function runs the primal statements forward, then walks them
backwards applying each statement's rule: for ``y = f(a, b)`` the adjoint ``dy``
flows into ``da`` and ``db`` through the templates in :mod:`s2sgrad.rules`. The
first contribution to an adjoint assigns it, later ones add to it, so no
adjoint is ever initialized to zeros unless nothing reaches it.

Where the rule is elementwise and its operands may have broadcast, the
contribution is summed back to the operand's shape: with known shapes as the
exact ``np.sum(..., axis=...)`` the case needs (or nothing at all), and only
where shapes are unknown through the standalone ``unbroadcast`` helper.
"""

import gast

from . import activity
from .astutil import assign, const, copy_origin, name, store
from .errors import GradError, origin_of
from .rules import lookup
from .rules.indexing import index_advanced, index_basic, index_newaxis
from .rules.python import BINARY_OPERATORS, UNARY_OPERATORS, transpose_attribute
from .rules.registry import lookup_method
from .runtime import unbroadcast
from .templates import instantiate


class ReverseMode:
    """Builds the gradient (``mode="grad"``) or vector-Jacobian product (``mode="vjp"``) function."""

    def __init__(self, program, wrt, facts, mode="grad"):
        self.program = program
        self.namer = program.namer
        self.externals = program.externals
        self.np = self.externals.np
        self.wrt = list(wrt)
        self.facts = facts
        self.mode = mode
        self.adjoint_names = {}
        self.has_adjoint = set()
        self.out = []

    # ------------------------------------------------------------------ build
    def build(self):
        body = list(self.program.node.body)
        ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
        if ret is None:
            raise GradError(f"{self.program.parsed.name} returns nothing to differentiate",
                            self.program.parsed.origin, "return the scalar you want the gradient of")
        out = ret.value
        outputs = {out.id} if isinstance(out, gast.Name) else set()
        self.active = activity.active_names(body, self.wrt, outputs) | (outputs & set(self.wrt))
        self.value_name = out.id if isinstance(out, gast.Name) else None

        adjoint = []
        self.out = adjoint
        seed_param = None
        if isinstance(out, gast.Name) and out.id in self.active:
            seed = self.adjoint_name(out.id)
            self.has_adjoint.add(out.id)
            if self.mode == "grad":
                adjoint.append(assign(seed, const(1.0), ret))
            else:
                seed_param = seed
        elif self.mode == "vjp":
            seed_param = self.namer.fresh("dout")
        for stmt in reversed(body):
            self.reverse_statement(stmt)
        grads = []
        for p in self.wrt:
            if p not in self.has_adjoint:
                self.emit(assign(self.adjoint_name(p), self.call_np("zeros_like", name(p))), ret)
            grads.append(name(self.adjoint_name(p)))
        result = grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
        if self.mode == "grad":
            result = gast.Tuple(elts=[out, result], ctx=gast.Load())
        node = self.program.node
        args = gast.arguments(args=list(node.args.args), posonlyargs=[], vararg=None,
                              kwonlyargs=[name(seed_param, gast.Param())] if seed_param else [],
                              kw_defaults=[None] if seed_param else [], kwarg=None,
                              defaults=list(node.args.defaults))
        prefix = "grad_" if self.mode == "grad" else "vjp_"
        fn = gast.FunctionDef(name=prefix + self.program.parsed.name.replace("<lambda>", "lambda"),
                              args=args, body=body + adjoint + [gast.Return(value=result)],
                              decorator_list=[], returns=None, type_comment=None, type_params=[])
        copy_origin(fn, node)
        return fn

    # --------------------------------------------------------------- adjoints
    def adjoint_name(self, primal):
        if primal not in self.adjoint_names:
            self.adjoint_names[primal] = self.namer.derivative(primal)
        return self.adjoint_names[primal]

    def emit(self, stmt, like=None):
        if like is not None:
            copy_origin(stmt, like)
        self.out.append(stmt)

    def call_np(self, fname, *args, **kwargs):
        return gast.Call(func=self.externals.numpy(fname), args=list(args),
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])

    def accumulate(self, primal, like, expr=None, template=None, mapping=None, result_name=None):
        """Add a contribution to ``primal``'s adjoint: assign on the first, add after."""
        target = self.adjoint_name(primal)
        first = primal not in self.has_adjoint
        if expr is None:
            piece = target if first else self.namer.temp_like(target)
            stmts, _ = instantiate(template, mapping, self.namer, self.np, target=piece,
                                   result_name=result_name, shapes=self.facts.shapes)
            for s in stmts:
                self.emit(s, like)
            expr = None if first else name(piece)
        if expr is not None:
            if not first:
                expr = gast.BinOp(left=name(target), op=gast.Add(), right=expr)
            self.emit(assign(target, expr), like)
        self.has_adjoint.add(primal)

    # ------------------------------------------------------------- statements
    def reverse_statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                if target.id in self.active and target.id in self.has_adjoint:
                    self.reverse_assign(target.id, stmt.value, stmt)
                return
            if not (activity.names_in_store(target) & self.active):
                return
            raise GradError("differentiating this assignment is not supported yet", origin_of(stmt))
        if isinstance(stmt, (gast.Expr, gast.Assert, gast.Raise, gast.Pass)):
            return
        if not (activity.names_in_store(stmt) & self.active):
            return  # e.g. `if verbose: print(...)`: nothing to differentiate inside
        kind = {gast.If: "an if statement", gast.For: "a for loop",
                gast.While: "a while loop"}.get(type(stmt), type(stmt).__name__)
        raise GradError(f"differentiating {kind} is not supported yet", origin_of(stmt))

    def reverse_assign(self, y, rhs, stmt):
        g = name(self.adjoint_name(y))
        if isinstance(rhs, gast.Name):
            if rhs.id in self.active:
                self.accumulate(rhs.id, stmt, expr=g)
            return
        if isinstance(rhs, gast.Constant) or not activity.carries_derivative(rhs):
            return
        rule, bound = self.rule_for(rhs, stmt)
        if rule is None:
            return
        mapping = dict(bound)
        mapping["g"] = g
        mapping["ans"] = name(y)
        for p in rule.params:
            if p not in rule.vjp:
                continue
            arg = bound[p]
            if p in rule.sequences:
                self.reverse_sequence(rule, p, arg, mapping, stmt)
                continue
            if not (isinstance(arg, gast.Name) and arg.id in self.active):
                continue
            template = rule.vjp[p]
            if template.expr is None:
                self.accumulate(arg.id, stmt, template=template, mapping=mapping, result_name="d" + p)
                continue
            _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes)
            if rule.broadcasts:
                expr = self.sum_to_operand(expr, arg, y, [bound[q] for q in rule.params if q != p])
            self.accumulate(arg.id, stmt, expr=expr)

    def reverse_sequence(self, rule, p, arg, mapping, stmt):
        """A list argument (``np.stack([a, b])``): the template yields one adjoint per element."""
        if not isinstance(arg, (gast.List, gast.Tuple)):
            raise GradError(f"{rule.name}: pass the arrays as a list literal, e.g. [a, b]", origin_of(stmt))
        elements = [e.id if isinstance(e, gast.Name) and e.id in self.active else None for e in arg.elts]
        if not any(elements):
            return
        _, expr = instantiate(rule.vjp[p], mapping, self.namer, self.np, shapes=self.facts.shapes)
        pieces = [self.namer.temp_like(self.adjoint_name(e)) if e else "_" for e in elements]
        self.emit(assign(gast.Tuple(elts=[store(n) for n in pieces], ctx=gast.Store()), expr), stmt)
        for element, piece in zip(elements, pieces):
            if element:
                self.accumulate(element, stmt, expr=name(piece))

    # ------------------------------------------------------------------ rules
    def rule_for(self, rhs, stmt):
        """The rule for a normalized right-hand side and its arguments bound to parameter names."""
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
            if rhs.attr == "T":
                return self.bind(lookup(transpose_attribute), [rhs.value], {}, stmt, what=".T")
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

    def bind(self, rule, args, kwargs, stmt, what):
        if rule is None:
            raise GradError(f"no derivative rule for {what}", origin_of(stmt),
                            "register one with s2sgrad.defrule(function, params, vjp=..., jvp=...)")
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

    # ------------------------------------------------------------ broadcasting
    def sum_to_operand(self, expr, arg, result, others):
        """Reduce a contribution over the axes by which ``result`` is larger than ``arg``."""
        arg_shape = self.facts.shape(arg.id)
        result_shape = self.facts.shape(result)
        if arg_shape is not None and result_shape is not None:
            return self.sum_to_shape(expr, result_shape, arg_shape, arg)
        if all(self.facts.is_scalar(o) for o in others):
            return expr        # every other operand is a scalar: the result has the operand's shape
        if arg_shape == ():
            return self.call_np("sum", expr)
        return gast.Call(func=self.externals.reference(unbroadcast, "unbroadcast"), args=[expr, arg],
                         keywords=[])

    def sum_to_shape(self, expr, from_shape, to_shape, arg):
        if from_shape == to_shape:
            return expr
        if to_shape == ():
            return self.call_np("sum", expr)
        lead = len(from_shape) - len(to_shape)
        lead_axes = tuple(range(lead))
        kept = tuple(lead + i for i, n in enumerate(to_shape) if n == 1 and from_shape[lead + i] != 1)
        if not lead_axes and not kept:
            return expr
        axes = lead_axes + kept
        axis = const(axes[0]) if len(axes) == 1 else gast.Tuple(elts=[const(a) for a in axes],
                                                                ctx=gast.Load())
        if not kept:
            return self.call_np("sum", expr, axis=axis)
        if not lead_axes:
            return self.call_np("sum", expr, axis=axis, keepdims=const(True))
        return self.call_np("reshape", self.call_np("sum", expr, axis=axis),
                            gast.Attribute(value=name(arg.id), attr="shape", ctx=gast.Load()))


def _is_full_slice(part):
    return isinstance(part, gast.Slice) and part.lower is None and part.upper is None and part.step is None


def _is_none(part):
    return isinstance(part, gast.Constant) and part.value is None
