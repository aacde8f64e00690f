"""Forward mode: a tangent carried beside each value.

The generated function runs the primal statements in order and, after each one
that computes an active value, the statement computing that value's tangent::

    Q = np.dot(X, V)
    dQ = np.dot(dX, V) + np.dot(X, dV)

one contribution per active argument, from the ``jvp`` templates of the rules
in :mod:`s2sgrad.rules` (beside the ``vjp`` templates reverse mode reads).
Nothing is recorded and nothing runs backwards, so control flow needs no tape:
loops and branches are copied, with tangent statements next to primal ones.

One invariant makes that work without tracking paths: wherever an active name
holds a value, its tangent name holds that value's tangent. Every assignment of
an active name therefore assigns its tangent (a zero, ``np.zeros_like(x)``,
where nothing active flows in), and active parameters outside ``wrt`` start
with a zero tangent. In-place writes (``x[i] = v``, ``xs.append(v)``,
``np.add.at(x, i, v)``) write the tangent the same way, into the tangent.
"""

import builtins
import inspect

import gast
import numpy as np

from . import activity
from .astutil import assign, clone, const, copy_origin, name, names_in, substitute, walk
from .complex_values import refuse_constant_only_for_real, refuse_recursion_with_complex
from .errors import GradError, origin_of
from .mutation import refuse_unsupported, writes
from .unseen_writes import refuse_writes_outside
from .normalize import constant_node
from .callsite import CallSites, Subroutines
from . import runtime
from .rules.sequences import LINEAR_ON_LISTS, SEQUENCE_KINDS, refuse_iterators_kept
from .templates import instantiate

# list methods kept as method calls: what each positional argument is, so that the
# same call on the tangent list passes tangents for elements and keeps indices
LIST_METHODS = {
    "append": ("element",),
    "insert": ("index", "element"),
    "extend": ("sequence",),
    "pop": ("index",),
    "reverse": (),
    "clear": (),
}

_ANS = "__s2sgrad_ans__"   # stands for the result while a tangent is built; see define()


class ForwardMode(CallSites):
    """Builds ``jvp_f(<f's params>, *, d<p> for each wrt p)`` returning ``(value, tangent)``.

    ``prefix`` names tangents (``d`` + primal); forward-over-reverse passes
    another one, since there ``dW`` already names an adjoint.
    """

    def __init__(self, program, wrt, facts, prefix="d", subroutines=None, seed_positional=False):
        self.program = program
        self.namer = program.namer
        self.externals = program.externals
        self.np = self.externals.np
        self.wrt = list(wrt)
        self.facts = facts
        self.prefix = prefix
        self.tangent_names = {}
        self.subroutines = subroutines if subroutines is not None else Subroutines(
            "jvp", lambda *args: _build_jvp(prefix, *args), self.function_name)
        self.seed_positional = seed_positional   # a generated jvp that generated code calls: all positional
        self.out = []
        self.instances = {}      # simplified rule instances, by what they depend on (see instantiate)

    # ------------------------------------------------------------------ build
    def build(self):
        body = list(self.program.node.body)
        ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
        if ret is None:
            raise GradError(f"{self.program.parsed.name} returns nothing to differentiate",
                            self.program.parsed.origin, "return the value you want the derivative of")
        value = ret.value
        outputs = {value.id} if self.is_local(value) else set()
        self.active = activity.active_names(_activity_view(body), self.wrt, outputs) | (outputs & set(self.wrt))
        refuse_unsupported(body, self.active, _differentiated_write)
        refuse_writes_outside(body, self.wrt)
        refuse_constant_only_for_real(body, self.facts, self.wrt)
        refuse_iterators_kept(body, self.wrt)
        self.mutated = _mutated_names(body)
        # a parameter assigned once in the body has two values: the argument's (with its tangent) and that one
        self.single = _defined_once(body) - self.mutated - set(self.program.params)
        self.read = set()          # names whose tangent generated code reads
        seeds = [self.tangent(p) for p in self.wrt]
        prologue = [assign(self.tangent(p), self.zero_like(name(p)))
                    for p in self.program.params if p in self.active and p not in self.wrt]
        prologue += [assign(self.tangent(p), self.own_copy(name(self.tangent(p))))
                     for p in self.wrt if p in self.mutated]
        for stmt in prologue:
            copy_origin(stmt, self.program.node)
        new_body = prologue + self.block(body)
        tangent = self.tangent_of_atom(value)
        if tangent is None:
            tangent = self.zero_like(value)
        new_body.append(copy_origin(gast.Return(value=gast.Tuple(elts=[value, tangent], ctx=gast.Load())),
                                    ret))
        node = self.program.node
        seeds = [name(s, gast.Param()) for s in seeds]
        positional, keyword = (seeds, []) if self.seed_positional else ([], seeds)
        args = gast.arguments(args=list(node.args.args) + positional, posonlyargs=[], vararg=None,
                              kwonlyargs=keyword, kw_defaults=[None] * len(keyword), kwarg=None,
                              defaults=list(node.args.defaults) if not positional else [])
        fn = gast.FunctionDef(name=self.function_name, args=args, body=new_body, decorator_list=[], returns=None,
                              type_comment=None, type_params=[])
        copy_origin(fn, node)
        fn.companions = self.subroutines.functions
        return fn

    @property
    def function_name(self):
        return "jvp_" + self.program.parsed.name.replace("<lambda>", "lambda")

    # --------------------------------------------------------------- tangents
    def tangent(self, primal):
        """The tangent's name: ``dW`` for ``W`` (a temporary's tangent is a temporary)."""
        if primal not in self.tangent_names:
            self.tangent_names[primal] = self.namer.derivative(primal, self.prefix)
            if self.facts.shape(primal) == ():
                # the tangent of a number is a number (maybe a Python float): rules must not read its .T
                self.facts.shapes.setdefault(self.tangent_names[primal], ())
        return self.tangent_names[primal]

    def is_local(self, atom):
        return isinstance(atom, gast.Name) and not getattr(atom, "external", False)

    def is_active(self, atom):
        return self.is_local(atom) and atom.id in self.active

    def tangent_of_atom(self, atom):
        """The tangent of an operand, None for an inactive one (reading it pins the name active)."""
        if not self.is_active(atom):
            return None
        self.read.add(atom.id)
        return name(self.tangent(atom.id))

    def zero_like(self, atom):
        if isinstance(atom, gast.Constant):     # a number's tangent is 0.0; None's (a placeholder) is None
            return const(0.0 if isinstance(atom.value, (int, float)) and not isinstance(atom.value, bool)
                         else None)
        kind = self.container_kind(atom) if isinstance(atom, gast.Name) else None
        if kind in ("list", "dict", "tuple"):
            # a list or dict of arrays (an adjoint zeros_like_each made, in a gradient differentiated again),
            # or a tuple of them (the gradients a tuple wrt returns, where a Hessian is zero), as a list:
            # never one array, which np.zeros_like would stack of arrays of one shape, and fail to make of others
            return gast.Call(func=self.externals.reference(runtime.zeros_like_each, "zeros_like_each"),
                             args=[clone(atom)], keywords=[])
        return self.call_np("zeros_like", clone(atom))

    def tangent_or_zero(self, atom):
        return self.tangent_of_atom(atom) or self.zero_like(atom)

    def zero_tangent(self, target, rhs):
        """The tangent of a value no active value flows into: zeros shaped like it."""
        if isinstance(rhs, (gast.List, gast.Tuple)) and isinstance(target, gast.Name):
            return type(rhs)(elts=[self.zero_like(e) for e in rhs.elts], ctx=gast.Load())
        if isinstance(rhs, gast.Dict) and isinstance(target, gast.Name):
            return gast.Dict(keys=[clone(k) for k in rhs.keys], values=[self.zero_like(v) for v in rhs.values])
        return self.zero_like(gast.Name(id=target.id, ctx=gast.Load(), annotation=None,
                                        type_comment=None))

    def own_copy(self, atom):
        """A copy of a seed the code will write into (``x[0] = v`` writes ``dx[0]``), so that the caller's
        tangent stays as it was given: a tangent reused for several calls must not change under them."""
        kind = self.container_kind(gast.Name(id=atom.id[len(self.prefix):], ctx=gast.Load(), annotation=None,
                                             type_comment=None))
        if kind in ("list", "dict"):
            return gast.Call(func=self.externals.builtin(kind), args=[atom], keywords=[])
        return self.call_np("copy", atom)

    def call_np(self, fname, *args):
        return gast.Call(func=self.externals.numpy(fname), args=list(args), keywords=[])

    def emit(self, stmt, like):
        copy_origin(stmt, like)
        self.out.append(stmt)

    # ------------------------------------------------------------- statements
    def block(self, stmts):
        saved, self.out = self.out, []
        for stmt in stmts:
            self.statement(stmt)
        out, self.out = self.out, saved
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            self.assign_statement(stmt)
        elif isinstance(stmt, gast.Expr):
            self.expression_statement(stmt)
        elif isinstance(stmt, gast.If):
            self.emit(gast.If(test=stmt.test, body=self.block(stmt.body),
                              orelse=self.block(stmt.orelse)), stmt)
        elif isinstance(stmt, gast.For):
            self.for_statement(stmt)
        elif isinstance(stmt, gast.While):
            self.emit(gast.While(test=stmt.test, body=self.block(stmt.body), orelse=[]), stmt)
        else:                     # break, continue, pass, assert, raise: the same in both sweeps
            self.emit(stmt, stmt)

    def assign_statement(self, stmt):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            self.emit(stmt, stmt)
            base = target.value
            if self.is_active(base):      # x[i] = v: the tangent is written the same way
                self.emit(assign(gast.Subscript(value=self.tangent_of_atom(base), slice=clone(target.slice),
                                                ctx=gast.Store()),
                                 self.tangent_or_zero(stmt.value)), stmt)
            return
        stored = names_in(target, gast.Store)
        if stored & self.active and getattr(stmt.value, "user_function", False):
            self.user_call(target, stmt.value, stmt)
            return
        if not stored & self.active:
            self.emit(stmt, stmt)
            method = getattr(stmt.value, "method", None)
            if method in LIST_METHODS and self.is_active(stmt.value.func.value):   # keep the lists in step
                self.emit(gast.Expr(value=self.list_method(stmt.value, method, stmt.value.func.value, stmt)), stmt)
            return
        self.define(target, stmt.value, stmt)

    def define(self, target, rhs, stmt):
        """Assign an active name (or tuple of names) and its tangent.

        The tangent is built with a placeholder for the result (``ans`` in the
        templates). When the statement overwrites one of its own operands (in a
        loop: ``h = np.tanh(h)``), the tangent must read the operand before the
        primal overwrites it: it goes first when it does not need the result,
        else the result is computed into a temporary first.
        """
        tangent_target = self.tangent_target(target)
        stmts, expr = self.tangent_of(rhs, stmt, target)
        if expr is None:                              # nothing active flows in
            self.emit(assign(target, rhs), stmt)
            for t in _target_names(target):
                if t.id in self.single and t.id not in self.read:
                    self.active.discard(t.id)         # its only value has no tangent: it is not active after all
                elif t.id in self.active:
                    self.emit(assign(self.tangent(t.id), self.zero_tangent(t, rhs)), stmt)
            return
        overwrites = names_in(target, gast.Store) & activity.operand_names(rhs)
        uses_result = _ANS in names_in(gast.Module(body=stmts + [gast.Expr(value=expr)], type_ignores=[]))
        result = _load(target)
        if overwrites and uses_result:
            temp = self.namer.temp_like(target.id if isinstance(target, gast.Name) else "result")
            self.emit(assign(temp, rhs), stmt)
            result = name(temp)
        elif not overwrites:
            self.emit(assign(target, rhs), stmt)
        stmts = [substitute(s, {_ANS: result}) for s in stmts]
        expr = substitute(expr, {_ANS: result})
        for s in stmts:
            self.emit(s, stmt)
        self.emit(assign(tangent_target, expr), stmt)
        if overwrites:
            self.emit(assign(target, result) if uses_result else assign(target, rhs), stmt)

    def user_call(self, target, call, stmt):
        """``y = f(a, n)`` for a recursive user function: ``y, dy = jvp_f(a, n, da)``, generated alongside."""
        func = call.callee
        args = list(call.args)
        for param in list(inspect.signature(func).parameters.values())[len(args):]:
            if param.default is inspect.Parameter.empty:
                raise GradError(f"{func.__name__} is missing its argument {param.name}", origin_of(stmt))
            args.append(constant_node(param.default))
        active = tuple(i for i, a in enumerate(args) if self.is_active(a))
        if not active:
            self.emit(assign(target, call), stmt)
            for t in _target_names(target):
                if t.id in self.active:
                    self.emit(assign(self.tangent(t.id), self.zero_like(_load(t))), stmt)
            return
        refuse_recursion_with_complex(self.facts, func, stmt)
        jvp_name = self.subroutines.request(func, active)
        jvp_call = gast.Call(func=name(jvp_name), keywords=[],
                             args=args + [self.tangent_of_atom(args[i]) for i in active])
        self.emit(assign(gast.Tuple(elts=[target, self.tangent_target(target)], ctx=gast.Store()), jvp_call),
                  stmt)

    def tangent_target(self, target):
        if isinstance(target, gast.Name):
            return gast.Name(id=self.tangent(target.id), ctx=gast.Store(), annotation=None, type_comment=None)
        return gast.Tuple(elts=[self.tangent_target(e) for e in target.elts], ctx=gast.Store())

    def expression_statement(self, stmt):
        self.emit(stmt, stmt)
        call = stmt.value
        if not isinstance(call, gast.Call):
            return
        method = getattr(call, "method", None)
        if method is not None:     # a method that changes its receiver is a list method (see refuse_unsupported)
            receiver = call.func.value
            if method in LIST_METHODS and self.is_active(receiver):
                self.emit(gast.Expr(value=self.list_method(call, method, receiver, stmt)), stmt)
            return
        if _is_ufunc_at(call) and self.is_active(call.args[0]):   # np.add.at: the others are refused
            target, index, value = call.args
            if self.is_active(value):
                self.emit(gast.Expr(value=gast.Call(func=clone(call.func), keywords=[], args=[
                    self.tangent_of_atom(target), clone(index), self.tangent_of_atom(value)])), stmt)

    def list_method(self, call, method, receiver, stmt):
        """The same list operation on the tangent list: ``hs.append(h)`` -> ``dhs.append(dh)``."""
        kinds = LIST_METHODS.get(method)
        if kinds is None or len(call.args) > len(kinds) or call.keywords:
            raise GradError(f"differentiating the list method .{method}() is not supported", origin_of(stmt))
        args = []
        for kind, arg in zip(kinds, call.args):
            if kind == "index":
                args.append(clone(arg))
            elif kind == "element":
                args.append(self.tangent_or_zero(arg))
            else:
                args.append(self.tangent_of_atom(arg) or gast.Call(
                    func=self.externals.builtin("list"), keywords=[],
                    args=[gast.Call(func=self.externals.builtin("map"), keywords=[],
                                    args=[self.externals.numpy("zeros_like"), clone(arg)])]))
        new = gast.Call(func=gast.Attribute(value=self.tangent_of_atom(receiver), attr=method,
                                            ctx=gast.Load()), args=args, keywords=[])
        new.method = method
        return new

    def for_statement(self, stmt):
        body = self.block(stmt.body)
        loop = self.loop_with_tangents(stmt.target, stmt.iter, stmt)
        target, iterable = loop if loop is not None else (stmt.target, stmt.iter)
        covered = names_in(target, gast.Store)
        zeros = [t for t in _target_names(stmt.target) if t.id in self.active and self.tangent(t.id) not in covered]
        body = [copy_origin(assign(self.tangent(t.id), self.zero_like(_load(t))), stmt) for t in zeros] + body
        self.emit(gast.For(target=target, iter=iterable, body=body, orelse=[], type_comment=None), stmt)

    def loop_with_tangents(self, target, iterable, stmt):
        """The loop's target and iterable extended with the tangents of the items, or None if none flow.

        ``for x in xs`` -> ``for x, dx in zip(xs, dxs)``; ``for i, x in
        enumerate(xs)`` -> ``for i, (x, dx) in enumerate(zip(xs, dxs))``;
        ``for a, b in zip(as_, bs)`` -> ``for a, b, da, db in zip(as_, bs, das, dbs)``;
        ``reversed(xs)`` -> ``zip(reversed(xs), reversed(dxs))``.
        """
        callee = getattr(iterable, "callee", None)
        args = getattr(iterable, "args", [])
        if self.is_local(iterable):
            if not (self.is_active(iterable) and names_in(target, gast.Store) & self.active):
                return None
            return (gast.Tuple(elts=[target, self.tangent_target(target)], ctx=gast.Store()),
                    self.builtin_call(builtins.zip, iterable, self.tangent_of_atom(iterable)))
        if callee is builtins.enumerate and len(args) == 1 and _pair(target):
            inner = self.loop_with_tangents(target.elts[1], args[0], stmt)
            if inner is None:
                return None
            return (gast.Tuple(elts=[target.elts[0], inner[0]], ctx=gast.Store()),
                    self.builtin_call(builtins.enumerate, inner[1]))
        if callee is builtins.zip and isinstance(target, gast.Tuple) and len(target.elts) == len(args) \
                and all(self.is_local(a) for a in args):
            flowing = [(t, a) for t, a in zip(target.elts, args)
                       if self.is_active(a) and names_in(t, gast.Store) & self.active]
            if not flowing:
                return None
            return (gast.Tuple(elts=list(target.elts) + [self.tangent_target(t) for t, _ in flowing],
                               ctx=gast.Store()),
                    self.builtin_call(builtins.zip, *args, *[self.tangent_of_atom(a) for _, a in flowing]))
        if callee is builtins.reversed and len(args) == 1 and self.is_local(args[0]):
            if not (self.is_active(args[0]) and names_in(target, gast.Store) & self.active):
                return None
            return (gast.Tuple(elts=[target, self.tangent_target(target)], ctx=gast.Store()),
                    self.builtin_call(builtins.zip, self.builtin_call(builtins.reversed, args[0]),
                                      self.builtin_call(builtins.reversed, self.tangent_of_atom(args[0]))))
        if activity.operand_names(iterable) & self.active and names_in(target, gast.Store) & self.active:
            raise GradError("differentiating a loop over this kind of iterable is not supported in forward mode",
                            origin_of(stmt), "loop over an array or list, enumerate(x), zip(a, b) or reversed(x)")
        return None

    def builtin_call(self, function, *args):
        call = gast.Call(func=self.externals.reference(function, function.__name__), args=list(args), keywords=[])
        call.callee = function
        return call

    # ------------------------------------------------------------------ rules
    def tangent_of(self, rhs, stmt, target):
        """``(statements, expression)`` computing the tangent of ``rhs``; ``(_, None)`` if it has none.

        The result appears in the code as the placeholder ``_ANS``.
        """
        if isinstance(rhs, gast.Name):
            return [], self.tangent_of_atom(rhs)
        if isinstance(rhs, (gast.List, gast.Tuple)):
            if not any(self.is_active(e) for e in rhs.elts):
                return [], None
            return [], type(rhs)(elts=[self.tangent_or_zero(e) for e in rhs.elts], ctx=gast.Load())
        if isinstance(rhs, gast.Dict):
            if not any(self.is_active(v) for v in rhs.values):
                return [], None
            return [], gast.Dict(keys=[clone(k) for k in rhs.keys], values=[self.tangent_or_zero(v) for v in rhs.values])
        if isinstance(rhs, gast.Constant) or not activity.carries_derivative(rhs):
            return [], None
        if not activity.operand_names(rhs) & self.active:
            return [], None
        method = getattr(rhs, "method", None)
        if method in LIST_METHODS and self.is_active(rhs.func.value):   # h = hs.pop()
            return [], self.list_method(rhs, method, rhs.func.value, stmt)
        if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name) and self.is_active(rhs.value) \
                and self.container_kind(rhs.value) in ("list", "tuple") and not isinstance(rhs.slice, gast.Slice):
            # an item of a list: that item of its tangent (NumPy's view of the list would need equal shapes)
            return [], gast.Subscript(value=self.tangent_of_atom(rhs.value), slice=clone(rhs.slice), ctx=gast.Load())
        rule, bound = self.rule_for(rhs, stmt)
        if rule.func in LINEAR_ON_LISTS:
            return [], self.list_operation_tangent(rhs, bound)
        mapping = dict(bound)
        mapping["ans"] = name(_ANS)
        answers = self.answers(rule, target, stmt, bound)
        if answers is not None:            # t = np.linalg.slogdet(A): the templates see ans0, ans1, ...
            mapping["ans"] = gast.Tuple(elts=answers, ctx=gast.Load())
            mapping.update((f"ans{k}", a) for k, a in enumerate(answers))
        arrays_of_lists = {p for p in rule.params if p not in rule.sequences and isinstance(bound.get(p), gast.Name)
                           and self.container_kind(bound[p]) in ("list", "tuple") and self.is_active(bound[p])}
        for p in arrays_of_lists:       # np.max(xs) of a list: the templates see NumPy's view of it
            mapping[p] = self.call_np("asarray", name(bound[p].id))
        stmts, contributions = [], []
        for p in rule.params:
            if p not in rule.jvp:
                if p in rule.vjp and self.is_active(bound[p]):
                    self.refuse_one_sided(rule, p, stmt, "forward")
                continue
            arg = bound[p]
            if p in rule.sequences:
                tangent = self.sequence_tangent(rule, arg, stmt)
            else:
                tangent = self.tangent_of_atom(arg)
            if tangent is None:
                continue
            mapping["d" + p] = self.call_np("asarray", tangent) if p in arrays_of_lists else tangent
            template = self.template_at(rule, rule.jvp[p], mapping, stmt)
            if template is None:
                continue
            if template.applies_function and p == rule.varargs and isinstance(arg, (gast.List, gast.Tuple)):
                # f(*xs): each element by its tangent
                contributions.append(_replace_nodes(rhs, {id(e): t for e, t in zip(arg.elts, tangent.elts)}))
            elif template.applies_function:          # a linear function: the same call on the tangent
                contributions.append(_replace_node(rhs, arg, tangent))
            elif template.expr is not None:
                _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                                      externals=self.externals, cache=self.instances)
                if p in rule.sequences and rule.outputs is None and isinstance(expr, gast.Tuple) \
                        and isinstance(arg, (gast.List, gast.Tuple)) and len(expr.elts) == len(arg.elts):
                    # one entry per element (np.einsum's operands): only the active elements' count
                    contributions.extend(e for e, a in zip(expr.elts, arg.elts) if self.is_active(a))
                else:
                    contributions.append(expr)
            else:
                piece = self.namer.temp_like(self.tangent_base(target))
                more, _ = instantiate(template, mapping, self.namer, self.np, target=piece, result_name="dans",
                                      shapes=self.facts.shapes, externals=self.externals)
                stmts.extend(more)
                contributions.append(name(piece))
        if not contributions:
            return stmts, None
        if answers is not None:
            return stmts, self.per_output(contributions, answers, rule, stmt)
        expr = _sum(contributions)
        if rule.broadcasts and isinstance(target, gast.Name):
            expr = self.broadcast_to_result(expr, stmts, bound, rule, target)
        if isinstance(target, gast.Name) and target.id in self.mutated and _is_view(expr):
            expr = self.call_np("copy", expr)       # it will be written into: it must not alias
        return stmts, expr

    def list_operation_tangent(self, rhs, bound):
        """``hs + t`` on lists: ``dhs + dt``, the same operation on the tangents, since it is linear in all its
        operands together; a list (or dict, in ``add_each``) without a tangent takes part as one of zeros
        (``dhs + [0.0]`` would be one item short), so the items stay aligned."""
        replacements = {}
        for arg in bound.values():
            if self.is_active(arg):
                replacements[id(arg)] = self.tangent_of_atom(arg)
            elif self.container_kind(arg) in SEQUENCE_KINDS or self.container_kind(arg) == "dict":
                zeros = gast.Call(func=self.externals.reference(runtime.zeros_like_each, "zeros_like_each"),
                                  args=[clone(arg)], keywords=[])
                replacements[id(arg)] = zeros if self.container_kind(arg) != "tuple" else gast.Call(
                    func=self.externals.builtin("tuple"), args=[zeros], keywords=[])   # (a tuple adds tuples)
        return _replace_nodes(rhs, replacements)

    def answers(self, rule, target, stmt, bound=None):
        """For a call with several results, the expressions of the results (through ``_ANS``), else None."""
        outputs = rule.result_count(bound) if bound is not None else getattr(rule, "outputs", None)
        if outputs is None:
            return None
        if isinstance(target, gast.Tuple):
            count = len(target.elts)
        else:
            count = outputs if isinstance(outputs, int) else self.output_count(target.id, stmt.value, stmt)
        if isinstance(outputs, int) and count != outputs:
            raise GradError(f"{rule.name} returns {outputs} values, not {count}", origin_of(stmt))
        return [gast.Subscript(value=name(_ANS), slice=const(k), ctx=gast.Load()) for k in range(count)]

    def per_output(self, contributions, answers, rule, stmt):
        """Add the parameters' contributions output by output; an output nothing reaches gets zeros.

        A contribution is a tuple display with an entry per output (``None``
        where that parameter does not reach it), or one tuple-valued expression.
        """
        if len(contributions) == 1 and not isinstance(contributions[0], (gast.Tuple, gast.List)):
            return contributions[0]
        entries = []
        for k, answer in enumerate(answers):
            parts = []
            for c in contributions:
                if isinstance(c, (gast.Tuple, gast.List)):
                    if len(c.elts) != len(answers):
                        raise GradError(f"the tangent rule of {rule.name} gives {len(c.elts)} results, not "
                                        f"{len(answers)}", origin_of(stmt))
                    part = c.elts[k]
                else:
                    part = gast.Subscript(value=clone(c), slice=const(k), ctx=gast.Load())
                if not (isinstance(part, gast.Constant) and part.value is None):
                    parts.append(part)
            entries.append(_sum(parts) if parts else self.call_np("zeros_like", clone(answer)))
        return gast.Tuple(elts=entries, ctx=gast.Load())

    def tangent_base(self, target):
        return self.tangent(target.id) if isinstance(target, gast.Name) else self.prefix + "result"

    def sequence_tangent(self, rule, arg, stmt):
        """A list argument (``np.stack([a, b])``): the list of tangents, zeros for inactive elements."""
        if not isinstance(arg, (gast.List, gast.Tuple)):
            return self.tangent_of_atom(arg)         # a list built up elsewhere: its tangent list
        if not any(self.is_active(e) for e in arg.elts):
            return None
        return type(arg)(elts=[self.tangent_or_zero(e) for e in arg.elts], ctx=gast.Load())

    def broadcast_to_result(self, expr, stmts, bound, rule, target):
        """Give an elementwise result's tangent the result's shape.

        ``y = x + b`` with ``b`` inactive has the tangent ``dx``, whose shape is
        ``x``'s; when broadcasting made ``y`` larger, so must the tangent be.
        The tangent's shape is the broadcast of the shapes of the values it is
        computed from (the partial derivatives are elementwise).
        """
        primal_of = {t: p for p, t in self.tangent_names.items()}
        used = {primal_of.get(n, n) for n in names_in(gast.Module(body=stmts + [gast.Expr(value=expr)],
                                                                   type_ignores=[]))}
        operands = [a for a in (bound[p] for p in rule.params) if self.is_local(a) or getattr(a, "external", False)]
        missing = [a for a in operands if not (self.is_local(a) and a.id in used)]
        if all(self.facts.is_scalar(a) for a in missing):
            return expr
        result_shape = self.facts.shape(target.id)
        if result_shape is not None:
            shapes = [self.facts.shape(n) for n in used if n in self.facts.shapes or n in self.active]
            if all(s is not None for s in shapes) and _broadcast_shape(shapes) == result_shape:
                return expr
            shape = gast.Attribute(value=name(target.id), attr="shape", ctx=gast.Load())
        else:
            shape = self.call_np("shape", name(target.id))
        return self.call_np("broadcast_to", expr, shape)


def _pair(target):
    return isinstance(target, gast.Tuple) and len(target.elts) == 2


def _activity_view(body):
    """A copy of ``body`` for activity analysis, seeing through ``enumerate``, ``zip`` and ``reversed``.

    They are nondifferentiable functions, yet the items of ``for i, row in
    enumerate(X)`` vary with ``X``: in this copy the loop reads ``for row in X``
    (a ``zip`` becomes nested loops, one per sequence), and any other use of
    them passes its arguments through, so nothing that depends on an active
    sequence is mistaken for a constant. ``np.add.at(x, i, v)`` reads as an
    assignment to ``x``, which it is.
    """
    iterators = (builtins.enumerate, builtins.zip, builtins.reversed)

    def sequences(target, iterable):
        callee = getattr(iterable, "callee", None)
        args = getattr(iterable, "args", [])
        if callee is builtins.enumerate and len(args) == 1 and _pair(target):
            return sequences(target.elts[1], args[0])
        if callee is builtins.zip and isinstance(target, gast.Tuple) and len(target.elts) == len(args):
            return [pair for t, a in zip(target.elts, args) for pair in sequences(t, a)]
        if callee is builtins.reversed and len(args) == 1:
            return sequences(target, args[0])
        return [(target, iterable)]

    class View(gast.NodeTransformer):
        def visit_For(self, node):
            body = [self.visit(s) for s in node.body]
            for target, iterable in reversed(sequences(node.target, node.iter)):
                body = [gast.For(target=target, iter=iterable, body=body, orelse=[], type_comment=None)]
            return body[0]

        def visit_Expr(self, node):
            if isinstance(node.value, gast.Call) and _is_ufunc_at(node.value):   # np.add.at(x, i, v) writes x
                x = node.value.args[0]
                return assign(gast.Name(id=x.id, ctx=gast.Store(), annotation=None, type_comment=None),
                              gast.Tuple(elts=list(node.value.args), ctx=gast.Load()))
            return self.generic_visit(node)

        def visit_Call(self, node):
            self.generic_visit(node)
            if any(getattr(node, "callee", None) is f for f in iterators):
                return gast.Tuple(elts=node.args, ctx=gast.Load())
            return node

    return View().visit(gast.Module(body=clone(body), type_ignores=[])).body


def _sum(terms):
    expr = terms[0]
    for term in terms[1:]:
        expr = gast.BinOp(left=expr, op=gast.Add(), right=term)
    return expr


def _broadcast_shape(shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError:
        return None


def _load(target):
    if isinstance(target, gast.Name):
        return name(target.id)
    return gast.Tuple(elts=[_load(e) for e in target.elts], ctx=gast.Load())


def _target_names(target):
    if isinstance(target, gast.Name):
        return [target]
    return [n for e in target.elts for n in _target_names(e)]


def _replace_node(tree, old, new):
    """A copy of ``tree`` with its node ``old`` (found by identity) replaced by ``new``."""
    return _replace_nodes(tree, {id(old): new})


def _replace_nodes(tree, replacements):
    """A copy of ``tree`` with nodes replaced, ``{id(old node): new node}`` (found by identity)."""
    if id(tree) in replacements:
        return clone(replacements[id(tree)])
    copy = clone(tree)
    _replace_in(tree, copy, replacements)
    return copy


def _replace_in(original, copied, replacements):
    for field in original._fields:
        a, b = getattr(original, field, None), getattr(copied, field, None)
        if isinstance(a, list):
            for i, item in enumerate(a):
                if id(item) in replacements:
                    b[i] = clone(replacements[id(item)])
                elif isinstance(item, gast.AST):
                    _replace_in(item, b[i], replacements)
        elif id(a) in replacements:
            setattr(copied, field, clone(replacements[id(a)]))
        elif isinstance(a, gast.AST):
            _replace_in(a, b, replacements)


def _is_view(expr):
    """Whether a tangent expression may share memory with another tangent."""
    if isinstance(expr, gast.Name):
        return True
    return (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute)
            and expr.func.attr == "broadcast_to")


def _is_ufunc_at(call):
    """``np.add.at(x, index, v)`` (any ufunc's ``.at``): an unbuffered in-place update of ``x``."""
    callee = getattr(call, "callee", None)
    return (getattr(callee, "__name__", None) == "at" and isinstance(getattr(callee, "__self__", None), np.ufunc)
            and bool(call.args) and isinstance(call.args[0], gast.Name))


def _defined_once(body):
    """Names assigned in exactly one place (a loop may run that place many times)."""
    counts = {}
    for stmt in body:
        for node in walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
    return {n for n, c in counts.items() if c == 1}


def _mutated_names(body):
    """Names written into in place (``x[i] = v``, and the calls of :mod:`s2sgrad.mutation`: ``xs.append(v)``,
    ``np.add.at(x, ...)``, ``out=``...)."""
    names = set()
    for stmt in body:
        for node in walk(stmt):
            if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                    and isinstance(node.value, gast.Name):
                names.add(node.value.id)
            elif isinstance(node, (gast.Expr, gast.Assign)):
                names.update(w.name for w in writes(node.value) if w.name is not None)
    return names


def _differentiated_write(write, stmt):
    """The in-place calls the tangents follow: the list methods (on the tangent list too) and ``np.add.at``."""
    call = write.call
    if call.keywords:
        return False
    kinds = LIST_METHODS.get(write.what[1:-2]) if write.what.startswith(".") else None
    if kinds is not None:
        return len(call.args) <= len(kinds)
    return write.what == "np.add.at" and len(call.args) == 3


def _build_jvp(prefix, program, wrt, facts, subroutines):
    """The jvp of a recursive helper (see ``callsite.Subroutines``): arguments, then tangents, positionally."""
    forward = ForwardMode(program, wrt, facts, prefix, subroutines=subroutines, seed_positional=True)
    return forward.build(), set(forward.tangent_names.values())
