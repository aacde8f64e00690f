"""Normalization: one operation per statement, every name resolved.

The derivative transformers apply one rule per statement, so they want code
where each statement does one thing to named values::

    nll = -np.mean(np.sum(U * Y, 1) - logsumexp(U))

becomes::

    t1 = U * Y
    t2 = np.sum(t1, 1)
    ...             # logsumexp's body, inlined, its locals renamed if they collide
    t5 = t2 - t4
    t6 = np.mean(t5)
    nll = -t6

Along the way:

* free names are resolved against the function's closure and globals at compile
  time, so ``np.exp`` is known to be NumPy's and ``logistic`` a user function;
  NumPy is then spelled through one alias, other outside objects by bound names
  (see :mod:`s2sgrad.references`);
* array methods become NumPy calls (``U.sum(1)`` -> ``np.sum(U, 1)``);
* calls to the user's own functions are inlined, at any depth;
* a straight-line reassignment gets a new version name (``x = x / 2`` ->
  ``x_1 = x / 2``), so the adjoint sweep can read every value as it was;
* unsupported syntax raises :class:`GradError` at the user's line.

The temporaries introduced here are folded back into expressions by the
cleanup passes (:mod:`s2sgrad.optimize`) where they are used once, so the
generated source does not keep this one-operation-per-line shape.
"""

import ast
import builtins
import types

import gast
import numpy as np

from .astutil import (assign, clone as _copy, const, copy_origin, is_atom, name, names_in, substitute, walk,
                      walk_statements)
from . import concatenators
from .comprehensions import COMPREHENSIONS, desugar_comprehensions
from .errors import GradError, origin_of
from .freshness import attribute
from .local_functions import free_names, take_out_local_functions
from .loop_names import own_loop_names, refuse_mixed_counter
from .parsing import ParsedFunction, parse_function
from .references import Externals
from .rules import lookup, is_nondifferentiable
from .rules import idioms
from .rules.methods import ARRAY_METHODS, COPYING_METHODS, KEPT_METHODS
from .simplify import simplify
from .structure import single_exit

UNSUPPORTED_STATEMENTS = {
    gast.Try: ("try/except", "move error handling outside the differentiated function"),
    gast.With: ("a with block", "move the context manager outside the differentiated function"),
    gast.AsyncWith: ("async with", "write plain synchronous code"),
    gast.AsyncFor: ("async for", "write plain synchronous code"),
    gast.AsyncFunctionDef: ("an async function", "write plain synchronous code"),
    gast.ClassDef: ("a class definition", "define classes outside the differentiated function"),
    gast.FunctionDef: ("a nested function definition here",
                       "define the helper at the top of the function's body, without decorators or default "
                       "values, or at module level (s2sgrad inlines calls to it)"),
    gast.Global: ("a global statement", "pass the value in as an argument and return results"),
    gast.Nonlocal: ("a nonlocal statement", "pass the value in as an argument and return results"),
    gast.Delete: ("a del statement", "let the name go out of scope instead"),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
}
if hasattr(gast, "Match"):
    UNSUPPORTED_STATEMENTS[gast.Match] = ("a match statement", "use if/elif/else")
if hasattr(gast, "TryStar"):
    UNSUPPORTED_STATEMENTS[gast.TryStar] = ("try/except*", "move error handling outside")

UNSUPPORTED_EXPRESSIONS = {
    gast.Lambda: ("a lambda here", "name it at the top of the function's body (f = lambda x: ...) and call it, "
                                   "or define a module-level function"),
    # (where it runs once, where it stands, a list comprehension or generator expression is written out as a
    # loop: see comprehensions.py; these are the places it may not run, or runs at every pass of a while)
    gast.ListComp: ("a list comprehension", "write a for loop that appends to a list"),
    gast.SetComp: ("a set comprehension", "write a for loop"),
    gast.DictComp: ("a dict comprehension", "write a for loop that fills a dict"),
    gast.GeneratorExp: ("a generator expression", "write a for loop"),
    gast.Yield: ("yield", "return a value instead of generating values"),
    gast.YieldFrom: ("yield from", "return a value instead of generating values"),
    gast.Await: ("await", "write plain synchronous code"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign in a statement of its own"),
    gast.Starred: ("a starred argument (*args)", "pass the arguments one by one"),
    gast.Set: ("a set literal", "use a list or tuple"),
}

_SIMPLE_CONSTANTS = (int, float, complex, bool, str, type(None))
_UNDEFINED_HINT = "define or import it at module level before calling grad"
# builtins that see the function's variables by name: their results would look constant
_READS_NAMES = (builtins.eval, builtins.exec, builtins.locals, builtins.vars, builtins.globals)


_ARRAYS = (np.ndarray, np.generic)     # outside values whose attributes are read as a local array's


def is_simple_constant(value):
    """Whether ``value`` can be written as a literal: exactly a Python number, string, bool or None
    (a NumPy scalar such as ``np.float64(0.75)`` subclasses float but is no literal, and keeps its dtype
    as an outside reference)."""
    if isinstance(value, tuple):
        return all(is_simple_constant(v) for v in value)
    return type(value) in _SIMPLE_CONSTANTS


def constant_node(value):
    """A literal for a simple Python constant, tuples included."""
    if isinstance(value, tuple):
        return gast.Tuple(elts=[constant_node(v) for v in value], ctx=gast.Load())
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return gast.UnaryOp(op=gast.USub(), operand=const(-value))
    return const(value)


class Program:
    """What normalization produces: the normalized function plus its outside references."""

    def __init__(self, parsed, node, namer, externals):
        self.parsed = parsed
        self.node = node
        self.namer = namer
        self.externals = externals
        self.analyses = {}     # results of analyses that only read the tree, by their question (see kinds)

    @property
    def params(self):
        return [a.id for a in self.node.args.args]

    def fork(self, tree=True):
        """An independent copy to transform: each generated derivative takes names of its own.

        ``tree=False`` shares the tree, for a phase that only reads it (the early check of a derivative),
        and so the analyses made of it. A copy of the tree starts with the analyses made so far, which
        hold for it until it is changed (whoever changes it clears them).
        """
        namer = self.namer.copy()
        forked = Program(self.parsed, _copy(self.node) if tree else self.node, namer, self.externals.copy(namer))
        forked.analyses = dict(self.analyses) if tree else self.analyses
        return forked


def normalize(parsed, namer):
    """Normalize a parsed function; returns a :class:`Program`."""
    check_signature(parsed)
    helpers = _local_functions(parsed)
    parsed.node.body = single_exit(parsed.node.body, namer, parsed.origin, parsed.node_counts)
    namer.reserve(*parsed.local_names())
    parsed.node.body = _loops_for_comprehensions(parsed, namer)
    externals = Externals(namer)
    normalizer = FunctionNormalizer(parsed, namer, externals, stack=(parsed.func,))
    normalizer.local_functions = helpers
    for param in parsed.node.args.args:
        normalizer.renames[param.id] = name(param.id)
        normalizer.defined.add(param.id)
    body = normalizer.block(parsed.node.body, top=True)
    for stmt in walk_statements(body):
        if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Expr)):
            stmt.as_written = True   # the user's computation: never folded (x * 1.0 makes a new float array)
    args = gast.arguments(args=[name(a.id, gast.Param()) for a in parsed.node.args.args],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[normalizer.external_value(d, "default")
                                                for d in parsed.defaults])
    node = gast.FunctionDef(name=parsed.name, args=args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    copy_origin(node, parsed.node)
    return Program(parsed, node, namer, externals)


def _local_functions(parsed):
    """Take the helpers the function defines for itself out of its body (see local_functions.py); refuse
    any other nested definition now, before single_exit would read its returns as the function's."""
    counts = parsed.node_counts
    if not (counts is None or counts.get(gast.FunctionDef, 0) > 1 or gast.Lambda in counts):   # (itself is one)
        return {}
    parsed.node.body, helpers = take_out_local_functions(parsed.node.body)
    if helpers:
        parsed.node_counts = None      # (the helpers' nodes were counted in, their returns among them)
    for node in walk(gast.Module(body=parsed.node.body, type_ignores=[])):
        if isinstance(node, gast.FunctionDef):
            what, hint = UNSUPPORTED_STATEMENTS[gast.FunctionDef]
            raise GradError(f"{what} is not supported in a differentiated function", origin_of(node), hint)
    return helpers


def _loops_for_comprehensions(parsed, namer):
    """The body with its comprehensions written out as loops (the body itself where it has none)."""
    if not parsed.may_hold(COMPREHENSIONS):
        return parsed.node.body
    return desugar_comprehensions(parsed.node.body, namer)


def check_signature(parsed):
    args = parsed.node.args
    where = parsed.origin
    what = None
    if args.vararg is not None:
        what = f"*{args.vararg.id}"
    elif args.kwarg is not None:
        what = f"**{args.kwarg.id}"
    elif args.kwonlyargs:
        what = f"keyword-only parameter {args.kwonlyargs[0].id}"
    elif args.posonlyargs:
        what = "positional-only parameters"
    if what:
        raise GradError(f"{parsed.name}: {what} in the signature is not supported", where,
                        "give the function plain positional parameters")
    for deco in parsed.node.decorator_list:
        found, obj = _resolve_static(deco, parsed)
        if found and obj is staticmethod:
            continue         # (Model.loss of a @staticmethod is the plain function it decorates)
        if not (found and getattr(obj, "__module__", "").startswith("s2sgrad")):
            raise GradError(f"{parsed.name}: decorated functions are not supported "
                            f"(decorator {gast.unparse(deco) if hasattr(gast, 'unparse') else '...'})",
                            origin_of(deco) or where,
                            "differentiate the undecorated function and decorate the result")


def _resolve_static(expr, parsed):
    if isinstance(expr, gast.Call):
        expr = expr.func
    if isinstance(expr, gast.Name):
        return parsed.lookup(expr.id)
    if isinstance(expr, gast.Attribute):
        found, base = _resolve_static(expr.value, parsed)
        if found and hasattr(base, expr.attr):
            return True, getattr(base, expr.attr)
    return False, None


class FunctionNormalizer:
    """Normalizes the body of one function (the differentiated one, or an inlined helper)."""

    def __init__(self, parsed, namer, externals, stack):
        self.parsed = parsed
        self.namer = namer
        self.externals = externals
        self.stack = stack
        self.locals = parsed.local_names()
        self.renames = {}          # user name -> current node (Name, or an atom for a parameter)
        self.defined = set()       # names with a value on the straight-line path
        self.in_compound = _names_assigned_in_compound(parsed.node.body)
        self.out = []
        self.returned = None
        self.depth = 0
        self.checked = set()       # ids of the user's expression nodes already checked for unsupported syntax
        # (a function that holds none of that syntax anywhere needs no check of each expression)
        self.may_hold_unsupported = parsed.may_hold(UNSUPPORTED_EXPRESSIONS)
        self.loop_liveness = {}    # id of a user's for statement -> the names live after it (loop_names.py)

    # ----------------------------------------------------------------- errors
    def error(self, message, node, hint=None):
        return GradError(message, origin_of(node) or self._nearest_origin(node), hint)

    def _nearest_origin(self, node):
        return self.current_origin

    current_origin = None

    # ------------------------------------------------------------- statements
    def block(self, stmts, top=False):
        saved, self.out = self.out, []
        for i, stmt in enumerate(stmts):
            self.current_origin = origin_of(stmt) or self.current_origin
            last = top and i == len(stmts) - 1
            self.statement(stmt, last)
        out, self.out = self.out, saved
        return out

    def emit(self, stmt, like):
        copy_origin(stmt, like)
        self.out.append(stmt)

    def statement(self, s, last=False):
        kind = type(s)
        if kind in UNSUPPORTED_STATEMENTS:
            what, hint = UNSUPPORTED_STATEMENTS[kind]
            raise self.error(f"{what} is not supported in a differentiated function", s, hint)
        method = getattr(self, "stmt_" + kind.__name__, None)
        if method is None:
            raise self.error(f"the statement {kind.__name__} is not supported", s,
                             "rewrite it with assignments, if/for/while and calls")
        method(s, last) if kind is gast.Return else method(s)

    def stmt_Expr(self, s):
        value = s.value
        if isinstance(value, gast.Constant):
            return  # a docstring or a bare literal
        if isinstance(value, gast.Call):
            call = self.call(value)
            if not isinstance(call, gast.Constant):      # (an inlined helper's None: its work is emitted)
                self.emit(gast.Expr(value=call), s)
            return
        self.check_expression(value)
        if any(isinstance(node, gast.Call) for node in walk(value)):
            # `y.fill(v) if c else None`, `c and xs.append(v)`: a call run for its effect, which dropping the
            # statement would lose (and keeping it as an expression, hide from the derivative)
            raise self.error("a call inside an expression statement is not differentiated", s,
                             "write the call as a statement of its own, under an if statement where it is "
                             "conditional (if c: y.fill(v))")
        # a bare expression statement without calls has no effect worth keeping

    def stmt_Pass(self, s):
        pass

    def stmt_Assign(self, s):
        value = s.value
        if len(s.targets) > 1:
            atom = self.atom(value)
            for target in s.targets:
                self.store(target, atom, s)
            return
        target = s.targets[0]
        if isinstance(target, (gast.Tuple, gast.List)):
            self.store_unpack(target, value, s)
            return
        if isinstance(target, gast.Name):
            self.store(target, self.simple(value), s)
        else:
            self.store(target, self.atom(value), s)

    def stmt_AnnAssign(self, s):
        if s.value is not None:
            self.stmt_Assign(gast.Assign(targets=[s.target], value=s.value, type_comment=None))

    def stmt_AugAssign(self, s):
        target = s.target
        if isinstance(target, gast.Name):
            current = self.load(target)
            rhs = self.atom(s.value)
            value = gast.BinOp(left=current, op=s.op, right=rhs)
            if isinstance(current, gast.Name):
                value.inplace = current.id    # on an array, y += v writes into y: see aliasing.py
            self.store(target, value, s)
        elif isinstance(target, gast.Subscript):
            base = self.write_base(target, s)
            index = self.index(target.slice)
            old = self.assign_temp(gast.Subscript(value=base, slice=index, ctx=gast.Load()), s)
            rhs = self.atom(s.value)
            new = self.assign_temp(gast.BinOp(left=old, op=s.op, right=rhs), s)
            self.emit(assign(gast.Subscript(value=_copy(base), slice=_copy(index), ctx=gast.Store()),
                             new), s)
        else:
            raise self.error("augmented assignment to an attribute is not supported", s,
                             "assign to a local variable")

    def stmt_Return(self, s, last):
        if len(self.stack) > 1 and last and isinstance(s.value, gast.Tuple):
            self.returned = self.simple(s.value)    # `return a, b`: unpacked by the caller, no tuple built
            return
        atom = self.atom(s.value) if s.value is not None else const(None)
        if len(self.stack) > 1 and last:
            self.returned = atom
            return
        if not last:
            raise self.error("return before the end of the function is not supported yet", s,
                             "assign the result to a variable and return it at the end")
        self.emit(gast.Return(value=atom), s)

    def stmt_If(self, s):
        test = self.atom(s.test)
        if isinstance(test, gast.Constant):      # decided when the code is generated (`if depth == 0`)
            for stmt in (s.body if test.value else s.orelse):
                self.statement(stmt)
            return
        self.depth += 1
        body = self.block(s.body) or [gast.Pass()]
        orelse = self.block(s.orelse)
        self.depth -= 1
        self.emit(gast.If(test=test, body=body, orelse=orelse), s)

    def stmt_For(self, s):
        if s.orelse:
            raise self.error("for ... else is not supported", s, "use a flag variable")
        over_keys = _over_keys(s, self.namer)
        if over_keys is not None:
            self.locals.add(over_keys.target.id)       # (a key of its own, for d.values())
            return self.stmt_For(over_keys)
        rebound = sorted(names_in(s.target, gast.Store) & names_in(s.iter, gast.Load))
        if rebound:       # for k in k: the loop's items and what it walks share one name (and one adjoint)
            raise self.error(f"a loop whose variable {rebound[0]} rebinds the name it iterates over is not supported",
                             s, f"give the loop variable another name (for item in {rebound[0]}: ...)")
        iterable = self.loop_iterable(s.iter)
        own = own_loop_names(s, self.parsed.node, self.local_functions, self.loop_liveness)
        refuse_mixed_counter(s, self.parsed.node, own, self.is_range)
        outside = {n: self.renames.get(n) for n in own}
        self.renames.update({n: name(self.namer.fresh(n)) for n in own})
        self.depth += 1
        target = self.store_target(s.target, s)
        body = self.block(s.body) or [gast.Pass()]
        self.depth -= 1
        for n, current in outside.items():     # the loop's binding of n was its own (s2sgrad/loop_names.py)
            if current is None:
                del self.renames[n]
            else:
                self.renames[n] = current
        target, body = self.distinct_loop_target(target, body, s)
        self.emit(gast.For(target=target, iter=iterable, body=body, orelse=[], type_comment=None), s)

    def distinct_loop_target(self, target, body, s):
        """``for i in b: ... i = v`` reads ``for i_1 in b: i = i_1; ... i = v``: the loop's item and the
        body's value of ``i`` are then two names, as the adjoint sweep needs to restore each."""
        rebound = names_in(gast.Module(body=body, type_ignores=[]), gast.Store) & names_in(target, gast.Store)
        if not rebound:
            return target, body
        renames = {n: self.namer.fresh(n) for n in sorted(rebound)}
        copies = [copy_origin(assign(n, name(renames[n])), s) for n in sorted(rebound)]
        return substitute(target, {n: name(m) for n, m in renames.items()}), copies + body

    def is_range(self, call):
        """Whether a user's call is one of the builtin ``range`` (a loop over it counts in integers)."""
        return isinstance(call.func, gast.Name) and call.func.id == "range" \
            and self.parsed.lookup("range")[1] is builtins.range

    def loop_iterable(self, iterable):
        """``range(T)``, ``enumerate(zip(a, b))``, ... kept whole in the loop header, for readability."""
        if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
                and iterable.func.id in ("range", "enumerate", "zip", "reversed") and not iterable.keywords \
                and self.parsed.lookup(iterable.func.id)[1] is getattr(builtins, iterable.func.id):
            args = [self.loop_iterable(a) for a in iterable.args]
            return self.make_call(self.load(iterable.func), getattr(builtins, iterable.func.id), args, [],
                                  iterable)
        return self.atom(iterable)

    def stmt_While(self, s):
        if s.orelse:
            raise self.error("while ... else is not supported", s, "use a flag variable")
        self.depth += 1
        saved, self.out = self.out, []
        test = self.atom(s.test)
        pre = self.out
        self.out = saved
        body = self.block(s.body)
        self.depth -= 1
        if pre:  # the test needs statements of its own: evaluate it at the top of each pass
            exit_ = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=test), body=[gast.Break()],
                            orelse=body or [gast.Pass()])
            self.emit(gast.While(test=const(True), body=pre + [copy_origin(exit_, s)], orelse=[]), s)
        else:
            self.emit(gast.While(test=test, body=body or [gast.Pass()], orelse=[]), s)

    def stmt_Break(self, s):
        self.emit(gast.Break(), s)

    def stmt_Continue(self, s):
        self.emit(gast.Continue(), s)

    def stmt_Assert(self, s):
        self.emit(gast.Assert(test=self.opaque(s.test), msg=self.opaque(s.msg) if s.msg else None), s)

    def stmt_Raise(self, s):
        self.emit(gast.Raise(exc=self.opaque(s.exc) if s.exc else None, cause=None), s)

    # ------------------------------------------------------------ assignments
    def write_base(self, target, s):
        """The array ``target[...] = v`` writes into: a name, never a view made on the spot.

        ``y[0][1] = v`` and ``y.real[0] = v`` write through a temporary view into
        ``y``; rewritten one operation per statement the write would land in
        the temporary and ``y`` would keep its values: a wrong derivative.
        """
        if not isinstance(target.value, gast.Name):
            text = ast.unparse(gast.gast_to_ast(_copy(target.value)))
            raise self.error(f"writing into {text}[...] is not supported: it writes through a view of an "
                             f"array, which the derivative would miss", s,
                             "index the array itself (y[0, 1] = v), or copy the part and write that "
                             "(z = y[0].copy(); z[1] = v)")
        return self.atom(target.value)

    def store(self, target, value, s):
        if isinstance(target, gast.Name):
            current = self.renames.get(target.id)
            if isinstance(current, gast.Name) and not is_atom(value) \
                    and current.id in names_in(value, gast.Load) and target.id in self.in_compound:
                # `h = h + x` in a loop: compute into a temporary first, so that the old and
                # the new h are different statements' values (the adjoint needs both)
                value = self.assign_temp(value, s)
            self.emit(assign(self.store_name(target.id), value), s)
        elif isinstance(target, gast.Subscript):
            base = self.write_base(target, s)
            if not isinstance(base, gast.Name):
                raise self.error("assignment into this kind of object is not supported", s,
                                 "write into a local array: y = x.copy(); y[i] = v")
            index = self.index(target.slice)
            if not is_atom(value):
                value = self.assign_temp(value, s)
            self.emit(assign(gast.Subscript(value=base, slice=index, ctx=gast.Store()), value), s)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.store_unpack(target, value, s, normalized=True)
        else:
            raise self.error("assignment to an attribute is not supported", s,
                             "assign to a local variable")

    def store_unpack(self, target, value, s, normalized=False):
        """``a, (b, c) = value``; ``normalized``: ``value`` is already an atom or a display of atoms of the
        normalized code (a nested target's part), not the user's expression, so it is not read again."""
        if any(isinstance(e, gast.Starred) for e in target.elts):
            raise self.error("starred assignment (a, *b = ...) is not supported", s,
                             "index instead: a, b = x[0], x[1:]")
        if normalized:
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                parts = value.elts
            else:
                parts = [gast.Subscript(value=_copy(value), slice=const(i), ctx=gast.Load())
                         for i in range(len(target.elts))]
            for t, a in zip(target.elts, parts):
                self.store(t, a, s)
            return
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
            target, value = _flattened(target, value)    # (p, q), r = (x, 2 * x), x: p, q, r = x, 2 * x, x
            atoms = [self.atom(v) for v in value.elts]   # evaluate all first: a, b = b, a
            atoms = [self.assign_temp(a, s) if isinstance(a, gast.Name) else a for a in atoms] \
                if _overlaps(target, value) else atoms
            for t, a in zip(target.elts, atoms):
                self.store(t, a, s)
            return
        simple = self.simple(value)
        if isinstance(simple, (gast.Tuple, gast.List)) and len(simple.elts) == len(target.elts):
            for t, a in zip(target.elts, simple.elts):
                self.store(t, a, s)
            return
        if isinstance(simple, gast.Call) and all(isinstance(t, gast.Name) for t in target.elts):
            names = [self.store_name(t.id) for t in target.elts]
            self.emit(assign(gast.Tuple(elts=[name(n, gast.Store()) for n in names], ctx=gast.Store()),
                             simple), s)
            return
        whole = simple if is_atom(simple) else self.assign_temp(simple, s)
        for i, t in enumerate(target.elts):
            self.store(t, gast.Subscript(value=_copy(whole), slice=const(i), ctx=gast.Load()), s)

    def store_target(self, target, s):
        """A loop target: a name, or a tuple of names."""
        if isinstance(target, gast.Name):
            return name(self.store_name(target.id), gast.Store())
        if isinstance(target, (gast.Tuple, gast.List)):
            return gast.Tuple(elts=[self.store_target(e, s) for e in target.elts], ctx=gast.Store())
        raise self.error("a loop target must be a name or a tuple of names", s,
                         "loop over a name and assign the rest in the body")

    def store_name(self, user_name):
        """The generated name a store to ``user_name`` writes, versioning straight-line reassignments (after
        a loop or branch that binds the name too: ``for i in range(3)`` then ``i = np.tanh(b)`` are two names,
        whose adjoints and shape facts differ)."""
        current = self.renames.get(user_name)
        reassigned = user_name in self.defined
        if (current is None or not isinstance(current, gast.Name)
                or (self.depth == 0 and (reassigned or user_name in self.in_compound))):
            if current is None and len(self.stack) == 1:
                new = user_name  # the differentiated function's own names are already reserved
            else:
                new = self.namer.fresh(user_name)
            self.renames[user_name] = name(new)
        if self.depth == 0:
            self.defined.add(user_name)
        return self.renames[user_name].id

    def assign_temp(self, value, like):
        temp = self.namer.temp()
        self.emit(assign(temp, value), like)
        return name(temp)

    # ------------------------------------------------------------ expressions
    def atom(self, expr):
        """Reduce ``expr`` to a name, constant or outside reference, emitting statements as needed."""
        if isinstance(expr, gast.Constant):
            return const(expr.value)
        if isinstance(expr, gast.Name):
            return self.load(expr)
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.operand, gast.Constant) \
                and isinstance(expr.op, (gast.USub, gast.UAdd)) and isinstance(expr.operand.value, (int, float)):
            value = expr.operand.value
            return const(-value if isinstance(expr.op, gast.USub) else value)
        if isinstance(expr, gast.Tuple) and all(isinstance(e, gast.Constant) for e in expr.elts):
            return gast.Tuple(elts=[const(e.value) for e in expr.elts], ctx=gast.Load())
        if isinstance(expr, gast.Attribute):
            external = self.try_external(expr)
            if external is not None:
                return external
        simple = self.simple(expr)
        if is_atom(simple):
            return simple
        return self.assign_temp(simple, expr)

    def simple(self, expr):
        """Reduce ``expr`` to one operation on atoms."""
        self.check_expression(expr)
        if isinstance(expr, (gast.Name, gast.Constant)):
            return self.atom(expr)
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.atom(expr.left), op=expr.op, right=self.atom(expr.right))
        if isinstance(expr, gast.UnaryOp):
            if isinstance(expr.operand, gast.Constant):
                return self.atom(expr)
            if isinstance(expr.op, gast.UAdd):
                return self.atom(expr.operand)
            operand = self.atom(expr.operand)
            if isinstance(expr.op, gast.USub) and isinstance(operand, gast.Constant) \
                    and type(operand.value) in (int, float):
                return const(-operand.value)      # -np.inf: a constant, as a rule's argument
            return gast.UnaryOp(op=expr.op, operand=operand)
        if isinstance(expr, gast.Compare):
            return simplify(gast.Compare(left=self.atom(expr.left), ops=expr.ops,
                                         comparators=[self.atom(c) for c in expr.comparators]))
        if isinstance(expr, gast.Call):
            return self.call(expr)
        if isinstance(expr, gast.Subscript):
            concatenation = concatenators.rewrite(self, expr)      # np.r_[a, b], np.c_[a, b]
            if concatenation is not None:
                return concatenation
            return gast.Subscript(value=self.atom(expr.value), slice=self.index(expr.slice),
                                  ctx=gast.Load())
        if isinstance(expr, gast.Attribute):
            external = self.try_external(expr)
            if external is not None:
                return external
            return gast.Attribute(value=self.atom(expr.value), attr=expr.attr, ctx=gast.Load())
        if isinstance(expr, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in expr.elts):
                return self.concatenation(expr)
            elts = [self.atom(e) for e in expr.elts]
            return type(expr)(elts=elts, ctx=gast.Load())
        if isinstance(expr, gast.Dict):
            if any(k is None for k in expr.keys):
                raise self.error("dict unpacking (**) is not supported", expr,
                                 "write the keys out: {\"a\": d[\"a\"], ...}")
            return gast.Dict(keys=[self.atom(k) for k in expr.keys],
                             values=[self.atom(v) for v in expr.values])
        if isinstance(expr, gast.IfExp):
            return self.if_expression(expr)
        if isinstance(expr, (gast.BoolOp, gast.JoinedStr)):
            return self.opaque(expr)
        raise self.error(f"the expression {type(expr).__name__} is not supported", expr,
                         "compute it in plain assignments and calls")

    def if_expression(self, expr):
        """``a if c else b`` becomes an if statement that assigns a temporary."""
        test = self.atom(expr.test)
        if isinstance(test, gast.Constant):      # decided when the code is generated (`a if DEBUG else b`)
            return self.simple(expr.body if test.value else expr.orelse)
        temp = self.namer.temp()
        self.depth += 1
        branches = []
        for branch in (expr.body, expr.orelse):
            saved, self.out = self.out, []
            self.emit(assign(temp, self.simple(branch)), expr)
            branches.append(self.out)
            self.out = saved
        self.depth -= 1
        self.emit(gast.If(test=test, body=branches[0], orelse=branches[1]), expr)
        return name(temp)

    def check_expression(self, expr):
        """Refuse the syntax we cannot differentiate, anywhere in ``expr``. Each part of an expression is
        reduced in turn, so its parts are marked checked: the walk is once per expression, not per level."""
        if not self.may_hold_unsupported or id(expr) in self.checked:
            return
        displayed = set()      # starred items of a tuple or list display, (*x.shape, 2): written out in simple()
        for node in walk(expr):
            if type(node) in (gast.Tuple, gast.List) and isinstance(node.ctx, gast.Load):
                displayed.update(id(e) for e in node.elts if isinstance(e, gast.Starred))
            elif type(node) is gast.Call and _packs_starred(node):
                displayed.add(id(node.args[0]))          # x.reshape(*shape) is x.reshape(shape)
            if type(node) in UNSUPPORTED_EXPRESSIONS and id(node) not in displayed:
                what, hint = UNSUPPORTED_EXPRESSIONS[type(node)]
                raise self.error(f"{what} is not supported in a differentiated function", node, hint)
            self.checked.add(id(node))

    def index(self, index):
        if isinstance(index, gast.Slice):
            return gast.Slice(lower=index.lower and self.atom(index.lower),
                              upper=index.upper and self.atom(index.upper),
                              step=index.step and self.atom(index.step))
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in index.elts], ctx=gast.Load())
        if isinstance(index, gast.Constant):
            return const(index.value)
        return self.atom(index)

    def load(self, node):
        user_name = node.id
        if user_name in self.locals:
            current = self.renames.get(user_name)
            if current is None:
                if len(self.stack) == 1:
                    current = name(user_name)
                else:
                    current = name(self.namer.fresh(user_name))
                self.renames[user_name] = current
            return _copy(current)
        found, value = self.parsed.lookup(user_name)
        if not found:
            raise self.error(f"the name {user_name} is not defined", node, _UNDEFINED_HINT)
        return self.external_value(value, user_name, home=self.home(user_name))

    def home(self, global_name):
        if global_name in self.parsed.closure:
            return None
        return (self.parsed.func.__module__, global_name)

    def external_value(self, value, hint, home=None):
        if is_simple_constant(value):
            return constant_node(value)
        ref = self.externals.reference(value, hint, home)
        ref.external = True
        ref.value_of = value
        return ref

    def try_external(self, expr):
        """``np.pi`` or ``np.linalg`` as an outside reference; None for attributes of locals, and for
        attributes of an outside array (``G.T``, ``cfg.W.shape``): those are read as for a local array, on
        the array's own reference, so that generated code reads ``G.T`` at each call and a written-out
        module imports ``G`` (see :meth:`reaches_outside_array`)."""
        node, chain = _attribute_chain(expr)
        if not isinstance(node, gast.Name) or node.id in self.locals:
            return None
        if self.reaches_outside_array(expr.value if isinstance(expr, gast.Attribute) else expr):
            return None
        found, value = self.parsed.lookup(node.id)
        if not found:
            raise self.error(f"the name {node.id} is not defined", expr, _UNDEFINED_HINT)
        for attr in reversed(chain):
            if not hasattr(value, attr):
                raise self.error(f"{node.id} has no attribute {attr}", expr, "check the spelling")
            value = attribute(value, attr)      # (recorded: cfg.LAM may be rebound, see freshness.py)
        return self.external_value(value, chain[0] if chain else node.id, home=None)

    def reaches_outside_array(self, expr):
        """Whether ``expr``, a chain ``G`` or ``cfg.W.T`` on a module name, passes through a NumPy array
        (or a NumPy scalar, ``np.float64(0.75)``, which has the array's attributes and methods).

        An attribute or method of an array is then one of a value, as for a local array (``G.T``,
        ``G.clip(0, 1)`` through the method table), not a constant to work out once: that would be
        an unnamed value no written-out module exports, and ``G.clip`` a bound method with no rule.
        Names that cannot be resolved, or attributes that do not exist, answer False: try_external
        and resolve_callee say what is wrong with them."""
        node, chain = _attribute_chain(expr)
        if not isinstance(node, gast.Name) or node.id in self.locals:
            return False
        found, value = self.parsed.lookup(node.id)
        if not found:
            return False
        for attr in reversed(chain):
            if isinstance(value, _ARRAYS):
                return True
            if not hasattr(value, attr):
                return False
            value = attribute(value, attr)
        return isinstance(value, _ARRAYS)

    def is_method(self, func):
        """Whether ``a.b.f`` is a method of a local value (or of an outside array, ``G.clip``) rather than
        a module's function."""
        node = func
        while isinstance(node, gast.Attribute):
            node = node.value
        return not isinstance(node, gast.Name) or node.id in self.locals or self.reaches_outside_array(func.value)

    def resolve_callee(self, func):
        """The object a call's function expression names, without binding it in generated code."""
        chain = []
        node = func
        while isinstance(node, gast.Attribute):
            chain.append(node.attr)
            node = node.value
        found, value = self.parsed.lookup(node.id)
        if not found:
            raise self.error(f"the name {node.id} is not defined", func, _UNDEFINED_HINT)
        for attr in reversed(chain):
            if not hasattr(value, attr):
                raise self.error(f"{node.id} has no attribute {attr}", func, "check the spelling")
            value = attribute(value, attr)      # (recorded: cfg.LAM may be rebound, see freshness.py)
        return value

    def opaque(self, expr):
        """An expression kept whole (it is never differentiated): only its names are resolved."""
        self.check_expression(expr)
        normalizer = self

        class Rewrite(gast.NodeTransformer):
            def visit_Name(self, node):
                return normalizer.load(node)

            def visit_Attribute(self, node):
                external = normalizer.try_external(node)
                return external if external is not None else self.generic_visit(node)

        return Rewrite().visit(_copy(expr))

    # ------------------------------------------------------------------ calls
    def call(self, expr):
        for kw in expr.keywords:
            if kw.arg is None:
                raise self.error("keyword unpacking (**kwargs) in a call is not supported", expr,
                                 "pass the keyword arguments by name")
        func = expr.func
        if isinstance(func, gast.Attribute) and self.is_method(func):
            return self.method_call(expr)
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return self.inline_local(self.local_functions[func.id], expr)
        if isinstance(func, gast.Name) and func.id in self.locals:
            raise self.error(f"cannot tell which function the local name {func.id} refers to", expr,
                             "call a module-level function by its name")
        if not isinstance(func, (gast.Name, gast.Attribute)):
            raise self.error("calling the result of an expression is not supported", expr,
                             "call a module-level function by its name")
        callee = self.resolve_callee(func)
        if any(callee is f for f in _READS_NAMES):
            raise self.error(f"{callee.__name__}() is not supported in a differentiated function: it reads "
                             f"variables by name, so s2sgrad cannot see what flows into it", expr,
                             "write the expression out in the function")
        hint = func.attr if isinstance(func, gast.Attribute) else func.id
        if self.is_user_function(callee) and idioms.match(callee, parse_function(callee)) is None:
            return self.inline(callee, expr)
        generated = getattr(callee, "__s2sgrad_primal__", None)
        if generated is not None:      # a derivative s2sgrad made (grad(f)): its generated code, inlined
            return self.inline(generated, expr)
        home = self.home(func.id) if isinstance(func, gast.Name) else None
        ref = self.external_value(callee, hint, home)
        if callee is builtins.abs:
            callee, ref = np.abs, self.externals.numpy("abs")
        if callee in (builtins.max, builtins.min) and not expr.keywords and not any(
                isinstance(a, gast.Starred) for a in expr.args):
            if len(expr.args) > 2:         # max(a, b, c) is max(max(a, b), c)
                inner = gast.Call(func=_copy(func), args=expr.args[:2], keywords=[])
                copy_origin(inner, expr)
                return self.call(copy_origin(gast.Call(func=_copy(func), args=[inner] + expr.args[2:],
                                                       keywords=[]), expr))
            if len(expr.args) == 2:        # max(a, b) of two numbers is np.maximum(a, b): it then has a rule
                callee = np.maximum if callee is builtins.max else np.minimum
            elif len(expr.args) == 1:      # max(xs) of numbers is np.max(xs)
                callee = np.max if callee is builtins.max else np.min
            ref = self.externals.numpy(callee.__name__)
        lists = _list_arguments(callee, len(expr.args)) | _constant_sublists(callee, expr.args)
        args = [self.display(a) if i in lists else self.atom(a) for i, a in enumerate(expr.args)]
        keywords = [gast.keyword(arg=k.arg, value=self.display(k.value) if k.arg in lists else self.atom(k.value))
                    for k in expr.keywords]
        return self.make_call(ref, callee, args, keywords, expr)

    def concatenation(self, display):
        """``(*a, 2)`` as ``tuple(a) + (2,)``, ``[*a, b]`` as ``list(a) + [b]``: no starred item left."""
        kind, convert = (gast.Tuple, builtins.tuple) if isinstance(display, gast.Tuple) else (gast.List, builtins.list)
        parts, run = [], []
        for e in display.elts + [None]:
            if (e is None or isinstance(e, gast.Starred)) and run:
                parts.append(self.assign_temp(kind(elts=[self.atom(r) for r in run], ctx=gast.Load()), display))
                run = []
            if isinstance(e, gast.Starred):
                call = self.make_call(self.external_value(convert, convert.__name__), convert, [self.atom(e.value)],
                                      [], e)
                parts.append(self.assign_temp(call, e))
            elif e is not None:
                run.append(e)
        total = parts[0]
        for part in parts[1:-1]:
            total = self.assign_temp(gast.BinOp(left=total, op=gast.Add(), right=part), display)
        return gast.BinOp(left=total, op=gast.Add(), right=parts[-1]) if len(parts) > 1 else total

    def display(self, expr):
        """A list or tuple of arrays passed to a rule that differentiates each (``np.stack([a, b])``):
        kept as a display of atoms, so the rule sees the elements."""
        if isinstance(expr, (gast.List, gast.Tuple)):
            return type(expr)(elts=[self.atom(e) for e in expr.elts], ctx=gast.Load())
        return self.atom(expr)

    def make_call(self, ref, callee, args, keywords, like):
        call = gast.Call(func=ref, args=args, keywords=keywords)
        call.callee = callee
        call.written = like            # the user's expression, for messages (see mutation.py)
        copy_origin(call, like)
        return call

    def is_user_function(self, obj):
        return (isinstance(obj, types.FunctionType) and lookup(obj) is None
                and not is_nondifferentiable(obj)
                and not getattr(obj, "__module__", "").startswith(("numpy", "scipy", "s2sgrad")))

    def method_call(self, expr):
        method = expr.func.attr
        receiver = self.atom(expr.func.value)
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value)) for k in expr.keywords]
        args = [self.atom(expr.args[0].value)] if _packs_starred(expr) else [self.atom(a) for a in expr.args]
        if method in ARRAY_METHODS and method not in KEPT_METHODS:
            function, style = ARRAY_METHODS[method]
            if style == "packed" and len(args) > 1:
                args = [gast.Tuple(elts=args, ctx=gast.Load())]
            elif style == "bounds":
                args, keywords = _bounds(args, keywords)
            ref = self.externals.reference(function, method)
            call = self.make_call(ref, function, [receiver] + args, keywords, expr)
            if method in COPYING_METHODS:      # x.flatten() is a copy where np.ravel(x) may be a view
                call = self.make_call(self.externals.reference(np.copy, "copy"), np.copy,
                                      [self.assign_temp(call, expr)], [], expr)
            call.array_method = method     # a.conj() may return a itself, np.conj(a) a new array: see aliasing.py
            return call
        call = gast.Call(func=gast.Attribute(value=receiver, attr=method, ctx=gast.Load()),
                         args=args, keywords=keywords)
        call.method = method
        call.written = expr
        copy_origin(call, expr)
        return call

    def inline(self, callee, expr):
        if callee in self.stack:
            return self.recursive_call(callee, expr)
        parsed = parse_function(callee)
        check_signature(parsed)
        parsed.node.body = single_exit(parsed.node.body, self.namer, parsed.origin, parsed.node_counts)
        parsed.node.body = _loops_for_comprehensions(parsed, self.namer)
        child = FunctionNormalizer(parsed, self.namer, self.externals, self.stack + (callee,))
        child.current_origin = parsed.origin
        return self.inlined(child, parsed, expr)

    def inlined(self, child, parsed, expr):
        """The call ``expr`` of ``parsed`` (a helper), its body normalized by ``child`` into this body;
        returns what it returns."""
        bound = self.bind_arguments(parsed, expr)
        assigned = parsed.local_names() - {a.id for a in parsed.node.args.args} | _names_stored(parsed.node)
        for param, value in bound.items():
            if param in assigned or not is_atom(value):
                fresh = self.namer.fresh(param)
                self.emit(assign(fresh, value), expr)
                child.renames[param] = name(fresh)
            else:
                child.renames[param] = value
            child.defined.add(param)
        self.out.extend(child.block(parsed.node.body, top=True))
        if child.returned is None:
            return const(None)
        return child.returned

    local_functions = {}     # name -> FunctionDef of the helpers defined in the function (local_functions.py)
    definer = None           # inlining a local helper: the normalizer of the function that defines it

    def inline_local(self, definition, expr):
        """A call of a helper defined in the function itself: inlined, the names it reads from the
        function bound to their values now (when Python's closure would read them). A helper may call
        another; each reads the defining function's names, never its caller's."""
        if definition in self.stack:
            raise self.error(f"the local function {definition.name} calls itself", expr,
                             "define it at module level, where a recursive helper is supported")
        definer = self.definer or self
        parsed = ParsedFunction(self.parsed.func, _copy(definition), self.parsed.filename, self.parsed.closure)
        parsed.name, parsed.defaults = definition.name, ()
        check_signature(parsed)
        parsed.node.body = single_exit(parsed.node.body, self.namer, parsed.origin)
        parsed.node.body = _loops_for_comprehensions(parsed, self.namer)
        child = FunctionNormalizer(parsed, self.namer, self.externals, self.stack + (definition,))
        child.current_origin = parsed.origin
        child.local_functions, child.definer = self.local_functions, definer
        for free in sorted(free_names(parsed.node) & definer.locals):
            child.renames[free] = definer.load(name(free))
            child.locals.add(free)
            child.defined.add(free)
        return self.inlined(child, parsed, expr)

    def recursive_call(self, callee, expr):
        """A call back into a function being inlined: kept as a call; its adjoint is a generated vjp.

        The reverse transformer differentiates the callee as a function of its
        own (see ``ReverseMode.reverse_user_call``), recursively.
        """
        args = [self.atom(a) for a in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value)) for k in expr.keywords]
        if keywords:
            raise self.error(f"pass the arguments of the recursive call to {callee.__name__} by position",
                             expr, f"{callee.__name__}(a, b), not {callee.__name__}(a, b=b)")
        ref = self.external_value(callee, callee.__name__, (callee.__module__, callee.__name__))
        call = self.make_call(ref, callee, args, [], expr)
        call.user_function = True
        return call

    def bind_arguments(self, parsed, expr):
        params = [a.id for a in parsed.node.args.args]
        defaults = parsed.defaults
        default_of = dict(zip(params[len(params) - len(defaults):], defaults))
        if len(expr.args) > len(params):
            raise self.error(f"{parsed.name} takes {len(params)} arguments but was given "
                             f"{len(expr.args)}", expr, f"its parameters are {', '.join(params)}")
        bound = {p: self.atom(a) for p, a in zip(params, expr.args)}
        for kw in expr.keywords:
            if kw.arg not in params or kw.arg in bound:
                raise self.error(f"{parsed.name} got an unexpected argument {kw.arg}=", expr,
                                 f"its parameters are {', '.join(params)}")
            bound[kw.arg] = self.atom(kw.value)
        for p in params:
            if p not in bound:
                if p not in default_of:
                    raise self.error(f"{parsed.name} is missing its argument {p}", expr,
                                     f"its parameters are {', '.join(params)}")
                bound[p] = self.external_value(default_of[p], p)
        return bound


def _over_keys(loop, namer):
    """``for k, v in d.items()`` as ``for k in d.keys(): v = d[k]`` (and ``d.values()`` so, with a key of
    its own): the keys carry no derivative, and each value is read as ``d[k]``, whose adjoint goes back
    to ``d``'s item. None for any other loop (``d.keys()`` is such a loop already)."""
    iterable = loop.iter
    if not (isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Attribute)
            and iterable.func.attr in ("items", "values") and not iterable.args and not iterable.keywords):
        return None
    if iterable.func.attr == "items":
        if not (isinstance(loop.target, gast.Tuple) and len(loop.target.elts) == 2):
            return None
        key, value = loop.target.elts
        if not isinstance(key, gast.Name):
            return None
    else:
        key, value = gast.Name(id=namer.fresh("key"), ctx=gast.Store(), annotation=None, type_comment=None), \
            loop.target
    container = iterable.func.value
    keys = gast.Call(func=gast.Attribute(value=container, attr="keys", ctx=gast.Load()), args=[], keywords=[])
    read = gast.Assign(targets=[value], value=gast.Subscript(
        value=_copy(container), slice=gast.Name(id=key.id, ctx=gast.Load(), annotation=None, type_comment=None),
        ctx=gast.Load()), type_comment=None)
    for node in (keys, keys.func, read, read.value):
        copy_origin(node, iterable)
    return copy_origin(gast.For(target=key, iter=keys, body=[read] + loop.body, orelse=[], type_comment=None), loop)


def _bounds(args, keywords):
    """``x.clip``'s bounds as ``np.clip`` takes them, both positional (a method may leave one out, or
    name it ``min=``/``max=``; ``np.clip`` before NumPy 2.1 needs both, by position)."""
    bounds = list(args) + [None] * (2 - len(args))
    rest = []
    for keyword in keywords:
        if keyword.arg in ("min", "max"):
            bounds[keyword.arg == "max"] = keyword.value
        else:
            rest.append(keyword)
    return [const(None) if b is None else b for b in bounds], rest


def _packs_starred(call):
    """``x.reshape(*shape)``: a method that takes its shape or axes as varargs, given them all starred."""
    return (isinstance(call.func, gast.Attribute) and ARRAY_METHODS.get(call.func.attr, (None, None))[1] == "packed"
            and len(call.args) == 1 and isinstance(call.args[0], gast.Starred) and not call.keywords)


def _list_arguments(callee, npositional):
    """Positions and keywords of ``callee``'s arguments that its rule takes as lists of arrays."""
    rule = lookup(callee)
    if rule is None or not rule.sequences:
        return set()
    positional = rule.params[:rule.params.index(rule.varargs)] if rule.varargs else rule.params
    found = {i for i, p in enumerate(positional[:npositional]) if p in rule.sequences}
    return found | (set(rule.sequences) - {rule.varargs})


def _constant_sublists(callee, args):
    """Positions among a rule's ``*args`` holding a list display of constants, kept as a display so that the
    rule reads its values (the sublists of ``np.einsum(a, [0, 1], b, [1, 2])``)."""
    rule = lookup(callee)
    if rule is None or not rule.varargs:
        return set()
    start = rule.params.index(rule.varargs)
    return {i for i, a in enumerate(args) if i >= start and isinstance(a, (gast.List, gast.Tuple))
            and all(isinstance(e, gast.Constant) for e in a.elts)}


def _names_assigned_in_compound(body):
    names = set()
    for stmt in body:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            for node in walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    names.add(node.id)
    return names


def _names_stored(func_node):
    return {n.id for n in walk(func_node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _flattened(target, value):
    """A nested unpacking of displays as one flat one, the same assignment: ``(p, q), r = (x, y), z`` is
    ``p, q, r = x, y, z`` (every value is computed before any name is bound, either way)."""
    targets, values = [], []
    for t, v in zip(target.elts, value.elts):
        if isinstance(t, (gast.Tuple, gast.List)) and isinstance(v, (gast.Tuple, gast.List)) \
                and len(t.elts) == len(v.elts) and not any(isinstance(e, gast.Starred) for e in t.elts + v.elts):
            inner_targets, inner_values = _flattened(t, v)
            targets.extend(inner_targets.elts)
            values.extend(inner_values.elts)
        else:
            targets.append(t)
            values.append(v)
    return (gast.Tuple(elts=targets, ctx=gast.Store()), gast.Tuple(elts=values, ctx=gast.Load()))


def _overlaps(target, value):
    stored = {e.id for e in walk(target) if isinstance(e, gast.Name)}
    loaded = {e.id for e in walk(value) if isinstance(e, gast.Name)}
    return bool(stored & loaded)


def _attribute_chain(expr):
    """``(root, attributes)`` of ``cfg.W.T``: the node under the attributes (``cfg``) and their names, last
    first (``["T", "W"]``)."""
    chain = []
    while isinstance(expr, gast.Attribute):
        chain.append(expr.attr)
        expr = expr.value
    return expr, chain
