"""Aliasing: a write into memory that another live value also holds.

The derivative transformers read a normalized function as a chain of values:
each statement makes one value from others, and ``x[i] = v`` changes ``x``
alone. NumPy lets names share memory, so a write through one name can change
what another one holds::

    z = y[0]          # a view: z is y's first row
    z[1] = 1.0        # changes y[0, 1] too
    y += 1.0          # in place on an array: every name for it sees the change

The derivative would treat ``z`` as a copy, and ``y += 1.0`` as a new value
``y_1 = y + 1.0``: right for the name written, silently wrong for the other
name. This pass finds every write (``x[i] = v``, ``+=`` and friends, and the
calls :mod:`s2sgrad.mutation` lists: ``xs.append``, ``np.add.at``, ``out=``...)
into memory that another name may share, and
raises :class:`GradError` when that other name is read later. Detection is
conservative (may-alias, may-be-read): it can reject code that does not
actually share memory, never miss code that does. Where nothing else reads the
shared memory after the write, the derivative is right and the code is
accepted (``y = x.reshape(-1); y[0] = 0.0`` with ``x`` not read again).

Memory is tracked as abstract objects: each parameter, and each statement that
makes a new value (the object it made most recently, and all older ones, apart,
so that ``h = np.zeros(n); h[0] = v; hs.append(h)`` in a loop is not taken to
write into the rows appended on earlier passes).
"""

import builtins
import re

import gast
import numpy as np

from .astutil import names_in, walk_statements
from .errors import GradError, origin_of
from .mutation import writes
from .shapes import program_kinds

# NumPy functions whose result may share memory with an argument (a view, or the argument itself)
_VIEW_FUNCTION_NAMES = (
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "rollaxis", "squeeze", "expand_dims",
    "broadcast_to", "broadcast_arrays", "atleast_1d", "atleast_2d", "atleast_3d", "diagonal", "diag",
    "flip", "fliplr", "flipud", "rot90", "real", "imag", "split", "array_split", "hsplit", "vsplit",
    "dsplit", "unstack", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "require",
    "asarray_chkfinite", "matrix_transpose", "permute_dims", "einsum", "meshgrid", "nan_to_num",
    "real_if_close", "trim_zeros", "asmatrix", "ndarray")
VIEW_FUNCTIONS = {id(f) for f in (getattr(np, n, None) for n in _VIEW_FUNCTION_NAMES) if f is not None}
VIEW_FUNCTIONS |= {id(np.lib.stride_tricks.as_strided), id(np.lib.stride_tricks.sliding_window_view),
                   id(np.linalg.matrix_power)}      # matrix_power(a, 1) is a itself
# mapped array methods (rules/methods.py) that may share memory with the array where their NumPy
# function does not: a.conj() of a real array is a itself, np.conj(a) a new array. (The other mappings keep
# the method's copy-or-view, and a method kept as a method call may be a view: see makes_new.)
VIEW_METHODS = frozenset({"conj"})
# builtins whose result is a new value holding nothing of the arguments' memory
_FRESH_BUILTINS = {id(f) for f in (builtins.len, builtins.float, builtins.int, builtins.bool, builtins.complex,
                                   builtins.str, builtins.range, builtins.isinstance, builtins.print,
                                   builtins.round, builtins.abs)}
# methods by which a container keeps references to their arguments
_STORING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault"})
_VIEW_ATTRIBUTES = frozenset({"T", "mT", "real", "imag", "flat", "base"})


class SharedMemoryError(GradError):
    """A write into memory another live name may share. Whether ``y += 1`` writes into shared memory
    depends on ``y`` holding an array rather than a number, which a shape-generic derivative cannot
    know: it is decided again for each specialization, on what the shape probe saw."""


_OPERATOR_SIGNS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.FloorDiv: "//", gast.Mod: "%",
                   gast.Pow: "**", gast.MatMult: "@", gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^",
                   gast.LShift: "<<", gast.RShift: ">>"}


def check_aliasing(program, kinds=None, immutable=()):
    """Raise :class:`GradError` at the first write into memory another live name may share.

    ``kinds`` maps names known to hold lists, tuples or dicts to their kind (a
    write into them stores references); ``immutable`` names known to hold
    numbers only (``+=`` on them makes a new value).
    """
    func = program.node
    kinds = dict(program_kinds(program), **(kinds or {}))
    _Aliases(func, kinds, set(immutable), program.namer).run()


class _Aliases:
    """Forward may-alias analysis: for each name, the abstract objects whose memory it may reach."""

    def __init__(self, func, kinds, immutable, namer):
        self.func = func
        self.kinds = kinds
        self.immutable = immutable
        self._live_after = None   # what is read after each statement: asked only where memory is written
        self.namer = namer
        self.checking = False
        self.loops = 0           # how deep in loops: only there can a statement's older objects exist

    def run(self):
        if any(isinstance(stmt, (gast.For, gast.While)) for stmt in walk_statements(self.func.body)):
            state = {p.id: frozenset({("param", p.id)}) for p in self.func.args.args}
            self.checking = False
            self.block(self.func.body, state)     # a first pass settles the loops' states
        self.checking = True
        self.block(self.func.body, {p.id: frozenset({("param", p.id)}) for p in self.func.args.args})

    # ------------------------------------------------------------ dataflow
    # A state maps names to the objects they may reach. A block updates its state in place (straight-line
    # code is most of a long function: copying per statement would be quadratic); a branch or a loop
    # works on copies.
    def block(self, stmts, state):
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state):
        if isinstance(stmt, gast.Assign):
            return self.assign(stmt, state)
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            return self.call_statement(stmt.value, stmt, state)
        if isinstance(stmt, gast.If):
            return _join(self.block(stmt.body, dict(state)), self.block(stmt.orelse, dict(state)))
        if isinstance(stmt, (gast.For, gast.While)):
            self.loops += 1
            entry = dict(state)
            while True:        # the states reachable at the top of a pass, to a fixpoint
                top = dict(entry)
                if isinstance(stmt, gast.For):
                    for n in names_in(stmt.target, gast.Store):
                        top[n] = self.shares(stmt.iter, state)
                end = self.block(stmt.body, top)
                joined = _join(entry, end)
                if joined == entry:
                    break
                entry = joined
            self.loops -= 1
            return entry
        return state

    def assign(self, stmt, state):
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            base = target.value.id
            self.written(base, stmt, state, "writing into {}", of_container=bool(self.kinds.get(base)))
            if self.kinds.get(base):         # a container keeps a reference to the value stored
                state[base] = state.get(base, frozenset()) | _as_items(self.shares(value, state))
            return state
        if isinstance(value, gast.Call):          # z = np.sin(x, out=y) writes into y too
            self.call_statement(value, stmt, state)
        inplace = getattr(value, "inplace", None)
        if inplace is not None and inplace not in self.immutable:
            op = _OPERATOR_SIGNS.get(type(value.op), "+") if isinstance(value, gast.BinOp) else "+"
            self.written(inplace, stmt, state, "changing {0} in place ({0} " + op + "= ... on an array)")
            roots = state.get(inplace, frozenset())
        else:
            roots = self.shares(value, state)
            if isinstance(value, (gast.List, gast.Dict)):
                roots = _as_items(roots)       # a new list holds its items; changing it changes none of them
            if self.makes_new(value):
                if self.loops:
                    _age(state, stmt)
                roots = roots | {("new", id(stmt))}
        for n in names_in(target, gast.Store):
            state[n] = roots
        return state

    def call_statement(self, call, stmt, state):
        method = getattr(call, "method", None)
        for write in writes(call):         # y.fill(0.0), np.copyto(y, x), np.sin(x, out=y), xs.append(v)
            if write.name is not None:
                self.written(write.name, stmt, state, f"changing {{}} in place ({write.what})",
                             of_container=bool(self.kinds.get(write.name)) and method is not None)
        receiver = call.func.value if isinstance(call.func, gast.Attribute) else None
        if method in _STORING_METHODS and isinstance(receiver, gast.Name):
            state[receiver.id] = state.get(receiver.id, frozenset()).union(
                *(_as_items(self.shares(a, state)) for a in call.args))
        return state

    def shares(self, value, state):
        """The abstract objects ``value``'s result may reach of its operands' memory."""
        def of(node):
            return state.get(node.id, frozenset()) if isinstance(node, gast.Name) \
                and not getattr(node, "external", False) else frozenset()

        if isinstance(value, gast.Name):
            return of(value)
        if isinstance(value, gast.IfExp):         # (a shape-generic rule's choice of expression)
            return self.shares(value.body, state) | self.shares(value.orelse, state)
        if isinstance(value, gast.Subscript):     # a view, an element, or an item of a container
            return of(value.value)
        if isinstance(value, gast.Attribute):
            return of(value.value) if value.attr in _VIEW_ATTRIBUTES else frozenset()
        if isinstance(value, (gast.Tuple, gast.List)):
            return frozenset().union(*(self.shares(e, state) for e in value.elts))
        if isinstance(value, gast.Dict):
            return frozenset().union(*(self.shares(v, state) for v in value.values))
        if isinstance(value, gast.BinOp):         # xs + ys of lists holds their items
            operands = [o for o in (value.left, value.right) if isinstance(o, gast.Name)]
            return frozenset().union(*(of(o) for o in operands if self.kinds.get(o.id)))
        if isinstance(value, gast.Call):
            outs = [kw.value for kw in value.keywords if kw.arg == "out"]
            if self.makes_new(value) and not outs:
                return frozenset()
            # every argument: one may itself be a view (np.ravel(np.asarray(b)), once the cleanup folded
            # t1 = np.asarray(b) into its one use)
            operands = list(value.args) + [kw.value for kw in value.keywords] + \
                ([value.func.value] if isinstance(value.func, gast.Attribute) and not
                 getattr(value.func, "external", False) else [])
            return frozenset().union(*(self.shares(o, state) for o in operands))
        return frozenset()

    @staticmethod
    def makes_new(value):
        """Whether ``value`` certainly makes a new object (sharing no argument's memory)."""
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant, gast.BoolOp,
                              gast.JoinedStr)):
            return True
        if isinstance(value, (gast.Tuple, gast.List, gast.Dict)):
            return True                           # a new container (its items are shared: see shares)
        if isinstance(value, gast.Call):
            if any(kw.arg == "out" for kw in value.keywords):
                return False
            callee = getattr(value, "callee", None)
            method = getattr(value, "method", None)
            if getattr(value, "array_method", None) in VIEW_METHODS:
                return False
            if method is not None:
                return method in ("copy", "tolist", "item", "keys", "values", "items")   # astype(copy=False)
            if getattr(value, "user_function", False) or callee is None:
                return False
            if getattr(builtins, getattr(callee, "__name__", ""), None) is callee:
                return id(callee) in _FRESH_BUILTINS     # max(xs), list(xs), zip(a, b): the items themselves
            if id(callee) in VIEW_FUNCTIONS or any(kw.arg == "copy" for kw in value.keywords):
                return False              # np.array(a, copy=False) is a itself
            module = getattr(callee, "__module__", None) or ""
            return isinstance(callee, np.ufunc) or module.startswith(("numpy", "scipy"))
        return False

    # -------------------------------------------------------------- checks
    def written(self, target, stmt, state, how, of_container=False):
        """Refuse the write if another name read later may reach the memory it changes. A change to a
        container itself (``xs.append(v)``, ``xs[i] = v`` on a list) changes the list, not its items:
        only names that may hold that list see it."""
        if not self.checking:
            return
        roots = state.get(target, frozenset())
        roots = frozenset(r for r in roots if r[0] != "item") if of_container else _flat(roots)
        if not roots:
            return
        if self._live_after is None:
            self._live_after = _Liveness(self.func.body).live_after
        live = self._live_after.get(id(stmt), set())
        if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0], gast.Subscript):
            live = live - names_in(stmt.targets[0], gast.Store)    # their old values are replaced here
        others = sorted(n for n, r in state.items() if n != target and _flat(r) & roots and n in live)
        if not others:
            return
        other = self.namer.spoken(next((n for n in others if not self.namer.is_temp(n)), others[0]),
                                  "another array")
        shown = self.namer.spoken(target, "the array")
        augmented = re.search(r"\{0\} (\S+)= \.\.\. on an array", how)      # y += ..., y *= ...
        hint = (f"write {shown} = {shown} {augmented.group(1)} ... (a new array), or " if augmented else "") + \
            (f"give {shown} memory of its own first ({shown} = {shown}.copy()), or write into the original array "
             f"(y[0, 1] = v, not z = y[0]; z[1] = v)")
        raise SharedMemoryError(
            f"{how.format(shown)} is not supported here: {shown} may share memory with {other} (one a view of "
            f"the other such as z = y[0], the same array under two names, or an array kept in a list), and "
            f"{other} is read afterwards; the derivative would take them for separate arrays",
            origin_of(stmt), hint)


def shared_operands(value):
    """The names whose memory the result of ``value`` may share (``b`` for ``b[1:]``, ``b.T``, ``np.reshape(b, s)``,
    ``b``); empty for an expression that makes a new array. For the cleanup passes, which must not move a
    read of ``t1 = b[1:]`` past a write into ``b``."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant, gast.BoolOp)) or (
            isinstance(value, gast.Call) and _Aliases.makes_new(value)):
        return set()       # most values, found new at a glance (this runs on every generated statement)
    everything = {n: frozenset({n}) for n in names_in(value, gast.Load)}
    return {root for root in _Aliases(None, {}, set(), None).shares(value, everything)}


def sharing_groups(stmts):
    """For each name assigned in ``stmts`` (nested blocks too), the names that may share its memory
    (``t1 = b[1:]``: b and t1), itself included: a write into one changes what the others read."""
    groups = {}
    for node in walk_statements(stmts):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
            shared = shared_operands(node.value)
            if shared:
                group = {node.targets[0].id} | shared
                for n in list(group):
                    group |= groups.get(n, set())
                for n in group:
                    groups[n] = group
    return groups


def _age(state, stmt):
    """A statement in a loop makes a new object: the one it made before becomes one of its older ones."""
    new, old = ("new", id(stmt)), ("old", id(stmt))
    for n, r in state.items():
        if new in _flat(r):
            state[n] = frozenset(_aged(root, new, old) for root in r)


def _aged(root, new, old):
    if root == new:
        return old
    return ("item", _aged(root[1], new, old)) if root[0] == "item" else root


def _as_items(roots):
    """The objects a container reaches through the values it holds (an item of it, or of one of them)."""
    return frozenset(("item", r) for r in roots)


def _flat(roots):
    """The objects themselves, whether reached directly or as items of a container."""
    if not any(r[0] == "item" for r in roots):
        return roots
    out = set()
    for r in roots:
        while r[0] == "item":
            r = r[1]
        out.add(r)
    return frozenset(out)


def _join(a, b):
    out = dict(a)
    for n, r in b.items():
        out[n] = out.get(n, frozenset()) | r
    return out


# ------------------------------------------------------------------ liveness
class _Liveness:
    """For each statement (by id), the names that may be read after it (loops conservatively)."""

    def __init__(self, body):
        self.live_after = {}
        self.block(body, set(), set())

    def block(self, stmts, live, loop):
        for stmt in reversed(stmts):
            live = self.statement(stmt, live, loop)
        return live

    def statement(self, stmt, live, loop):
        if isinstance(stmt, (gast.Break, gast.Continue)):
            live = set(loop)           # what is live after the loop, or at the top of its next pass
        self.live_after[id(stmt)] = self.live_after.get(id(stmt), set()) | set(live)
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            killed = names_in(target, gast.Store) if isinstance(target, (gast.Name, gast.Tuple)) else set()
            return (set(live) - killed) | names_in(stmt.value, gast.Load) | names_in(target, gast.Load)
        if isinstance(stmt, gast.If):
            return names_in(stmt.test, gast.Load) | self.block(stmt.body, live, loop) \
                | self.block(stmt.orelse, live, loop)
        if isinstance(stmt, (gast.For, gast.While)):
            header = names_in(stmt.iter if isinstance(stmt, gast.For) else stmt.test, gast.Load)
            top = set(live) | header
            while True:
                inner = set(live) | top
                start = self.block(stmt.body, inner, inner)
                new = top | start
                if new == top:
                    break
                top = new
            return top
        return set(live) | names_in(stmt, gast.Load)
