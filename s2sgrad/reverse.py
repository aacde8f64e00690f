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

Control flow keeps its shape: a loop's adjoint is a loop running backwards
(``for t in reversed(range(T))``), a branch's adjoint a branch on the same
condition. What the adjoint sweep needs and the primal sweep overwrites (a
loop-carried ``h``, the branch taken inside a loop, a loop's trip count) is
pushed on a plain Python list, ``tape``, and popped in reverse: only values
that are overwritten *and* read by the adjoint are recorded (see
:mod:`s2sgrad.tape`).
"""

import builtins
import inspect
import math
import numbers
import types

import gast
import numpy as np

from . import activity
from .aliasing import shared_operands
from . import tape as tape_
from .astutil import assign, const, copy_origin, name, name_nodes, names_in, store, walk, walk_statements
from .complex_values import (expression_may_be_complex, refuse_complex_output, refuse_constant_only_for_real,
                             refuse_recursion_with_complex)
from .errors import GradError, origin_of
from .mutation import refuse_unsupported, writes
from .unseen_writes import refuse_writes_outside
from .normalize import constant_node
from .rules import lookup
from .rules.sequences import LIST_OPERATIONS, refuse_iterators_kept
from . import repeats, runtime
from .runtime import unbroadcast
from .callsite import CallSites, Subroutines
from .templates import instantiate


_COMPOUND = (gast.If, gast.For, gast.While)


class ReverseMode(CallSites):
    """Builds the gradient, returned with the value (``mode="grad"``) or alone (``"gradient"``), or the
    vector-Jacobian product (``mode="vjp"``)."""

    def __init__(self, program, wrt, facts, mode="grad", subroutines=None, seed_positional=False):
        self.program = program
        self.subroutines = subroutines if subroutines is not None else Subroutines("vjp", _build_vjp)
        self.seed_positional = seed_positional
        self.namer = program.namer
        self.externals = program.externals
        self.np = self.externals.np
        self.wrt = list(wrt)
        self.facts = facts
        self.mode = mode
        self.adjoint_names = {}
        self._adjoint_owners = {}    # adjoint name -> its primal
        self.has_adjoint = set()     # primal names whose adjoint holds a value at this point of the sweep
        self.owned = set()           # adjoints known to be arrays of their own (safe to write into)
        self.uniform = set()         # adjoints held as one number standing for a full array (see rules/uniform)
        self.depth = 0               # nesting in loops and branches, where adjoints are always arrays
        self.out = []
        self.instances = {}          # simplified rule instances, by what they depend on (see instantiate)
        self.mentions = {}           # primal name -> (times read, times bound), over the whole function
        self.assigned = {}           # adjoint name -> how many statements so far assign it

    # ------------------------------------------------------------------ build
    def build(self):
        node = self.program.node
        body = list(node.body)
        ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
        if ret is None:
            raise GradError(f"{self.program.parsed.name} returns nothing to differentiate",
                            self.program.parsed.origin, "return the scalar you want the gradient of")
        params = [a.id for a in node.args.args]
        indexed = self.index_active_loops(body)
        out = ret.value
        outputs = {out.id} if isinstance(out, gast.Name) else set()
        self.active = (self.active_names(body, outputs) if indexed is body     # (no loop rewritten: the check's)
                       else activity.active_names(indexed, self.wrt, outputs)) | (outputs & set(self.wrt))
        body = indexed
        self.mentions = _mentions(node.args.args, body + [ret])
        refuse_unsupported(body, self.active | _appended_lists(body), _differentiated_write)
        refuse_writes_outside(body, self.wrt)
        refuse_constant_only_for_real(body, self.facts, self.wrt)
        refuse_iterators_kept(body, self.wrt)
        self.overwritten = tape_.overwritten_names(body, params)
        self.repeat_free = repeats.RepeatFree(body)
        self.maybe_bound = tape_.may_bound(   # for loops and branches, and assignments that may push an old value
            body, params, at=lambda stmt: isinstance(stmt, _COMPOUND) or isinstance(stmt, gast.Assign) and bool(
                names_in(stmt.targets[0], gast.Store) & self.overwritten))
        self.tape = self.namer.fresh("tape")

        seed_param = None
        adjoint = []
        self.out = adjoint
        if isinstance(out, gast.Name) and out.id in self.active:
            seed = self.adjoint_name(out.id)
            self.has_adjoint.add(out.id)
            self.assigned[seed] = 1              # (assigned here, or a parameter)
            if self.mode in ("grad", "gradient"):
                refuse_complex_output(self.facts, out, origin_of(ret), self.namer)
                adjoint.append(assign(seed, const(1.0), ret))
                self.facts.shapes.setdefault(seed, ())   # a Python float: rules must not read seed.T
            else:
                seed_param = seed
        elif self.mode == "vjp":
            seed_param = self.namer.fresh("dout")
        primal = self.primal_block(body)
        self.reverse_block(body)
        grads = []
        for p in self.wrt:
            self.materialize(p, ret)
            if p not in self.has_adjoint:
                self.emit(assign(self.adjoint_name(p), self.call_np("zeros_like", name(p))), ret)
            elif p in self.facts.narrow_floats:
                # a float32 parameter gets a float32 gradient: NumPy promotes to float64 where a rule's
                # constant or index array meets a float32 array (np.log(2) * g, np.diff(g, prepend=0))
                dp = self.adjoint_name(p)
                self.emit(assign(dp, self.call_np("asarray", name(dp), dtype=gast.Attribute(
                    value=name(p), attr="dtype", ctx=gast.Load()))), ret)
            elif self.facts.complex and p in self.facts.real_arguments and p not in self.facts.real:
                # a real argument gets a real gradient (docs/complex.md), also where its name holds a complex
                # value somewhere else in the function (a = z * c on a path the probe did not take)
                dp = self.adjoint_name(p)
                self.emit(assign(dp, self.call_np("real", name(dp))), ret)
            grads.append(name(self.adjoint_name(p)))

        pushed = tape_.keep_needed(primal, adjoint)
        prologue = tape_.initialize_unbound(primal, params, pushed)
        if tape_.uses_tape(primal + adjoint, self.tape):
            prologue.insert(0, assign(self.tape, gast.List(elts=[], ctx=gast.Load())))

        result = grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
        if self.mode == "grad":
            if isinstance(out, gast.Name) and out.id in names_in(gast.Module(body=adjoint, type_ignores=[]),
                                                                 gast.Store):
                # the sweep restores older values of the output's name: keep the value it returns
                value = self.namer.fresh("value")
                primal.append(assign(value, name(out.id), ret))
                out = name(value)
            elif isinstance(out, gast.Name) and _restored_in_place(out.id, primal, adjoint):
                # the output is (a view of) an array the sweep restores in place: keep a copy of it
                value = self.namer.fresh("value")
                primal.append(assign(value, self.call_np("copy", name(out.id)), ret))
                out = name(value)
            result = gast.Tuple(elts=[out, result], ctx=gast.Load())
        if self.seed_positional:     # a generated vjp that generated code calls: all positional
            args = gast.arguments(args=list(node.args.args) + [name(seed_param, gast.Param())], posonlyargs=[],
                                  vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        else:
            args = gast.arguments(args=list(node.args.args), posonlyargs=[], vararg=None,
                                  kwonlyargs=[name(seed_param, gast.Param())] if seed_param else [],
                                  kw_defaults=[None] if seed_param else [], kwarg=None,
                                  defaults=list(node.args.defaults))
        prefix = "vjp_" if self.mode == "vjp" else "grad_"
        fn = gast.FunctionDef(name=prefix + self.program.parsed.name.replace("<lambda>", "lambda"),
                              args=args, body=prologue + primal + adjoint + [gast.Return(value=result)],
                              decorator_list=[], returns=None, type_comment=None, type_params=[])
        copy_origin(fn, node)
        fn.companions = self.subroutines.functions
        return fn

    def check(self):
        """Find every call on the active path and its rule, without generating code (GradError if none)."""
        body = list(self.program.node.body)
        ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
        if ret is None:
            raise GradError(f"{self.program.parsed.name} returns nothing to differentiate",
                            self.program.parsed.origin, "return the scalar you want the gradient of")
        out = ret.value
        outputs = {out.id} if isinstance(out, gast.Name) else set()
        active = self.active_names(body, outputs)
        refuse_unsupported(body, active | _appended_lists(body), _differentiated_write)
        refuse_writes_outside(body, self.wrt)
        refuse_iterators_kept(body, self.wrt)
        for stmt in walk_statements(body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id in active and isinstance(stmt.value, (gast.Call, gast.Attribute)) \
                    and activity.carries_derivative(stmt.value) and not getattr(stmt.value, "user_function", False) \
                    and getattr(stmt.value, "method", None) != "pop" \
                    and activity.operand_names(stmt.value) & active:
                self.rule_for(stmt.value, stmt)

    def active_names(self, body, outputs):
        """:func:`activity.active_names` of the function's own body, worked out once for the early check
        and the derivatives generated after it (see ``Program.analyses``)."""
        key = ("active", tuple(self.wrt), frozenset(outputs))
        active = self.program.analyses.get(key)
        if active is None:
            active = self.program.analyses[key] = frozenset(activity.active_names(body, self.wrt, outputs))
        return set(active)

    # --------------------------------------------------------------- adjoints
    def adjoint_name(self, primal):
        if primal not in self.adjoint_names:
            self.adjoint_names[primal] = self.namer.derivative(primal)
            self._adjoint_owners[self.adjoint_names[primal]] = primal
            if self.facts.shape(primal) == ():
                # the adjoint of a number is a number (maybe a Python float): rules must not read its .T
                self.facts.shapes.setdefault(self.adjoint_names[primal], ())
        return self.adjoint_names[primal]

    def emit(self, stmt, like=None):
        if like is not None:
            copy_origin(stmt, like)
        self.out.append(stmt)
        cls = type(stmt)
        target = stmt.targets[0] if cls is gast.Assign else stmt.target if cls is gast.AugAssign else None
        if type(target) is gast.Name:
            self.assigned[target.id] = self.assigned.get(target.id, 0) + 1

    def call_np(self, fname, *args, **kwargs):
        return gast.Call(func=self.externals.numpy(fname), args=list(args),
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])

    def kind_of(self, primal):
        """``"list"``, ``"tuple"`` or ``"dict"`` for a container (its adjoint is one too), else None."""
        return self.facts.kinds.get(primal)

    def zero_value(self, primal):
        """A zero adjoint for ``primal``: an array, or a container of arrays shaped like it."""
        if self.kind_of(primal):
            return gast.Call(func=self.externals.reference(runtime.zeros_like_each, "zeros_like_each"),
                             args=[name(primal)], keywords=[])
        return self.call_np("zeros_like", name(primal))

    def zeros(self, primal, like=None):
        """``dx = np.zeros_like(x)``: an adjoint that nothing has reached yet."""
        self.emit(assign(self.adjoint_name(primal), self.zero_value(primal)), like)
        self.has_adjoint.add(primal)
        self.owned.add(primal)
        self.uniform.discard(primal)

    def materialize(self, primal, like=None):
        """Turn an adjoint held as one number into the array it stands for."""
        if primal in self.uniform:
            self.uniform.discard(primal)
            if self.facts.shape(primal) == ():
                return                        # a scalar's adjoint is a scalar already
            adjoint = self.adjoint_name(primal)
            value = name(adjoint)
            last = self.out[-1] if self.out else None
            if isinstance(last, gast.Assign) and isinstance(last.targets[0], gast.Name) \
                    and last.targets[0].id == adjoint and adjoint not in names_in(last.value):
                value = self.out.pop().value          # dy = 1.0 just before: dy = np.full_like(y, 1.0)
            self.emit(assign(adjoint, self.call_np("full_like", name(primal), value)), like)
            self.owned.add(primal)

    def accumulate(self, primal, like, expr=None, template=None, mapping=None, result_name=None,
                   uniform=False):
        """Add a contribution to ``primal``'s adjoint: assign on the first, add after.

        A ``uniform`` contribution is one number standing for a full array; inside
        loops and branches it is made the array at once.
        """
        target = self.adjoint_name(primal)
        first = primal not in self.has_adjoint
        if first and uniform:
            self.uniform.add(primal)
        elif not uniform:
            self.uniform.discard(primal)
        if expr is None:
            piece = target if first else self.namer.temp_like(target)
            stmts, _ = instantiate(template, mapping, self.namer, self.np, target=piece,
                                   result_name=result_name, shapes=self.facts.shapes,
                                   externals=self.externals)
            for s in stmts:
                self.emit(s, like)
            expr = None if first else name(piece)
            if first and self.takes_real_part(primal, stmts):
                self.emit(assign(target, self.call_np("real", name(target))), like)
        if expr is not None and self.takes_real_part(primal, expr):
            expr = self.call_np("real", expr)
        if isinstance(expr, gast.Name) and expr.id in self._adjoint_owners:
            self.owned.discard(self._adjoint_owners[expr.id])     # two names for one array now
            if first and not uniform and self.passes_through(primal, target, expr.id):
                self.adjoint_names[primal] = expr.id              # da is dy: no `da = dy` to fold away later
                self.owned.discard(primal)
                self.has_adjoint.add(primal)
                return
        if expr is not None:
            if not first and self.kind_of(primal):
                # a list's (tuple's, dict's) adjoint is a list: `+` would concatenate, so add item by item
                self.emit(assign(target, gast.Call(func=self.externals.reference(runtime.add_each, "add_each"),
                                                   args=[name(target), expr], keywords=[])), like)
            elif not first and self.depth and primal in self.owned and primal not in self.uniform \
                    and self.facts.numpy_only:
                # a loop adds into an array of its own: in place, as a hand-written loop does
                self.emit(gast.AugAssign(target=store(target), op=gast.Add(), value=expr), like)
            else:
                if not first:
                    expr = gast.BinOp(left=name(target), op=gast.Add(), right=expr)
                self.emit(assign(target, expr), like)
                if first:
                    self.owned.discard(primal)
                else:
                    self.owned.add(primal)
        self.has_adjoint.add(primal)

    def takes_real_part(self, primal, contribution):
        """Whether a real value keeps only the real part of this contribution to its adjoint: one that may be
        complex (``x * c``, ``c`` complex), in a function with complex values (see docs/complex.md)."""
        return bool(self.facts.complex) and primal in self.facts.real and expression_may_be_complex(
            gast.Module(body=contribution, type_ignores=[]) if isinstance(contribution, list) else contribution,
            self.facts, self._adjoint_owners)

    def passes_through(self, primal, target, incoming):
        """Whether ``primal``'s adjoint may be the incoming adjoint itself, by name, rather than a copy
        of it (``dt4 = dv2``, from ``v2 = t4 + t5``), which the cleanup passes would fold away again.

        The copy would be folded (see :meth:`~s2sgrad.optimize.Cleanup.propagate_copies`)
        where each of the two names is assigned once and neither is changed in
        place; here that is known ahead: at the top level, ``primal`` is bound
        once and read once (so this is its only contribution, and nothing
        writes into it), the incoming adjoint is complete (its primal is bound
        once) and assigned once, and the fold would keep the incoming name
        (it would keep the other where the incoming one is a temporary's).
        """
        if self.depth or primal in self.wrt or self.kind_of(primal) or primal in self.uniform:
            return False
        owner = self._adjoint_owners[incoming]
        if self.mentions.get(primal) != (1, 1) or self.mentions.get(owner, (0, 0))[1] != 1 \
                or self.assigned.get(incoming) != 1:
            return False
        temps = self.namer.temps
        return not (incoming in temps and target not in temps)

    # ---------------------------------------------------------- primal sweep
    def index_active_loops(self, body):
        """``for row in X`` over an active X becomes ``for i in range(len(X)): row = X[i]``.

        The adjoint of each row then flows back through the indexing rule.
        """
        if not any(isinstance(stmt, gast.For) for stmt in walk_statements(body)):
            return body                   # (straight-line code: no need to know what varies)
        return self._index_loops_over(activity.varied_names(body, set(self.wrt)), body)

    def _index_loops_over(self, varied, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if getattr(stmt, field, None):
                    setattr(stmt, field, self._index_loops_over(varied, getattr(stmt, field)))
            if isinstance(stmt, gast.For) and isinstance(stmt.iter, gast.Name) and self.kind_of(stmt.iter.id) == "dict":
                stmt.iter = _keys_of(stmt.iter)    # for k in d: its keys, which carry no derivative
            elif isinstance(stmt, gast.For) and activity.operand_names(stmt.iter) & varied:
                out.extend(self.indexed_loop(stmt))
                continue
            out.append(stmt)
        return out

    def indexed_loop(self, loop):
        """The loop rewritten over an index, its targets read from each sequence at that index."""
        index = self.namer.fresh("i")
        pairs, counters, flipped, unpacked = [], [], [], []
        self._unpack(loop, loop.iter, loop.target, pairs, counters, flipped, unpacked)
        # Python iterates over the object the header named, even if the body rebinds the name: keep it
        rebound = names_in(gast.Module(body=loop.body, type_ignores=[]), gast.Store)
        before = flipped
        for k, (seq, target) in enumerate(pairs):
            if seq in rebound:
                kept = self.namer.fresh(seq)
                before.append(copy_origin(assign(kept, name(seq)), loop))
                pairs[k] = (kept, target)
        header = [assign(counter.id, name(index)) for counter in counters]
        header += [assign(target, gast.Subscript(value=name(seq), slice=name(index), ctx=gast.Load()))
                   for seq, target in pairs] + unpacked
        for stmt in header:
            copy_origin(stmt, loop)
        lengths = [gast.Call(func=self.externals.builtin("len"), args=[name(seq)], keywords=[])
                   for seq, _ in pairs]
        count = lengths[0] if len(lengths) == 1 else gast.Call(func=self.externals.builtin("min"), args=lengths,
                                                               keywords=[])
        rng = gast.Call(func=self.externals.builtin("range"), args=[count], keywords=[])
        rng.callee = builtins.range
        new = gast.For(target=name(index, gast.Store()), iter=rng, body=header + loop.body, orelse=[],
                       type_comment=None)
        self.facts.integers.add(index)
        return before + [copy_origin(new, loop)]

    def _unpack(self, loop, iterable, target, pairs, counters, flipped, unpacked):
        """Pair each sequence a loop header walks with its target (``enumerate``, ``zip`` and
        ``reversed`` unpacked): ``pairs`` of (sequence, target), the enumerate ``counters``, the
        statements that make the ``flipped`` copies ``reversed`` walks, and those that ``unpacked``
        an item into the names of a tuple target (``for W, b in layers``)."""
        callee = getattr(iterable, "callee", None)
        if callee is builtins.enumerate and len(iterable.args) == 1 and isinstance(target, gast.Tuple) \
                and len(target.elts) == 2:
            counters.append(target.elts[0])
            self._unpack(loop, iterable.args[0], target.elts[1], pairs, counters, flipped, unpacked)
        elif callee is builtins.zip and isinstance(target, gast.Tuple) and len(target.elts) == len(iterable.args):
            for arg, element in zip(iterable.args, target.elts):
                self._unpack(loop, arg, element, pairs, counters, flipped, unpacked)
        elif callee is builtins.reversed and len(iterable.args) == 1 and isinstance(iterable.args[0], gast.Name):
            # for h in reversed(hs): over hs[::-1], whose adjoint the slice sends back to hs
            sequence = iterable.args[0].id
            backwards = self.namer.fresh(sequence + "_reversed")
            flipped.append(copy_origin(assign(backwards, gast.Subscript(
                value=name(sequence), slice=gast.Slice(lower=None, upper=None, step=const(-1)),
                ctx=gast.Load())), loop))
            if self.kind_of(sequence):
                self.facts.kinds[backwards] = self.kind_of(sequence)
            if isinstance(target, gast.Name):
                pairs.append((backwards, target))
            else:
                self._unpack(loop, name(backwards), target, pairs, counters, flipped, unpacked)
        elif isinstance(iterable, gast.Name) and isinstance(target, gast.Name):
            pairs.append((iterable.id, target))
        elif isinstance(iterable, gast.Name) and isinstance(target, gast.Tuple) \
                and all(isinstance(e, gast.Name) for e in target.elts):
            # for W, b in layers: item = layers[i]; W = item[0]; b = item[1] (each item's adjoint a list)
            item = self.namer.fresh("item")
            self.facts.kinds[item] = "tuple"
            pairs.append((iterable.id, store(item)))
            unpacked.extend(copy_origin(assign(e.id, gast.Subscript(value=name(item), slice=const(k),
                                                                     ctx=gast.Load())), loop)
                            for k, e in enumerate(target.elts))
        else:
            raise GradError("differentiating a loop over this kind of iterable is not supported",
                            origin_of(loop), "loop over range(len(x)) and index x[i]")

    def primal_block(self, stmts):
        """The primal statements, with the pushes the adjoint sweep will need."""
        out = []
        for stmt in stmts:
            out.extend(self.primal_statement(stmt))
        return out

    def primal_statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            pushes = []
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                base = target.value.id
                kind = self.kind_of(base)
                if kind == "dict":         # the key may be new: record what get() finds (None)
                    old = gast.Call(func=gast.Attribute(value=name(base), attr="get", ctx=gast.Load()),
                                    args=[target.slice], keywords=[])
                elif kind:                 # a list slot is replaced, never written into
                    old = gast.Subscript(value=name(base), slice=target.slice, ctx=gast.Load())
                else:                      # an array's elements are written into: copy them
                    old = _copy_of(gast.Subscript(value=name(base), slice=target.slice, ctx=gast.Load()))
                pushes.append(tape_.push(self.tape, old, base))
            else:
                # an overwrite's old value, unless the name cannot have one yet (its first assignment)
                stmt.pushed = names_in(target, gast.Store) & self.overwritten & self.maybe_bound.get(id(stmt), set())
                for n in sorted(stmt.pushed):
                    pushes.append(tape_.push(self.tape, name(n), n))
            return [copy_origin(p, stmt) for p in pushes] + [stmt]
        if isinstance(stmt, gast.If):
            new = gast.If(test=stmt.test, body=self.primal_block(stmt.body),
                          orelse=self.primal_block(stmt.orelse))
            if self.condition_is_recorded(stmt):
                # the branch taken, recorded as the branch ends: on every way out of it (breaks included)
                _append_at_exits(new.body, lambda: tape_.push(self.tape, const(True), None))
                _append_at_exits(new.orelse, lambda: tape_.push(self.tape, const(False), None))
            return [copy_origin(new, stmt)]
        if isinstance(stmt, gast.For):
            body = self.primal_block(stmt.body)
            # the reversed loop leaves its target at the first pass's value: record the one before it
            stmt.before = [copy_origin(tape_.push(self.tape, name(n), n), stmt) for n in sorted(
                names_in(stmt.target, gast.Store) & self.overwritten & self.maybe_bound.get(id(stmt), set()))]
            if self.loop_replays_range(stmt):
                return stmt.before + [copy_origin(gast.For(target=stmt.target, iter=stmt.iter, body=body,
                                                           orelse=[], type_comment=None), stmt)]
            trips = self.namer.fresh("trips")
            count = assign(trips, gast.BinOp(left=name(trips), op=gast.Add(), right=const(1)))
            for n in sorted(names_in(stmt.target, gast.Store)):
                # the loop variable, recorded as each pass ends, so its adjoint pass can start from it
                _append_at_exits(body, lambda: tape_.push(self.tape, name(n), n))
            loop = gast.For(target=stmt.target, iter=stmt.iter, body=[count] + body, orelse=[],
                            type_comment=None)
            stmt.trips = trips
            return stmt.before + [copy_origin(s, stmt) for s in (assign(trips, const(0)), loop,
                                                                 tape_.push(self.tape, name(trips), None))]
        if isinstance(stmt, gast.While):
            trips = self.namer.fresh("trips")
            count = assign(trips, gast.BinOp(left=name(trips), op=gast.Add(), right=const(1)))
            loop = gast.While(test=stmt.test, body=[count] + self.primal_block(stmt.body), orelse=[])
            return [copy_origin(s, stmt) for s in (assign(trips, const(0)), loop,
                                                   tape_.push(self.tape, name(trips), None))]
        if isinstance(stmt, gast.Break):
            return [stmt]
        return [stmt]

    def condition_is_recorded(self, stmt):
        """Whether the branch taken must be recorded (its condition may be overwritten later)."""
        test = stmt.test
        return not (isinstance(test, gast.Constant)
                    or (isinstance(test, gast.Name) and test.id not in self.overwritten))

    def loop_replays_range(self, loop):
        """``for t in range(...)`` without break, over bounds nothing overwrites: replay it reversed."""
        iterable = loop.iter
        if getattr(iterable, "callee", None) is not builtins.range or iterable.keywords:
            return False
        if any(isinstance(n, gast.Break) for n in _same_loop_nodes(loop.body)):
            return False
        return all(isinstance(a, gast.Constant) or (isinstance(a, gast.Name) and a.id not in self.overwritten)
                   for a in iterable.args)

    # --------------------------------------------------------- adjoint sweep
    def reverse_block(self, stmts):
        for stmt in reversed(stmts):
            self.reverse_statement(stmt)

    def reverse_statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                rhs = stmt.value
                if isinstance(rhs, gast.Name) and rhs.id == target.id:
                    self.consumed(target.id, stmt, keeps_adjoint=True)   # a = a (a = +a): nothing changes
                    return
                if getattr(rhs, "method", None) == "pop" and not rhs.args and isinstance(rhs.func.value, gast.Name):
                    self.reverse_pop(target.id, rhs.func.value.id, stmt)
                elif target.id in self.active and target.id in self.has_adjoint:
                    self.reverse_assign(target.id, rhs, stmt)
                self.consumed(target.id, stmt)
                return
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                self.reverse_store(target, stmt.value, stmt)
                return
            if isinstance(target, gast.Tuple) and isinstance(stmt.value, gast.Call) \
                    and all(isinstance(t, gast.Name) for t in target.elts):
                if set(names_in(target, gast.Store)) & self.active & self.has_adjoint:
                    self.reverse_outputs([t.id for t in target.elts], stmt.value, stmt)
                for n in sorted(names_in(target, gast.Store)):
                    self.consumed(n, stmt)
                return
            if not (activity.names_in_store(target) & self.active):
                for n in sorted(names_in(target, gast.Store)):
                    self.consumed(n, stmt)
                return
            raise GradError("differentiating this assignment is not supported yet", origin_of(stmt))
        if isinstance(stmt, gast.If):
            self.reverse_if(stmt)
            return
        if isinstance(stmt, (gast.For, gast.While)):
            self.reverse_loop(stmt)
            return
        if isinstance(stmt, gast.Expr) and getattr(stmt.value, "method", None) == "append":
            self.reverse_append(stmt.value, stmt)
            return
        if isinstance(stmt, gast.Expr) and activity.is_add_at(stmt.value):
            self.reverse_add_at(stmt.value, stmt)
            return
        if isinstance(stmt, (gast.Expr, gast.Assert, gast.Raise, gast.Pass, gast.Break)):
            return
        raise GradError(f"differentiating {type(stmt).__name__} is not supported yet", origin_of(stmt))

    def consumed(self, primal, stmt, keeps_adjoint=False):
        """After undoing ``primal = ...``: its earlier value gets a fresh adjoint (unless it was the same
        value: ``a = a``), and its value back."""
        if primal in self.overwritten:
            if not keeps_adjoint:
                self.has_adjoint.discard(primal)
            if primal in getattr(stmt, "pushed", ()):
                self.emit(tape_.restore(self.tape, primal, primal), stmt)

    def reverse_append(self, call, stmt):
        """``xs.append(x)``: the list gets its element back off (``xs.pop()``), ``x`` the last adjoint."""
        receiver = call.func.value
        if not isinstance(receiver, gast.Name) or len(call.args) != 1:
            return
        xs = receiver.id
        if xs in self.active and xs in self.has_adjoint:
            piece = gast.Call(func=gast.Attribute(value=name(self.adjoint_name(xs)), attr="pop",
                                                  ctx=gast.Load()), args=[], keywords=[])
            element = call.args[0]
            if isinstance(element, gast.Name) and self.kind_of(element.id) == "list":
                # a list of lists: an array (np.array(rows)) gives each row's adjoint as an array
                piece = gast.Call(func=self.externals.builtin("list"), args=[piece], keywords=[])
            if isinstance(element, gast.Name) and element.id in self.active:
                self.accumulate(element.id, stmt, expr=piece)
            else:
                self.emit(gast.Expr(value=piece), stmt)
        self.emit(gast.Expr(value=gast.Call(func=gast.Attribute(value=name(xs), attr="pop", ctx=gast.Load()),
                                            args=[], keywords=[])), stmt)

    def reverse_user_call(self, y, call, stmt):
        """``y = f(a, n)`` for a recursive user function: ``da = vjp_f(a, n, dy)``, generated alongside."""
        self.materialize(y, stmt)
        func = call.callee
        params = list(inspect.signature(func).parameters.values())
        args = list(call.args)
        for param in params[len(args):]:
            if param.default is inspect.Parameter.empty:
                raise GradError(f"{func.__name__} is missing its argument {param.name}", origin_of(stmt))
            args.append(constant_node(param.default))
        active = tuple(i for i, a in enumerate(args) if isinstance(a, gast.Name) and a.id in self.active)
        if not active:
            return
        refuse_recursion_with_complex(self.facts, func, stmt)
        vjp_name = self.subroutines.request(func, active)
        result = gast.Call(func=name(vjp_name), args=args + [name(self.adjoint_name(y))], keywords=[])
        if len(active) == 1:
            self.accumulate(args[active[0]].id, stmt, expr=result)
            return
        pieces = [self.namer.temp_like(self.adjoint_name(args[i].id)) for i in active]
        self.emit(assign(gast.Tuple(elts=[store(p) for p in pieces], ctx=gast.Store()), result), stmt)
        for i, piece in zip(active, pieces):
            self.accumulate(args[i].id, stmt, expr=name(piece))

    def reverse_add_at(self, call, stmt):
        """``np.add.at(x, i, v)``: ``dv`` gathers ``dx[i]``; ``x`` gets its old values back."""
        array, index, values = call.args
        if not isinstance(array, gast.Name):
            return
        if array.id in self.active and array.id in self.has_adjoint \
                and isinstance(values, gast.Name) and values.id in self.active:
            self.materialize(array.id, stmt)
            gathered = gast.Subscript(value=name(self.adjoint_name(array.id)), slice=index, ctx=gast.Load())
            self.accumulate(values.id, stmt, expr=self.sum_to_operand(gathered, values, None, [array]))
        undo = gast.Expr(value=gast.Call(func=gast.Attribute(value=self.externals.numpy("subtract"), attr="at",
                                                             ctx=gast.Load()),
                                         args=[name(array.id), index, values], keywords=[]))
        undo.records = array.id
        self.emit(undo, stmt)

    def reverse_pop(self, y, xs, stmt):
        """``y = xs.pop()``: the list gets ``y`` back, and ``dxs`` gets ``dy`` as its last element."""
        def append(target, value):
            return gast.Expr(value=gast.Call(func=gast.Attribute(value=name(target), attr="append", ctx=gast.Load()),
                                             args=[value], keywords=[]))

        self.emit(append(xs, name(y)), stmt)
        if xs not in self.active:
            return
        dy = name(self.adjoint_name(y)) if y in self.active and y in self.has_adjoint else None
        self.materialize(y, stmt) if dy is not None else None
        if xs in self.has_adjoint:
            self.emit(append(self.adjoint_name(xs), dy if dy is not None else self.call_np("zeros_like", name(y))),
                      stmt)
        elif dy is not None:
            self.zeros(xs, stmt)
            self.emit(assign(gast.Subscript(value=name(self.adjoint_name(xs)), slice=const(-1), ctx=gast.Store()),
                             dy), stmt)

    def container_element(self, container, index, g, stmt, nested=False):
        """``y = c[k]`` on a list, tuple or dict: ``dc[k]`` gains ``dy``; ``y = c[i:j]``: ``dc[i:j]`` gains ``dy``
        item by item (each item of a basic slice is selected once, so the slots line up), as it does where
        the item is itself a container (``nested``: a list of dicts of parameters)."""
        if container not in self.has_adjoint:
            self.zeros(container, stmt)
        element = gast.Subscript(value=name(self.adjoint_name(container)), slice=index, ctx=gast.Load())
        if isinstance(index, gast.Slice) or nested:
            total = gast.Call(func=self.externals.reference(runtime.add_each, "add_each"), args=[element, g],
                              keywords=[])
        else:
            total = gast.BinOp(left=element, op=gast.Add(), right=g)
        self.emit(assign(gast.Subscript(value=name(self.adjoint_name(container)), slice=index, ctx=gast.Store()),
                         total), stmt)

    def reverse_store(self, target, value, stmt):
        """``x[i] = v``: ``dv`` takes ``dx[i]``, whose old elements then get no adjoint."""
        array = target.value.id
        container = self.kind_of(array)
        self.materialize(array, stmt)
        if array in self.active and array in self.has_adjoint:
            if container in ("list", "tuple") and isinstance(target.slice, gast.Slice):
                raise GradError(f"assigning to a slice of the list {array} is not differentiated in reverse mode "
                                f"(it may change the list's length)", origin_of(stmt),
                                f"assign the items one at a time ({array}[i] = v), or build a new list: "
                                f"{array} = {array}[:i] + new_items")
            g = gast.Subscript(value=name(self.adjoint_name(array)), slice=target.slice, ctx=gast.Load())
            if not container and repeats.may_repeat(target.slice, self.is_basic_index, self.repeat_free):
                # a repeated index writes once, the last occurrence winning: only that one gets dy
                wins = gast.Call(func=self.externals.reference(runtime.last_writes, "last_writes"),
                                 args=[name(self.adjoint_name(array)), target.slice], keywords=[])
                g = self.call_np("where", wins, g, const(0))
            itself = None      # x[i] = x: the old x's adjoint gains dx[i] after dx[i] is cleared
            if isinstance(value, gast.Name) and value.id in self.active:
                if container:              # d[k] = v: the slot's adjoint is v's, whole
                    contribution = g
                else:
                    contribution = self.sum_to_operand(g, value, None, [name(array)])
                    if value.id not in self.has_adjoint or value.id == array:
                        contribution = _copy_of(contribution)
                if value.id == array:
                    itself = self.namer.fresh("d" + array)
                    self.namer.temps.add(itself)
                    self.emit(assign(itself, contribution), stmt)
                else:
                    self.accumulate(value.id, stmt, expr=contribution)
            if array not in self.owned and not container:
                self.emit(assign(self.adjoint_name(array), _copy_of(name(self.adjoint_name(array)))),
                          stmt)
                self.owned.add(array)
            self.emit(assign(gast.Subscript(value=name(self.adjoint_name(array)), slice=target.slice,
                                            ctx=gast.Store()), const(0)), stmt)
            if itself is not None:
                self.accumulate(array, stmt, expr=name(itself))
        self.emit(tape_.restore(self.tape, gast.Subscript(value=name(array), slice=target.slice,
                                                          ctx=gast.Store()), array), stmt)

    def reverse_if(self, stmt):
        """Replay the branch that ran, backwards; afterwards both paths agree on which adjoints exist."""
        test = tape_.pop(self.tape) if self.condition_is_recorded(stmt) else stmt.test
        for n in sorted(self.uniform & names_in(stmt)):
            self.materialize(n, stmt)
        self.depth += 1
        start, start_owned, saved = set(self.has_adjoint), set(self.owned), self.out
        branches, states = [], []
        start_uniform = set(self.uniform)
        bound = self.maybe_bound.get(id(stmt), set())     # see reverse_loop
        for block in (stmt.body, stmt.orelse):
            self.has_adjoint, self.owned, self.out = set(start), set(start_owned), []
            self.uniform = set(start_uniform)
            self.reverse_block(block)
            for n in sorted(self.uniform - start_uniform):   # both paths must agree: arrays by the merge
                if n in self.has_adjoint and (n in bound or n in start):
                    self.materialize(n, stmt)
            self.uniform = set(start_uniform)
            branches.append(self.out)
            states.append((self.has_adjoint, self.owned))
        self.out = saved
        final = {n for n in states[0][0] | states[1][0] if n in bound or n in start}
        for (state, _), branch in zip(states, branches):
            self.out = branch
            for n in sorted(final - state):
                self.zeros(n, stmt)
        self.out = saved
        self.has_adjoint = final
        self.owned = states[0][1] & states[1][1]
        self.depth -= 1
        body, orelse = branches
        self.emit(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse), stmt)

    def reverse_loop(self, loop):
        """The loop run backwards, with the adjoints it accumulates into defined before it."""
        assigned = activity.names_in_store(gast.Module(body=loop.body, type_ignores=[]))
        if isinstance(loop, gast.For):
            assigned |= names_in(loop.target, gast.Store)
        read = names_in(gast.Module(body=loop.body, type_ignores=[]), gast.Load)
        # An adjoint flows out of the loop to a value that may exist before it. (The last value of an
        # earlier loop may not, if that loop ran no pass; but then nothing reads its adjoint either.)
        bound = self.maybe_bound.get(id(loop), set())
        for n in sorted(self.uniform & names_in(loop)):
            self.materialize(n, loop)
        self.depth += 1
        position = len(self.out)
        for n in sorted((read & self.active) - self.has_adjoint):
            if n not in assigned or n in bound:
                self.zeros(n, loop)
        for n in sorted(assigned & self.active & self.has_adjoint):
            if any(isinstance(t, gast.Subscript) and t.value.id == n
                   for s in _same_loop_nodes(loop.body) if isinstance(s, gast.Assign) for t in s.targets) \
                    and n not in self.owned:
                self.emit(assign(self.adjoint_name(n), _copy_of(name(self.adjoint_name(n)))), loop)
                self.owned.add(n)
        start, saved = set(self.has_adjoint), self.out
        start_uniform = set(self.uniform)
        self.out = []
        self.reverse_block(loop.body)
        for n in sorted(self.uniform - start_uniform):      # every pass must leave arrays behind
            if n in self.has_adjoint and (n in bound or n in start):
                self.materialize(n, loop)
        self.uniform = set(start_uniform)
        for n in sorted((start & assigned) - self.has_adjoint):
            self.zeros(n, loop)
        late = sorted((self.has_adjoint - start) & bound)
        body, self.out = self.out, saved
        for n in late:          # reached inside the loop, defined before it: start from zero
            init = assign(self.adjoint_name(n), self.call_np("zeros_like", name(n)))
            self.out.insert(position, copy_origin(init, loop))
            position += 1
        self.has_adjoint = (self.has_adjoint | start) - (assigned - bound)
        self.depth -= 1
        if isinstance(loop, gast.For) and self.loop_replays_range(loop):
            iterable = gast.Call(func=self.externals.builtin("reversed"), args=[loop.iter], keywords=[])
            self.emit(gast.For(target=loop.target, iter=iterable, body=body or [gast.Pass()], orelse=[],
                               type_comment=None), loop)
            self.restore_before(loop)
            return
        header = []
        if isinstance(loop, gast.For):
            header = [tape_.restore(self.tape, n, n) for n in reversed(sorted(names_in(loop.target, gast.Store)))]
        counter = name(self.namer.fresh("_"), gast.Store())
        trips = gast.Call(func=self.externals.builtin("range"), args=[tape_.pop(self.tape)], keywords=[])
        self.emit(gast.For(target=counter, iter=trips, body=header + body or [gast.Pass()], orelse=[],
                           type_comment=None), loop)
        self.restore_before(loop)

    def restore_before(self, loop):
        """A for loop's target gets back the value it had before the loop (see :mod:`s2sgrad.liveness`)."""
        for pushed in reversed(getattr(loop, "before", ())):
            self.emit(tape_.restore_if_live(self.tape, pushed), loop)

    def reverse_assign(self, y, rhs, stmt):
        g = name(self.adjoint_name(y))
        if isinstance(rhs, gast.Name):
            if rhs.id in self.active:
                self.accumulate(rhs.id, stmt, expr=g, uniform=y in self.uniform)
            return
        if isinstance(rhs, gast.Constant) or not activity.carries_derivative(rhs):
            return
        if isinstance(rhs, (gast.List, gast.Tuple, gast.Dict)):     # y = [a, b]: a gains dy[0], ...
            keys = [const(i) for i in range(len(rhs.elts))] if not isinstance(rhs, gast.Dict) else rhs.keys
            values = rhs.values if isinstance(rhs, gast.Dict) else rhs.elts
            for key, value in zip(keys, values):
                if isinstance(value, gast.Name) and value.id in self.active:
                    self.accumulate(value.id, stmt, expr=gast.Subscript(value=g, slice=key, ctx=gast.Load()))
            return
        if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name) and self.kind_of(rhs.value.id) \
                and self.output_of(rhs) is None:
            if rhs.value.id in self.active:
                self.container_element(rhs.value.id, rhs.slice, g, stmt, nested=self.kind_of(y) is not None)
            return
        if getattr(rhs, "user_function", False):
            self.reverse_user_call(y, rhs, stmt)
            return
        if self.output_of(rhs) is not None:     # y = t[1], t holding several results
            self.materialize(y, stmt)           # (the rule's templates take each result's adjoint as an array)
            self.accumulate(self.output_of(rhs), stmt, expr=g)
            self.has_adjoint.add(rhs.value.id)
            return
        rule, bound = self.rule_for(rhs, stmt)
        if rule is None:
            return
        outputs = rule.result_count(bound)
        if outputs is not None:                 # t = np.linalg.slogdet(A): results read as t[0], t[1]
            count = outputs if isinstance(outputs, int) else self.output_count(y, rhs, stmt)
            self.reverse_outputs([(y, k) for k in range(count)], rhs, stmt, rule, bound)
            return
        mapping = dict(bound)
        mapping["g"] = g
        mapping["ans"] = name(y)
        mapping["uniform_g"] = const(y in self.uniform)
        self.apply_rule(rule, bound, mapping, stmt, y)

    def apply_rule(self, rule, bound, mapping, stmt, y=None):
        """Send the adjoint of a call's result(s) (bound in ``mapping``) to each active argument.

        A uniform adjoint goes on as one number where the rule allows; where it
        does not, it is made an array once (``dy = np.full_like(y, dy)``).
        """
        pending = []
        for p in rule.params:
            if p not in rule.vjp:
                if p in rule.jvp and isinstance(bound[p], gast.AST) and names_in(bound[p], gast.Load) & self.active:
                    self.refuse_one_sided(rule, p, stmt, "reverse")
                continue
            arg = bound[p]
            if p in rule.sequences:
                pending.append(p)
            elif isinstance(arg, gast.Name) and arg.id in self.active \
                    and not self.uniform_contribution(rule, p, arg, bound, mapping, stmt, y):
                pending.append(p)
        if pending and y in self.uniform:
            self.materialize(y, stmt)
            mapping = dict(mapping, uniform_g=const(False))
        for p in pending:          # a list where an array is expected: the templates see NumPy's view of it
            arg = bound[p]
            if p not in rule.sequences and isinstance(arg, gast.Name) and self.kind_of(arg.id) in ("list", "tuple") \
                    and rule.func not in LIST_OPERATIONS:
                mapping = dict(mapping, **{p: self.call_np("asarray", name(arg.id))})
        for p in pending:
            arg = bound[p]
            if p in rule.sequences:
                self.reverse_sequence(rule, p, arg, mapping, stmt)
                continue
            template = self.template_at(rule, rule.vjp[p], mapping, stmt)
            if template is None:
                continue
            of_list = self.kind_of(arg.id) in ("list", "tuple") and rule.func not in LIST_OPERATIONS
            if template.expr is None and not of_list:
                self.accumulate(arg.id, stmt, template=template, mapping=mapping, result_name="d" + p)
                continue
            if template.expr is None:       # a statement template: its result into a temporary first
                piece = self.namer.temp_like(self.adjoint_name(arg.id))
                stmts, _ = instantiate(template, mapping, self.namer, self.np, target=piece, result_name="d" + p,
                                       shapes=self.facts.shapes, externals=self.externals)
                for s in stmts:
                    self.emit(s, stmt)
                expr = name(piece)
            else:
                _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                                      externals=self.externals, cache=self.instances)
            if of_list:       # np.array(xs), np.max(xs) of a list: NumPy stacks it, its adjoint is one per item
                self.accumulate_elements(arg.id, expr, stmt)
                continue
            if rule.broadcasts and y is not None:
                expr = self.sum_to_operand(expr, arg, y, [bound[q] for q in rule.params if q != p])
            self.accumulate(arg.id, stmt, expr=expr)

    def uniform_contribution(self, rule, p, arg, bound, mapping, stmt, y):
        """Pass a uniform contribution on as one number, when the rule allows; True if done.

        Only where the shapes are known (specialized code): shape-generic code
        would have to spell out element counts, and reads better with arrays.
        """
        if y is None or self.facts.shape(arg.id) is None:
            return False
        value = None
        if p in rule.uniform:
            _, value = instantiate(self.template_at(rule, rule.uniform[p], mapping, stmt), mapping, self.namer,
                                   self.np, shapes=self.facts.shapes, cache=self.instances)
            if isinstance(value, gast.Constant) and value.value is None:
                value = None
        elif y in self.uniform and rule.broadcasts and self.facts.shape(y) is not None \
                and getattr(template := self.template_at(rule, rule.vjp[p], mapping, stmt), "expr", None) is not None:
            _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                                  externals=self.externals, cache=self.instances)
            read = {n.id for n in walk(expr) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
                    and n.id != self.np and not _constant_external(n)}
            if read <= {mapping["g"].id}:                       # g, -g: the partial is a constant
                value = expr
            elif self.covers_result(read - {mapping["g"].id}, y):  # g * Y with Y as large as the result
                self.accumulate(arg.id, stmt, expr=self.sum_to_operand(
                    expr, arg, y, [bound[q] for q in rule.params if q != p]))
                return True
        if value is None:
            return False
        if rule.broadcasts:
            value = self.scale_to_operand(value, arg, y)
        self.accumulate(arg.id, stmt, expr=value, uniform=True)
        return True

    def covers_result(self, names_read, y):
        """Whether arrays with these names broadcast to the full shape of ``y`` (known shapes only)."""
        shapes = [self.facts.shape(n) for n in names_read]
        result = self.facts.shape(y)
        if result is None or any(s is None for s in shapes) or not shapes:
            return False
        try:
            return tuple(np.broadcast_shapes(*shapes)) == tuple(result)
        except ValueError:
            return False

    def scale_to_operand(self, value, arg, y):
        """A uniform adjoint of ``y`` summed down to ``arg``'s shape: the same number, times the count."""
        arg_shape, result_shape = self.facts.shape(arg.id), self.facts.shape(y)
        if arg_shape is not None and result_shape is not None:
            count = math.prod(result_shape) // max(math.prod(arg_shape), 1)
            return value if count == 1 else gast.BinOp(left=value, op=gast.Mult(), right=const(count))
        size = lambda n: self.call_np("size", name(n))
        return gast.BinOp(left=value, op=gast.Mult(),
                          right=gast.BinOp(left=size(y), op=gast.FloorDiv(), right=size(arg.id)))

    # ------------------------------------------------------ several results
    def reverse_outputs(self, outputs, rhs, stmt, rule=None, bound=None):
        """A call with several results (``w, V = np.linalg.eigh(A)``): its templates see ``g0, g1, ...``.

        ``outputs`` are the names the results were unpacked into, or ``(t, k)``
        for results read as ``t[k]``. A result without an adjoint binds ``g<k>``
        to ``None``, which the rule's templates fold away.
        """
        if rule is None:
            rule, bound = self.rule_for(rhs, stmt)
        count = rule.result_count(bound)
        if count is None:
            raise GradError(f"{rule.name} returns one value; its derivative rule cannot unpack it",
                            origin_of(stmt), "assign the result to one name")
        if isinstance(count, int) and count != len(outputs):
            raise GradError(f"{rule.name} returns {count} values, not {len(outputs)}", origin_of(stmt))
        mapping = dict(bound)
        gs, answers = [], []
        for out in outputs:     # the templates take each result's adjoint as an array (np.concatenate(g))
            if not isinstance(out, tuple) and out in self.uniform:
                self.materialize(out, stmt)
        for k, out in enumerate(outputs):
            if isinstance(out, tuple):
                t = out[0]
                answers.append(gast.Subscript(value=name(t), slice=const(k), ctx=gast.Load()))
                has = out in self.has_adjoint
            else:
                answers.append(name(out))
                has = out in self.active and out in self.has_adjoint
            gs.append(name(self.adjoint_name(out)) if has else const(None))
            mapping[f"g{k}"], mapping[f"ans{k}"] = gs[-1], answers[-1]
        mapping["g"] = gast.Tuple(elts=gs, ctx=gast.Load())
        mapping["ans"] = gast.Tuple(elts=answers, ctx=gast.Load())
        self.apply_rule(rule, bound, mapping, stmt)
        for out in outputs:
            if isinstance(out, tuple):
                self.has_adjoint.discard(out)

    def output_of(self, rhs):
        """``(t, k)`` when ``rhs`` is ``t[k]`` and ``t`` holds the results of a several-result call."""
        if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name) \
                and rhs.value.id in self.several_results and isinstance(rhs.slice, gast.Constant) \
                and type(rhs.slice.value) is int:
            key = (rhs.value.id, rhs.slice.value)
            if key not in self.adjoint_names:
                self.adjoint_names[key] = self.namer.temp_like(f"d{rhs.value.id}_{rhs.slice.value}")
            return key
        return None

    @property
    def several_results(self):
        """Names assigned the whole result of a call with several results (``t = np.linalg.svd(A)``)."""
        if not hasattr(self, "_several_results"):
            self._several_results = {
                n.targets[0].id for n in walk_statements(self.program.node.body)
                if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name)
                and isinstance(n.value, gast.Call) and _result_count(n.value) is not None}
        return self._several_results

    def accumulate_elements(self, container, pieces, stmt):
        """A list's adjoint gains one adjoint per element (``pieces``: a sequence, or an array along axis 0)."""
        if container in self.has_adjoint:
            expr = gast.Call(func=self.externals.reference(runtime.add_each, "add_each"),
                             args=[name(self.adjoint_name(container)), pieces], keywords=[])
        else:
            expr = gast.Call(func=self.externals.builtin("list"), args=[pieces], keywords=[])
        self.emit(assign(self.adjoint_name(container), expr), stmt)
        self.has_adjoint.add(container)

    def reverse_sequence(self, rule, p, arg, mapping, stmt):
        """A list argument (``np.stack([a, b])``): the template yields one adjoint per element.

        A template that is a tuple display gives each element's adjoint on its
        own, so elements that need none cost nothing.
        """
        if isinstance(arg, gast.Name) and self.kind_of(arg.id):      # np.stack(hs) on a list built earlier
            if arg.id in self.active:
                template = self.template_at(rule, rule.vjp[p], mapping, stmt)
                _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                                      externals=self.externals, cache=self.instances)
                self.accumulate_elements(arg.id, expr, stmt)
            return
        if p in rule.rows and isinstance(arg, gast.Name) and self.facts.shape(arg.id) is not None:
            # an array where the rule takes a list (sum(x)): its rows are the items; the template has its shape
            if arg.id in self.active:
                template = self.template_at(rule, rule.vjp[p], mapping, stmt)
                _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                                      externals=self.externals, cache=self.instances)
                self.accumulate(arg.id, stmt, expr=expr)
            return
        if isinstance(arg, gast.Name) and self.facts.shape(arg.id) is None and p in rule.rows:
            shown, inside = self.namer.spoken(arg.id, "its argument"), self.namer.spoken(arg.id, "...")
            raise GradError(f"{rule.name}({inside}): s2sgrad cannot tell whether {shown} is "
                            f"a list or an array in code for arguments of any shape", origin_of(stmt),
                            "pass the arrays as a list literal, e.g. [a, b], or for an array's rows use the NumPy "
                            "function (np.sum(x, axis=0) for sum(x))")
        if not isinstance(arg, (gast.List, gast.Tuple)):
            raise GradError(f"{rule.name}: pass the arrays as a list literal, e.g. [a, b]", origin_of(stmt))
        elements = [e.id if isinstance(e, gast.Name) and e.id in self.active else None for e in arg.elts]
        if not any(elements):
            return
        template = self.template_at(rule, rule.vjp[p], mapping, stmt)
        if template is None:
            return
        _, expr = instantiate(template, mapping, self.namer, self.np, shapes=self.facts.shapes,
                              externals=self.externals, cache=self.instances)
        if isinstance(expr, (gast.Tuple, gast.List)) and len(expr.elts) == len(elements):
            for element, piece in zip(elements, expr.elts):
                if element:
                    self.accumulate(element, stmt, expr=piece)
            return
        pieces = [self.namer.temp_like(self.adjoint_name(e)) if e else "_" for e in elements]
        self.emit(assign(gast.Tuple(elts=[store(n) for n in pieces], ctx=gast.Store()), expr), stmt)
        for element, piece in zip(elements, pieces):
            if element:
                self.accumulate(element, stmt, expr=name(piece))

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


def _differentiated_write(write, stmt):
    """The in-place calls the adjoint sweep undoes: ``xs.append(v)``, ``v = xs.pop()``, ``np.add.at(x, i, v)``."""
    call = write.call
    if call.keywords:
        return False
    if write.what == ".append()":
        return isinstance(stmt, gast.Expr) and len(call.args) == 1
    if write.what == ".pop()":
        return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and not call.args
    return write.what == "np.add.at" and len(call.args) == 3


def _appended_lists(body):
    """Lists ``xs.append(v)`` grows: the adjoint sweep takes each item back off (``xs.pop()``), active or not,
    so any other change to them (``xs.reverse()``) is refused, however little they matter to the derivative."""
    return {w.name for stmt in walk_statements(body) if isinstance(stmt, gast.Expr)
            for w in writes(stmt.value) if w.what == ".append()" and w.name is not None}


def _restored_in_place(out, primal, adjoint):
    """Whether the adjoint sweep writes into an array ``out`` may share memory with (``out = np.squeeze(a)``,
    then ``a[..., 0] = tape.pop()`` puts back a's older values, and out's with them)."""
    restored = {stmt.targets[0].value.id for stmt in walk_statements(adjoint)
                if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript)
                and isinstance(stmt.targets[0].value, gast.Name)}
    if not restored:
        return False
    reaches = {out}
    for stmt in reversed(list(walk_statements(primal))):     # what out's value may be a view of, transitively
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and stmt.targets[0].id in reaches:
            reaches |= shared_operands(stmt.value)
    return bool(reaches & restored)


def _append_at_exits(block, make, at_body_end=True):
    """Add a statement at the end of a block and before each break of the enclosing loop in it."""
    for stmt in block:
        if isinstance(stmt, gast.If):
            _append_at_exits(stmt.body, make, False)
            _append_at_exits(stmt.orelse, make, False)
    if block and isinstance(block[-1], gast.Break):
        block.insert(len(block) - 1, make())
    elif at_body_end:
        block.append(make())


def _same_loop_nodes(stmts):
    """Nodes of a loop body, not descending into nested loops (their breaks are their own)."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (gast.For, gast.While)):
            continue
        for field in ("body", "orelse"):
            yield from _same_loop_nodes(getattr(stmt, field, None) or [])


def _keys_of(container):
    """``container.keys()``, a call activity analysis knows gives nothing to differentiate."""
    call = gast.Call(func=gast.Attribute(value=container, attr="keys", ctx=gast.Load()), args=[], keywords=[])
    call.method = "keys"
    return copy_origin(call, container)


def _result_count(call):
    """How many results a call to a rule with several results returns (None: one, or no such rule)."""
    rule = lookup(getattr(call, "callee", None))
    if rule is None or rule.outputs is None:
        return None
    bound, error = rule.bind(list(call.args), {k.arg: k.value for k in call.keywords})
    return None if error else rule.result_count(bound)


def _build_vjp(program, wrt, facts, subroutines):
    """The vjp of a recursive helper (see ``callsite.Subroutines``): positional arguments, then the seed."""
    reverse = ReverseMode(program, wrt, facts, "vjp", subroutines=subroutines, seed_positional=True)
    return reverse.build(), set(reverse.adjoint_names.values())


def _copy_of(expr):
    """``expr.copy()``: the method, which CuPy and Dask arrays (and NumPy scalars) answer themselves."""
    return gast.Call(func=gast.Attribute(value=expr, attr="copy", ctx=gast.Load()), args=[], keywords=[])


def _mentions(params, body):
    """How many times each name is read and bound (a parameter counts as bound) in ``body``."""
    reads, binds = {}, {p.id: 1 for p in params}
    for node in name_nodes(gast.Module(body=body, type_ignores=[])):
        counts = reads if type(node.ctx) is gast.Load else binds
        counts[node.id] = counts.get(node.id, 0) + 1
    return {n: (reads.get(n, 0), binds.get(n, 0)) for n in reads.keys() | binds.keys()}


def _constant_external(node):
    """Whether a name the generated code binds to an outside object stands for a constant, as a user rule's
    helper or a number does; an outside array (a module's ``C``) has a shape, so its partial is no constant."""
    if not getattr(node, "external", False):
        return False
    value = getattr(node, "value_of", None)
    return callable(value) or isinstance(value, (numbers.Number, types.ModuleType))
