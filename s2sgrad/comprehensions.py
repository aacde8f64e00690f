"""List comprehensions and generator expressions, written out as the loops they stand for.

``ys = [np.sin(v) * w for v in xs if v > 0]`` is, to the derivative, the loop

    ys = []
    for v_1 in xs:
        if v_1 > 0:
            ys.append(np.sin(v_1) * w)

which the rest of s2sgrad differentiates like any loop that fills a list
(``sum(v ** 2 for v in xs)`` becomes such a loop, then ``sum`` of the list).
This pass runs on the user's syntax before normalization, so that what follows
sees only statements it already knows.

A comprehension's variables are its own (Python 3 scopes them to it), so they
get fresh names: the loop must not change a variable of the function that
happens to share the name. The loop runs where the expression stood, before
its statement, so a comprehension that might not run at all is left alone (and
refused by normalization, as any unsupported expression is): one in a ``while``
condition (evaluated at every pass), in a branch of ``a if c else b``, after
``and``/``or``, or in a lambda.
"""

import gast

from .astutil import copy_origin, name, names_in, store, substitute, walk

COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp)


def desugar_comprehensions(body, namer):
    """``body`` with each list comprehension and generator expression written out as a loop."""
    if not any(type(node) in COMPREHENSIONS for stmt in body for node in walk(stmt)):
        return body                       # (most functions: nothing to do)
    out = []
    for stmt in body:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            stmt.body = desugar_comprehensions(stmt.body, namer)
            stmt.orelse = desugar_comprehensions(stmt.orelse, namer)
        hoist = _Hoist(namer, stmt, _assigned_name(stmt))
        if isinstance(stmt, (gast.If, gast.For)):
            field = "test" if isinstance(stmt, gast.If) else "iter"
            setattr(stmt, field, hoist.visit(getattr(stmt, field)))
        elif not isinstance(stmt, (gast.While, gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            stmt = hoist.visit(stmt)
        out.extend(hoist.loops)
        if not hoist.filled_target:           # (ys = [...] is now ys = []; for ...: ys.append(...))
            out.append(stmt)
    return out


def _assigned_name(stmt):
    """``ys`` in ``ys = [...]``: the list the loop may fill directly."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
            and isinstance(stmt.value, gast.ListComp) and stmt.targets[0].id not in names_in(stmt.value):
        return stmt.targets[0].id
    return None


class _Hoist(gast.NodeTransformer):
    """Replaces the comprehensions of one statement by the lists that loops before it fill."""

    def __init__(self, namer, stmt, assigned_to=None):
        self.namer = namer
        self.stmt = stmt
        self.loops = []
        self.assigned_to = assigned_to        # ys of ys = [...]: a list the loop may fill itself
        self.filled_target = False

    def visit_Lambda(self, node):
        return node                       # its body runs when the lambda is called, if ever

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)     # one branch runs: what is in them stays there
        return node

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])   # the rest may not run
        return node

    def visit_ListComp(self, node):
        return self.written_out(node)

    def visit_GeneratorExp(self, node):
        return self.written_out(node)

    def written_out(self, node):
        if any(gen.is_async for gen in node.generators):
            return node
        if self.assigned_to is not None and self.stmt.value is node:
            items = self.assigned_to              # ys = [...]: the loop fills ys itself
            self.filled_target = True
        else:
            items = self.namer.fresh("items")
        generators, element = self.renamed(node.generators, node.elt)
        append = gast.Expr(value=gast.Call(func=gast.Attribute(value=name(items), attr="append", ctx=gast.Load()),
                                           args=[element], keywords=[]))
        inner = [append]
        for gen in reversed(generators):
            for condition in reversed(gen.ifs):
                inner = [gast.If(test=condition, body=inner, orelse=[])]
            inner = [gast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[], type_comment=None)]
        stmts = [gast.Assign(targets=[store(items)], value=gast.List(elts=[], ctx=gast.Load()), type_comment=None)]
        stmts += inner
        for stmt in stmts:
            _locate(stmt, node)
        self.loops.extend(desugar_comprehensions(stmts, self.namer))   # comprehensions inside this one
        return name(items)

    def renamed(self, generators, element):
        """The generators and element with each generator's variables given fresh names (the first
        generator's iterable is read in the enclosing scope, the rest in the comprehension's)."""
        renames = {}
        out = []
        for gen in generators:
            iterable = substitute(gen.iter, renames) if renames else gen.iter
            for n in sorted(names_in(gen.target, gast.Store)):
                renames[n] = name(self.namer.fresh(n))
            out.append(gast.comprehension(target=substitute(gen.target, renames), iter=iterable,
                                          ifs=[substitute(c, renames) for c in gen.ifs], is_async=0))
        return out, substitute(element, renames)


def _locate(stmt, like):
    """Every statement of a written-out loop at the place of the comprehension, for messages."""
    for node in walk(stmt):
        if isinstance(node, gast.stmt):
            copy_origin(node, like)
