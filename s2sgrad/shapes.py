"""What is known about the shapes of values when the derivative is generated.

Readable, fast derivative code depends on shapes: ``dZ = dU @ W.T`` is right
when ``W`` is a matrix, and ``dU = dt * Y`` needs no reduction when ``U`` and
``Y`` have the same shape. s2sgrad therefore specializes a derivative to the
shapes of the arguments it is called with (see :mod:`s2sgrad.api`), and learns
the shape of every intermediate by running the normalized primal once on those
arguments (:func:`probe`).

A shape learned that way is trusted only where it cannot change for other data
of the same argument shapes: every assignment of the name ran, all gave the
same shape, and neither the operation (``np.nonzero``, a boolean mask) nor any
of its operands has a data-dependent shape. Everything else stays unknown, and
the generated code handles it generically.

Without arguments (:func:`static_facts`) only scalars are known: constants and
values such as ``x.shape[0]`` or ``len(x)``.
"""

import ast
import builtins
import numbers

import gast
import numpy as np

from .activity import operand_names
from .astutil import name_nodes, names_in, walk, walk_statements
from .complex_values import holds_complex, may_make_complex, value_may_be_complex
from .containers import containers_by_use
from .simplify import maybe_numbers

DATA_DEPENDENT_SHAPES = {id(f) for f in (np.nonzero, np.flatnonzero, np.argwhere, np.unique,
                                         np.extract, np.compress, np.trim_zeros)}
_INT_RESULTS = {id(f) for f in (builtins.len, builtins.int, np.argmax, np.argmin, np.size, np.ndim)}


CONTAINER_KINDS = {list: "list", tuple: "tuple", dict: "dict"}


class Facts:
    """Known shapes (``name -> tuple``), names holding Python integers, and containers' kinds.

    ``kinds`` maps names that hold Python lists, tuples or dicts to ``"list"``,
    ``"tuple"`` or ``"dict"``: their adjoints are containers of adjoints.
    """

    def __init__(self, shapes=None, integers=None, kinds=None, numpy_only=False, numbers=(), python_numbers=(),
                 narrow_floats=(), complex_=(), real=(), real_arguments=()):
        self.shapes = dict(shapes or {})
        self.integers = set(integers or ())
        self.kinds = dict(kinds or {})
        self.numpy_only = numpy_only   # every array seen was NumPy's (so adding in place is safe)
        self.numbers = set(numbers)    # names that only ever held numbers (y += v makes a new one)
        self.python_numbers = set(python_numbers)   # names that held a Python float or int (no .shape) somewhere
        self.narrow_floats = set(narrow_floats)     # parameters holding NumPy arrays of float32 (or float16)
        self.complex = set(complex_)   # names that held a complex value, or may where the probe did not go
        self.real = set(real)          # names the probe saw hold only real values, on every path
        self.real_arguments = set(real_arguments)   # parameters whose argument is real (the name may not stay so)

    def shape(self, name_):
        return self.shapes.get(name_)

    def is_scalar(self, atom):
        if isinstance(atom, gast.Constant):
            return True
        if getattr(atom, "external", False):
            return isinstance(getattr(atom, "value_of", None), numbers.Number)
        if isinstance(atom, gast.Name):
            return self.shapes.get(atom.id) == ()
        return False

    def key(self):
        return tuple(sorted(self.shapes.items())), tuple(sorted(self.integers))


def container_facts(program):
    """Facts of the containers alone, which hold for any arguments: those the code makes, and those it
    reads as only a container can be read (see :mod:`s2sgrad.containers`). What telling a list's ``+``
    from an array's, and so finding each call's rule, needs."""
    made = program_kinds(program)
    return Facts(kinds=program_kinds(program, containers_by_use(program.node, made)))


def static_facts(program):
    """Facts that hold for any arguments: the containers, scalars made from shapes, sizes and counters,
    and the names assigned a Python number somewhere (``Z = 0.5``: such a name has no ``.shape``)."""
    facts = container_facts(program)
    statements = list(walk_statements(program.node.body))
    for node in statements:
        if isinstance(node, gast.For) and isinstance(node.target, gast.Name) \
                and isinstance(node.iter, gast.Call) and getattr(node.iter, "callee", None) is builtins.range:
            facts.integers.add(node.target.id)
            facts.shapes[node.target.id] = ()
    assignments = {}
    for node in name_nodes(program.node):
        if isinstance(node.ctx, (gast.Store, gast.Param)):
            assignments[node.id] = assignments.get(node.id, 0) + 1
    changed = True
    while changed:
        changed = False
        for node in statements:
            if not (isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name)):
                continue
            target = node.targets[0].id
            if target in facts.integers:
                continue
            if _is_integer_expression(node.value, facts) and assignments[target] == 1:
                facts.integers.add(target)
                facts.shapes[target] = ()
                changed = True
    facts.python_numbers = maybe_numbers(statements)
    return facts


def program_kinds(program, known=None):
    """:func:`static_kinds` of a program's function, worked out once for each ``known`` (the early
    check, the probe and the aliasing check all ask it of the same tree); a copy, to add to."""
    key = ("kinds", tuple(sorted((known or {}).items())))
    kinds = program.analyses.get(key)
    if kinds is None:
        kinds = program.analyses[key] = static_kinds(program.node, known)
    return dict(kinds)


def static_kinds(func, known=None):
    """Containers recognizable from the code alone: list, tuple and dict displays, list receivers, and
    what operations on lists make of them (``hs + [h]``, ``hs[1:]``, ``list(hs)``), given ``known`` kinds."""
    from .rules.sequences import SEQUENCE_KINDS, kind_of_result
    kinds = dict(known or {})
    changed = True
    while changed:
        changed = False
        kind_of = lambda atom: kinds.get(atom.id) if isinstance(atom, gast.Name) else None
        for node in walk_statements(func.body):
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                value = node.value
                kind = {gast.List: "list", gast.Tuple: "tuple", gast.Dict: "dict"}.get(type(value))
                if isinstance(value, gast.Call) and not value.args \
                        and getattr(value, "callee", None) in (builtins.list, builtins.tuple, builtins.dict):
                    kind = value.callee.__name__               # list(), or dict(a=x)
                elif isinstance(value, gast.Call) and getattr(value, "callee", None) is builtins.dict:
                    kind = "dict"
                elif isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Slice) \
                        and kind_of(value.value) in SEQUENCE_KINDS:
                    kind = kind_of(value.value)          # hs[1:] is a list again
                elif kind is None:
                    kind = kind_of_result(value, kind_of)
                target = node.targets[0].id
            elif isinstance(node, gast.Call) and getattr(node, "method", None) == "append" \
                    and isinstance(node.func.value, gast.Name):
                kind, target = "list", node.func.value.id
            else:
                continue
            if kind and target not in kinds:
                kinds[target] = kind
                changed = True
    return kinds


def _is_integer_expression(rhs, facts):
    if isinstance(rhs, gast.Constant):
        return type(rhs.value) is int
    if isinstance(rhs, gast.Name):
        return rhs.id in facts.integers
    if isinstance(rhs, gast.Attribute):
        return rhs.attr in ("size", "ndim")
    if isinstance(rhs, gast.Subscript):
        value = rhs.value
        return isinstance(value, gast.Attribute) and value.attr == "shape"
    if isinstance(rhs, gast.Call):
        return id(getattr(rhs, "callee", None)) in _INT_RESULTS and id(rhs.callee) not in (id(np.argmax), id(np.argmin))
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)):
        return all(_is_integer_expression(o, facts) for o in (rhs.left, rhs.right))
    return False


def shape_of(value):
    """The shape of an array or number, or None for anything else (lists, dicts, None)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Number):
        return ()
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and hasattr(value, "ndim") and all(isinstance(n, int) for n in shape):
        return shape
    return None


def argument_shapes(params, args):
    """Shapes of the arguments, by parameter name; the specialization key of a derivative."""
    return tuple(shape_of(a) for a in args)


def probe(program, args):
    """Run the normalized primal on ``args``, recording the shape of every assigned value.

    Returns :class:`Facts` holding only the shapes that cannot change for other
    data of the same argument shapes.
    """
    sites = []
    recorder = _Recorder()
    instrumented = _instrument(program.node, sites, recorder.deferred)
    from .codegen import compile_module  # late import: codegen imports nothing of ours but errors
    namespace = program.externals.namespace()
    namespace["__s2sgrad_record__"] = recorder
    namespace["__s2sgrad_record_locals__"] = recorder.record_locals
    namespace["__s2sgrad_locals__"] = builtins.locals     # (under a name of ours: the user may have a `locals`)
    fn = compile_module(ast.Module(body=[instrumented], type_ignores=[]), namespace, "probe")[instrumented.name]
    try:
        fn(*private_copies(args))
    finally:
        namespace.clear()     # the probe's globals hold the probe: free both now, not at the next collection

    params = [a.id for a in program.node.args.args]
    observed = {}
    for p, a in zip(params, args):
        observed.setdefault(p, []).append(shape_of(a))
    integers = {p for p, a in zip(params, args) if isinstance(a, int) and not isinstance(a, bool)}
    for site, (target, rhs) in enumerate(sites):
        values = recorder.seen.get(site)
        if values is None:        # this assignment never ran: its shapes are unknowable
            observed.setdefault(target, []).append(None)
            continue
        observed.setdefault(target, []).extend(values)
        if all(isinstance(v, int) for v in recorder.ints.get(site, [])) and recorder.ints.get(site) \
                and len(recorder.ints[site]) == len(values):
            integers.add(target)

    shapes = {}
    for target, seen in observed.items():
        if seen and seen[0] is not None and all(s == seen[0] for s in seen):
            shapes[target] = seen[0]
    # an outside array the code reads (a module's C) keeps its shape while the derivative lives: rebinding it
    # compiles afresh (see freshness), so its shape is as fixed by the call as an argument's
    for bound, obj in program.externals.bound.items():
        if isinstance(obj, np.ndarray) and bound not in observed:
            shapes[bound] = obj.shape
    _infer_elementwise(sites, shapes, observed)
    # A data-dependent shape, and every shape computed from one, is unknown. So is a shape that differs
    # between paths: a name assigned where the probe did not go (an untaken branch), or with shapes that
    # changed as it ran; what is computed from it may have another shape on another path.
    unrun = {target for site, (target, _) in enumerate(sites) if site not in recorder.seen}
    varying = {t for t, seen in observed.items() if t not in shapes
               and (t in unrun or len({s for s in seen if s is not None}) > 1)}
    kinds = program_kinds(program, {p: CONTAINER_KINDS[type(a)] for p, a in zip(params, args)
                                    if type(a) in CONTAINER_KINDS})
    for site, (target, _) in enumerate(sites):
        seen = recorder.kinds.get(site)
        if seen and len(set(seen)) == 1 and seen[0] in CONTAINER_KINDS:
            kinds.setdefault(target, CONTAINER_KINDS[seen[0]])
    # an array of integers indexes by its shape, not its values (x[np.arange(N), y]: N values of x); a boolean
    # mask, or anything else, selects by its values
    indexes = {p: isinstance(a, np.ndarray) and a.dtype.kind in "iu" for p, a in zip(params, args)}
    for site, (target, _) in enumerate(sites):
        seen = recorder.index_arrays.get(site)
        indexes[target] = indexes.get(target, True) and bool(seen) and all(seen)
    fixed_selection = integers | {n for n, only in indexes.items() if only}
    tainted = set()
    flows = [(target, rhs, operand_names(rhs)) for target, rhs in sites + _container_writes(program.node, kinds)]
    changed = True
    while changed:
        changed = False
        for target, rhs, operands in flows:
            if target in tainted:
                continue
            if not (operands.isdisjoint(tainted) and operands.isdisjoint(varying)) \
                    or _data_dependent(rhs, shapes, fixed_selection):
                tainted.add(target)
                changed = True
    for t in tainted:
        shapes.pop(t, None)
    integers -= tainted
    held_numbers = {p: _is_number(a) for p, a in zip(params, args)}
    for site, (target, _) in enumerate(sites):     # a site that never ran may hold anything
        seen = recorder.numbers.get(site)
        held_numbers[target] = held_numbers.get(target, True) and bool(seen) and all(seen)
    numbers_ = {n for n, only in held_numbers.items() if only}
    # a copy holds a number only if what it copies does on every path (t = dW, under a branch the probe did
    # not take, makes t the array dW itself, and t /= v then writes into dW)
    copies = [(target, rhs.id) for target, rhs in sites
              if isinstance(rhs, gast.Name) and not getattr(rhs, "external", False)]
    changed = True
    while changed:
        changed = False
        for target, source in copies:
            if target in numbers_ and source not in numbers_:
                numbers_.discard(target)
                changed = True
    numpy_only = recorder.numpy_only and all(isinstance(a, (np.ndarray, np.generic, numbers.Number, list, tuple, dict))
                                             or a is None for a in args)
    python_numbers = {p for p, a in zip(params, args) if type(a) in _PYTHON_NUMBERS} | {
        target for site, (target, _) in enumerate(sites) if site in recorder.python_numbers}
    if python_numbers:     # and what may hold one where the probe did not go (dx if c else -a)
        python_numbers = maybe_numbers(walk_statements(program.node.body), python_numbers)
    narrow_floats = {p for p, a in zip(params, args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                     and a.dtype.itemsize < 8}
    complex_, real = _complex_names(program, params, args, sites, recorder)
    return Facts(shapes, {i for i in integers if shapes.get(i) == ()}, kinds, numpy_only, numbers_, python_numbers,
                 narrow_floats, complex_, real, {p for p, a in zip(params, args) if not holds_complex(a)})


def _complex_names(program, params, args, sites, recorder):
    """``(complex, real)``: the names that may hold a complex value, and those that hold only real ones.

    A name assigned where the probe did not go may be complex there if the
    function can make complex values at all (see docs/complex.md).
    """
    complex_ = {p for p, a in zip(params, args) if holds_complex(a)}
    complex_ |= {target for site, (target, _) in enumerate(sites) if site in recorder.complex}
    unrun = [(target, rhs) for site, (target, rhs) in enumerate(sites) if site not in recorder.seen]
    grown = bool(unrun) and bool(complex_ or may_make_complex(program.node))
    while grown:    # an unrun assignment of what may be complex (x = z * 2 there, not x = np.expm1(y))
        grown = False
        for target, rhs in unrun:
            if target not in complex_ and value_may_be_complex(rhs, complex_):
                complex_.add(target)
                grown = True
    real = (set(params) | {target for target, _ in sites}) - complex_
    return complex_, real


def private_copies(args):
    """``args`` with every NumPy array copied, in lists, tuples and dicts too, for running the user's function
    on them: one that writes into its argument (``x[0] = ...``, ``x *= 2``) must not change the caller's
    arrays, nor learn from values it changed itself. An array passed twice is copied once (it stays one)."""
    memo = {}

    def copied(value):
        kind = type(value)
        if kind is np.ndarray or kind in CONTAINER_KINDS:
            found = memo.get(id(value))
            if found is None:
                found = memo[id(value)] = value.copy() if kind is np.ndarray else \
                    {k: copied(v) for k, v in value.items()} if kind is dict else kind(copied(v) for v in value)
            return found
        return value
    return tuple(copied(a) for a in args)


def _container_writes(func, kinds):
    """``(container, what goes in)`` for each value put into a list or dict in place (``xs.append(v)``,
    ``xs[i] = v``): a value of varying shape put there makes ``np.stack(xs)`` vary too."""
    writes = []
    for stmt in walk_statements(func.body):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) \
                and isinstance(stmt.value.func, gast.Attribute) and isinstance(stmt.value.func.value, gast.Name) \
                and stmt.value.func.attr in ("append", "extend", "insert"):
            writes.append((stmt.value.func.value.id, stmt.value))
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript) \
                and isinstance(stmt.targets[0].value, gast.Name) and kinds.get(stmt.targets[0].value.id) in ("list", "dict"):
            writes.append((stmt.targets[0].value.id, stmt.value))
    return writes


def _infer_elementwise(sites, shapes, observed):
    """Shapes of elementwise results the probe did not reach (a branch not taken): their operands'."""
    from .rules import lookup
    from .rules.python import BINARY_OPERATORS, UNARY_OPERATORS
    counts = {}
    for target, _ in sites:
        counts[target] = counts.get(target, 0) + 1
    changed = True
    while changed:
        changed = False
        for target, rhs in sites:
            if target in shapes or counts[target] != 1 or any(s is not None for s in observed.get(target, [])):
                continue
            if isinstance(rhs, gast.BinOp):
                func, operands = BINARY_OPERATORS.get(type(rhs.op)), [rhs.left, rhs.right]
            elif isinstance(rhs, gast.UnaryOp):
                func, operands = UNARY_OPERATORS.get(type(rhs.op)), [rhs.operand]
            elif isinstance(rhs, gast.Call) and not rhs.keywords:
                func, operands = getattr(rhs, "callee", None), list(rhs.args)
            else:
                continue
            rule = lookup(func) if func is not None else None
            if rule is None or not rule.broadcasts:
                continue
            operand_shapes = [() if isinstance(o, gast.Constant) else shapes.get(o.id) if isinstance(o, gast.Name)
                              else None for o in operands]
            if any(s is None for s in operand_shapes):
                continue
            try:
                shapes[target] = tuple(np.broadcast_shapes(*operand_shapes))
                changed = True
            except ValueError:
                pass


def _data_dependent(rhs, shapes, fixed_selection):
    """Whether the shape of ``rhs`` depends on values, not only shapes; ``fixed_selection``: the names
    whose values index by shape (integers, arrays of integers)."""
    if isinstance(rhs, gast.Call) and id(getattr(rhs, "callee", None)) in DATA_DEPENDENT_SHAPES:
        return True
    if isinstance(rhs, gast.Subscript):
        parts = rhs.slice.elts if isinstance(rhs.slice, gast.Tuple) else [rhs.slice]
        for part in parts:
            for n in walk(part):
                if isinstance(n, gast.Name) and n.id not in fixed_selection:
                    return True      # a boolean mask, or an unknown value
    return False


def _is_number(value):
    """A Python or NumPy scalar: immutable, so ``y += v`` on it makes a new value."""
    return isinstance(value, (numbers.Number, np.generic))


_PYTHON_NUMBERS = (int, float, complex)


class _Recorder:
    def __init__(self):
        self.seen = {}
        self.ints = {}
        self.kinds = {}
        self.numbers = {}
        self.python_numbers = set()
        self.index_arrays = {}    # site -> for each value, whether it was an array of integers (an index)
        self.deferred = []        # (site, name) recorded from the probe's locals as it returns
        self.complex = set()      # sites that held a complex value

    numpy_only = True

    def record_locals(self, values):
        """Record the sites of names bound once, outside loops and branches, from their final values:
        one call instead of one per statement (a function's names are mostly such, and the calls were
        half of the probe's code to compile). A later write into such an array keeps its shape."""
        for site, name_ in self.deferred:
            if name_ in values:
                self(site, values[name_])

    def __call__(self, site, value):
        if type(value) is np.ndarray:       # most values: what the general case below finds, found at once
            self.seen.setdefault(site, []).append(value.shape)
            self.numbers.setdefault(site, []).append(False)
            self.index_arrays.setdefault(site, []).append(value.dtype.kind in "iu")
            if value.dtype.kind == "c":
                self.complex.add(site)
            return value
        if holds_complex(value):
            self.complex.add(site)
        self.seen.setdefault(site, []).append(shape_of(value))
        self.index_arrays.setdefault(site, []).append(False)
        if hasattr(value, "shape") and not isinstance(value, (np.ndarray, np.generic)):
            self.numpy_only = False      # CuPy, Dask: their own in-place rules
        if type(value) in CONTAINER_KINDS:
            self.kinds.setdefault(site, []).append(type(value))
        self.numbers.setdefault(site, []).append(_is_number(value))
        if type(value) in _PYTHON_NUMBERS:
            self.python_numbers.add(site)
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            self.ints.setdefault(site, []).append(int(value))
        return value


def _instrument(func, sites, deferred):
    """``func`` as a Python ``ast`` tree that reports each assigned name's value to ``__s2sgrad_record__``.

    The conversion to ``ast`` (which compiling needs) makes the copy, so the
    recording calls go into it directly; ``sites`` gets ``(name, value
    expression)`` for each, the expression from ``func`` itself. A name bound
    once, at the top level, is recorded as the function returns instead
    (``deferred`` gets its site), from its locals.
    """
    from .codegen import to_ast
    tree = to_ast(func)
    tree.name = "__s2sgrad_probe__"
    bound = {}
    for node in name_nodes(func):
        if not isinstance(node.ctx, gast.Load):
            bound[node.id] = bound.get(node.id, 0) + 1
    once = {n for n, count in bound.items() if count == 1}
    body = _instrumented(func.body, tree.body, sites, deferred, once)
    if deferred:
        at = len(body) - 1 if body and isinstance(body[-1], ast.Return) else len(body)
        call = ast.Call(func=ast.Name(id="__s2sgrad_record_locals__", ctx=_LOAD), keywords=[],
                        args=[ast.Call(func=ast.Name(id="__s2sgrad_locals__", ctx=_LOAD), args=[], keywords=[])])
        body.insert(at, _located(ast.Expr(value=call), body[at] if at < len(body) else body[-1]))
    tree.body = body
    return tree


def _instrumented(body, compiled, sites, deferred=None, once=()):
    """``compiled`` (the ``ast`` of ``body``, statement for statement) with the recording calls; at the
    top level (``deferred`` given), names bound ``once`` are left to the call as the probe returns."""
    out = []
    for stmt, copy in zip(body, compiled):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], (gast.Name, gast.Tuple)):
            target = stmt.targets[0]
            out.append(copy)
            for t in [target.id] if type(target) is gast.Name else sorted(names_in(target, gast.Store)):
                if deferred is not None and t in once:
                    deferred.append((len(sites), t))
                    sites.append((t, stmt.value))
                else:
                    out.append(_record(t, stmt.value, sites, copy))
            continue
        if isinstance(stmt, gast.For):
            copy.body = [_record(t, stmt.iter, sites, copy) for t in sorted(names_in(stmt.target, gast.Store))] \
                + _instrumented(stmt.body, copy.body, sites)
        elif isinstance(stmt, gast.While):
            copy.body = _instrumented(stmt.body, copy.body, sites)
        elif isinstance(stmt, gast.If):
            copy.body = _instrumented(stmt.body, copy.body, sites)
            copy.orelse = _instrumented(stmt.orelse, copy.orelse, sites)
        out.append(copy)
    return out


def _record(target, rhs, sites, at):
    """``__s2sgrad_record__(site, target)`` at the place of ``at``, the site remembered in ``sites``."""
    site = len(sites)
    sites.append((target, rhs))
    call = ast.Call(func=ast.Name(id="__s2sgrad_record__", ctx=_LOAD), args=[ast.Constant(value=site),
                                                                            ast.Name(id=target, ctx=_LOAD)],
                    keywords=[])
    return _located(ast.Expr(value=call), at)


def _located(stmt, at):
    """``stmt`` (a recording call) with every node at the place of ``at``."""
    for node in ast.walk(stmt):
        if "lineno" in node._attributes:      # (not the shared Load context)
            node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = \
                at.lineno, at.col_offset, at.end_lineno, at.end_col_offset
    return stmt


_LOAD = ast.Load()
