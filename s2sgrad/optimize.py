"""Cleanup passes: from one-operation-per-line to code a person would write.

Normalization and the rules leave many single-use temporaries, a seed
``dnll = 1.0`` and copies such as ``dZ = dt4``. These passes fold them:

* constant propagation of generated names (the seed ``1.0`` folds into its uses);
* copy propagation, keeping the more readable of the two names;
* dead-code elimination (adjoints nobody reads, primal values only the
  adjoint needed but that the wrt arguments do not);
* forward substitution of single-use temporaries into their one use.

The passes only rearrange the straight-line statements of the function body;
a loop or branch is a barrier that reads and writes every name inside it.
Every pass preserves the values computed exactly (no reassociation).
"""

import contextlib

import gast

from .astutil import names_in, substitute
from .simplify import simplify

_ENABLED = [True]


@contextlib.contextmanager
def disabled():
    """Generate without the cleanup passes while inside this block.

    The differential tests compare each derivative with its unoptimized self:
    the passes must never change a value, and this is how that is checked.
    """
    _ENABLED.append(False)
    try:
        yield
    finally:
        _ENABLED.pop()


def optimize(fn, namer, generated, shapes=None, numpy_alias="np"):
    """Clean up a generated function in place; ``generated`` holds the adjoint names."""
    if not _ENABLED[-1]:
        return fn
    Cleanup(fn, namer, generated).run()
    simplify(fn, shapes, numpy_alias)
    Cleanup(fn, namer, generated).run()
    return fn


class Cleanup:
    def __init__(self, fn, namer, generated):
        self.fn = fn
        self.namer = namer
        self.generated = set(generated) | set(namer.temps)
        self.params = {a.id for a in fn.args.args} | {a.id for a in fn.args.kwonlyargs}

    def run(self):
        for _ in range(20):
            changed = self.propagate_constants()
            changed |= self.propagate_copies()
            changed |= self.eliminate_dead_code()
            changed |= self.inline_single_use()
            changed |= self.propagate_block_copies()
            if not changed:
                break

    # ------------------------------------------------------------- counting
    def counts(self):
        defs, uses = {}, {}
        for node in gast.walk(self.fn):
            if isinstance(node, gast.Name):
                table = uses if isinstance(node.ctx, gast.Load) else defs
                table[node.id] = table.get(node.id, 0) + 1
        return defs, uses

    def rank(self, name_):
        """Readability rank: the user's names first, then adjoints of them, then temporaries."""
        if name_ in self.namer.temps:
            return 2
        if name_ in self.generated:
            return 1
        return 0

    @staticmethod
    def simple_assign(stmt):
        return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name))

    def replace_loads(self, old, new):
        self.fn.body = [substitute(s, {old: new}) for s in self.fn.body]

    # --------------------------------------------------------------- passes
    def propagate_constants(self):
        defs, _ = self.counts()
        for stmt in self.fn.body:
            if self.simple_assign(stmt) and isinstance(stmt.value, gast.Constant):
                target = stmt.targets[0].id
                if target in self.generated and defs.get(target) == 1 and target not in self.params:
                    self.fn.body.remove(stmt)
                    self.replace_loads(target, stmt.value)
                    simplify(self.fn)
                    return True
        return False

    def propagate_copies(self):
        defs, _ = self.counts()
        for stmt in self.fn.body:
            if not (self.simple_assign(stmt) and isinstance(stmt.value, gast.Name)
                    and not getattr(stmt.value, "external", False)):
                continue
            a, b = stmt.targets[0].id, stmt.value.id
            if defs.get(a, 0) > 1 and self.rename_first_definition(stmt, a, b, defs):
                return True
            if defs.get(a) != 1 or defs.get(b, 0) + (b in self.params) != 1:
                continue
            if self.rank(b) > self.rank(a) and b not in self.params:
                self.fn.body.remove(stmt)            # rename b to a: `t4 = ...; Z = t4` -> `Z = ...`
                self.fn.body = [substitute(s, {b: gast.Name(id=a, ctx=gast.Load(), annotation=None,
                                                              type_comment=None)}) for s in self.fn.body]
                return True
            if a in self.generated and a not in self.params:
                self.fn.body.remove(stmt)            # drop a: `dZ_1 = dZ` -> uses read dZ
                self.replace_loads(a, stmt.value)
                return True
        return False

    def rename_first_definition(self, copy, a, b, defs):
        """``dt8 = e; ...; dU = dt8; ...; dU = dU + c``: write ``dU = e`` and read ``dU`` until then."""
        body = self.fn.body
        if self.rank(b) <= self.rank(a) or defs.get(b) != 1 or b in self.params:
            return False
        i = body.index(copy)
        k = next((j for j in range(i) if b in names_in(body[j], gast.Store)), None)
        if k is None or not self.simple_assign(body[k]):
            return False
        if any(a in names_in(body[j]) for j in range(i)):
            return False                      # the copy must be a's first appearance
        m = next((j for j in range(i + 1, len(body)) if a in names_in(body[j], gast.Store)), len(body))
        if any(b in names_in(body[j], gast.Load) for j in range(m, len(body))):
            return False
        rename = {b: gast.Name(id=a, ctx=gast.Load(), annotation=None, type_comment=None)}
        for j in range(k, m):
            if j != i:
                body[j] = substitute(body[j], rename)
        del body[i]
        return True

    def eliminate_dead_code(self):
        """Drop assignments nobody reads, in every block (flow-insensitively: a read anywhere keeps one)."""
        blocks = self.blocks()
        simple = [s for block in blocks for s in block if not isinstance(s, (gast.If, gast.For, gast.While))]
        headers = [s for block in blocks for s in block if isinstance(s, (gast.If, gast.For, gast.While))]
        live = set()
        for stmt in headers:
            live |= names_in(stmt.test if not isinstance(stmt, gast.For) else stmt.iter, gast.Load)
            if isinstance(stmt, gast.For):
                live |= names_in(stmt.target, gast.Store)
        keep = set()
        changed = True
        while changed:
            changed = False
            for stmt in simple:
                if id(stmt) not in keep and self.needed(stmt, live):
                    keep.add(id(stmt))
                    live |= names_in(stmt, gast.Load)
                    changed = True
        removed = False
        for block in blocks:
            kept = [s for s in block if id(s) in keep or isinstance(s, (gast.If, gast.For, gast.While))]
            if len(kept) != len(block):
                removed = True
                block[:] = kept or [gast.Pass()]
        return removed

    def needed(self, stmt, live):
        if self.simple_assign(stmt):
            return stmt.targets[0].id in live
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript):
                return isinstance(target.value, gast.Name) and target.value.id in live
            return bool(names_in(target, gast.Store) & live)
        if isinstance(stmt, gast.Expr) and _is_add_at(stmt):
            return stmt.value.args[0].id in live
        return True   # returns, calls with effects, loops and branches

    def blocks(self):
        """Every statement list of the function: its body, and the bodies of its loops and branches."""
        found = []

        def visit(block):
            found.append(block)
            for stmt in block:
                for field in ("body", "orelse"):
                    inner = getattr(stmt, field, None)
                    if inner and isinstance(stmt, (gast.If, gast.For, gast.While)):
                        visit(inner)

        visit(self.fn.body)
        return found

    def inline_single_use(self):
        """``t = e`` then one use of ``t`` later in the same block: write ``e`` there instead."""
        defs, uses = self.counts()
        for body in self.blocks():
            for i, stmt in enumerate(body):
                if not self.simple_assign(stmt):
                    continue
                t = stmt.targets[0].id
                if t not in self.namer.temps or defs.get(t) != 1 or uses.get(t) != 1:
                    continue
                read = names_in(stmt.value, gast.Load)
                for j in range(i + 1, len(body)):
                    later = body[j]
                    if t in names_in(later, gast.Load):
                        if isinstance(later, (gast.If, gast.For, gast.While)) or _stores_into(later, t):
                            break
                        body[j] = substitute(later, {t: stmt.value})
                        del body[i]
                        return True
                    if (names_in(later, gast.Store) | _subscript_bases(later)) & read:
                        break
        return False

    def propagate_block_copies(self):
        """``dt4 = dt6`` inside a loop or branch: later uses in that block read ``dt6`` directly."""
        defs, _ = self.counts()
        for body in self.blocks():
            if body is self.fn.body:
                continue                          # the top level has propagate_copies
            for i, stmt in enumerate(body):
                if not (self.simple_assign(stmt) and isinstance(stmt.value, gast.Name)
                        and not getattr(stmt.value, "external", False)):
                    continue
                a, b = stmt.targets[0].id, stmt.value.id
                if defs.get(a) != 1 or a not in self.generated or a in self.params:
                    continue
                users = [j for j in range(i + 1, len(body)) if a in names_in(body[j], gast.Load)]
                total = sum(1 for n in gast.walk(self.fn) if isinstance(n, gast.Name) and n.id == a
                            and isinstance(n.ctx, gast.Load))
                found = sum(1 for j in users for n in gast.walk(body[j]) if isinstance(n, gast.Name)
                            and n.id == a and isinstance(n.ctx, gast.Load))
                if not users or found != total:
                    continue
                if any(b in names_in(body[j], gast.Store) for j in range(i + 1, users[-1])):
                    continue
                for j in users:
                    body[j] = substitute(body[j], {a: stmt.value})
                del body[i]
                return True
        return False


def _is_add_at(stmt):
    call = stmt.value
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and call.func.attr == "at"
            and call.args and isinstance(call.args[0], gast.Name))


def _subscript_bases(stmt):
    bases = set()
    for node in gast.walk(stmt):
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and isinstance(node.value, gast.Name):
            bases.add(node.value.id)
    if isinstance(stmt, gast.Expr) and _is_add_at(stmt):
        bases.add(stmt.value.args[0].id)
    return bases


def _stores_into(stmt, name_):
    return name_ in _subscript_bases(stmt)
