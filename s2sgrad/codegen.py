"""From a generated syntax tree to Python source, and to a live function.

Source is produced with astor. Compiled code is registered in :mod:`linecache`
under a ``<s2sgrad ...>`` file name, so tracebacks through a gradient show
its generated lines and :func:`inspect.getsource` finds them.
"""

import ast
import inspect
import math
import re
import itertools
import linecache
import warnings
import weakref

import astor
from astor.code_gen import Precedence, set_precedence
from astor.string_repr import pretty_string
import gast

from . import runtime
from .errors import debugging
from .printing import Unprinted, statement_text

_counter = itertools.count()


def _same_shaped_classes():
    """gast node classes whose ``ast`` namesake has the same fields holding the same kinds of values."""
    special = {"Name", "arguments", "ExceptHandler", "alias", "FunctionDef", "AsyncFunctionDef", "ClassDef"}
    found = {}
    for class_name in dir(gast):
        cls = getattr(gast, class_name)
        twin = getattr(ast, class_name, None)
        if isinstance(cls, type) and issubclass(cls, gast.AST) and isinstance(twin, type) \
                and issubclass(twin, ast.AST) and class_name not in special and cls._fields == twin._fields:
            found[cls] = twin
    return found


_SAME_SHAPED = _same_shaped_classes()
# nodes that carry nothing (contexts, operators) are shared, one of each class, as CPython's parser shares them
_SHARED = {cls: twin() for cls, twin in _SAME_SHAPED.items()
           if issubclass(cls, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop))}
_LOAD = _SHARED[gast.Load]


def to_ast(node, where=(1, 0, 1, 0)):
    """The ``ast`` tree of a gast tree, every statement and expression located (at its parent's
    place where it has none, as :func:`ast.fix_missing_locations` would): what compiling a tree
    (the shape probe) needs.

    ``gast.gast_to_ast`` does this through a generic visitor, for a tenth of a
    second per thousand lines; here the common nodes are built directly (names,
    contexts and operators without a call of their own), and only the few whose
    ``ast`` form differs (a function's signature, say) go through gast.
    """
    if type(node) is list:
        return [to_ast(n, where) for n in node]
    if not isinstance(node, gast.AST):
        return node
    cls = type(node)
    fields = node.__dict__
    if fields.get("lineno") is not None:
        where = (fields["lineno"], fields.get("col_offset"), fields.get("end_lineno"), fields.get("end_col_offset"))
    twin = _SAME_SHAPED.get(cls)
    if cls in _SHARED:
        return _SHARED[cls]
    if twin is not None:
        new = twin.__new__(twin)
        attrs = new.__dict__
        for field in cls._fields:
            value = fields.get(field)
            kind = type(value)
            if kind is list:
                attrs[field] = [to_ast(v, where) for v in value]
            elif kind in _SHARED:
                attrs[field] = _SHARED[kind]
            elif kind is gast.Name and type(value.ctx) is gast.Load:
                leaf = attrs[field] = _NAME.__new__(_NAME)      # (the commonest node: built here, no call)
                leaf.__dict__.update(id=value.id, ctx=_LOAD)
                own = value.__dict__
                leaf.lineno, leaf.col_offset, leaf.end_lineno, leaf.end_col_offset = where \
                    if own.get("lineno") is None else (own["lineno"], own.get("col_offset"),
                                                       own.get("end_lineno"), own.get("end_col_offset"))
            elif isinstance(value, gast.AST):
                attrs[field] = to_ast(value, where)
            else:
                attrs[field] = value
    elif cls is gast.Name and not isinstance(node.ctx, gast.Param):
        new = _NAME.__new__(_NAME)
        new.__dict__.update(id=node.id, ctx=_SHARED[type(node.ctx)])
    elif cls is gast.FunctionDef:      # its signature through gast, its body here
        body = node.body
        node.body = []
        try:
            new = ast.fix_missing_locations(gast.gast_to_ast(node))
        finally:
            node.body = body
        new.body = to_ast(body, where)
    else:
        new = ast.fix_missing_locations(gast.gast_to_ast(node))
    if "lineno" in new._attributes and getattr(new, "lineno", None) is None:
        new.lineno, new.col_offset, new.end_lineno, new.end_col_offset = where
    return new


_NAME = ast.Name


def to_source(node, numpy_alias="np"):
    """Python source text for a gast module, function or statement, printed by astor.

    Lines are not re-wrapped: astor's wrapping breaks expressions at odd places,
    and one long line reads better than a broken one.
    """
    generator = _GENERATORS.get(numpy_alias)
    if generator is None:
        generator = _GENERATORS[numpy_alias] = type("SourceGenerator", (_GastSourceGenerator,),
                                                    {"numpy_alias": numpy_alias})
    return printed_by(generator, node)


def printed_by(generator_class, node):
    """What ``astor.to_source(node, pretty_source="".join, source_generator_class=generator_class)``
    returns. astor 0.8.0's ``to_source`` refuses every class given as ``source_generator_class`` (it
    tests ``isinstance`` where it means ``issubclass``; 0.8.1 fixed it), so the generator is driven here."""
    printer = generator_class(" " * 4, False, pretty_string)
    printer.visit(node)
    printer.result.append("\n")
    if set(printer.result[0]) == {"\n"}:
        printer.result[0] = ""
    return "".join(printer.result)


class _GastSourceGenerator(astor.code_gen.SourceGenerator):
    """astor's printer, reading gast trees as they are.

    astor dispatches on class names, which gast's nodes share with ``ast``'s, so
    converting a whole tree to ``ast`` first (a third of the printing time) is
    needed only where astor tests a node's class: a power's operands, ``elif``
    and f-strings, here (its operator tables learn gast's classes in
    :mod:`s2sgrad.printing`, which prints the common statements itself). A float
    that is not finite is spelled ``np.inf`` / ``np.nan`` (astor writes 1e1000).
    """

    numpy_alias = "np"

    def _fast(self, node, slow):
        """Print a common statement directly (:mod:`s2sgrad.printing`), any other through astor."""
        try:
            text = statement_text(node)
        except Unprinted:
            return slow(node)
        self.newline(node)
        self.write(text)

    def visit_Assign(self, node):
        self._fast(node, super().visit_Assign)

    def visit_AugAssign(self, node):
        self._fast(node, super().visit_AugAssign)

    def visit_Return(self, node):
        self._fast(node, super().visit_Return)

    def visit_Expr(self, node):
        self._fast(node, super().visit_Expr)

    def visit_BinOp(self, node):
        if type(node.op) is not gast.Pow:
            return super().visit_BinOp(node)
        with self.delimit(node, node.op):          # right-associative: the left operand binds tighter
            set_precedence(Precedence.Pow + 1, node.left)
            set_precedence(Precedence.PowRHS, node.right)
            self.write(node.left, " ** ", node.right)

    def visit_If(self, node):
        set_precedence(node, node.test)
        self.statement(node, "if ", node.test, ":")
        self.body(node.body)
        while len(node.orelse) == 1 and type(node.orelse[0]) is gast.If:
            node = node.orelse[0]
            set_precedence(node, node.test)
            self.write(self.newline, "elif ", node.test, ":")
            self.body(node.body)
        self.else_body(node.orelse)

    def visit_JoinedStr(self, node):
        converted = to_ast(node)
        converted._pp = self.get__pp(node)
        super().visit_JoinedStr(converted)

    def visit_Constant(self, node):
        value = node.value
        if type(value) is not float or math.isfinite(value):
            return super().visit_Constant(node)
        spelled = gast.Attribute(value=gast.Name(id=self.numpy_alias, ctx=gast.Load(), annotation=None,
                                                 type_comment=None),
                                 attr="nan" if math.isnan(value) else "inf", ctx=gast.Load())
        if value < 0:
            spelled = gast.UnaryOp(op=gast.USub(), operand=spelled)
        spelled._pp = self.get__pp(node)
        self.visit(spelled)


_GENERATORS = {}      # numpy alias -> its generator class


def helper_names(externals):
    """The runtime helpers (``unbroadcast``) a generated module refers to, by their bound names."""
    helpers = {id(f): f for f in runtime.HELPERS.values()}
    return {bound: obj for bound, obj in externals.bound.items() if id(obj) in helpers}


def module_source(fn, externals):
    """The generated module's body: the helpers it uses (as source), then the function."""
    parts = []
    helpers = helper_names(externals)
    for _, companion_externals in getattr(fn, "companions", ()):   # what generated vjps of helpers use
        helpers.update(helper_names(companion_externals))
    for bound, helper in sorted(helpers.items()):
        text = inspect.getsource(helper).replace(f"def {helper.__name__}(", f"def {bound}(", 1)
        if externals.np != "np":   # the user's code names something np: the helpers spell NumPy as it does
            text = re.sub(r"\bnp\.", externals.np + ".", text)
        parts.append(text)
    for companion, _ in getattr(fn, "companions", ()):     # generated vjps of recursive helpers
        parts.append(to_source(companion, externals.np))
    parts.append(to_source(fn, externals.np))
    return "\n\n".join(p.rstrip() + "\n" for p in parts)


def exec_source(source, namespace, tag, name):
    """Execute generated source in ``namespace`` under a linecache-registered file name, and
    return the function it defines under ``name``.

    The registration lasts as long as that function (and the namespace, its
    globals, with whatever else the source defined): a program that makes
    gradients of fresh closures in a loop must not collect their sources forever.
    """
    filename = f"<s2sgrad {tag} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(_compiled_quietly(source, filename), namespace)
    function = namespace[name]
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function


def _compiled_quietly(source, filename):
    """``compile(source)`` without CPython's SyntaxWarnings, which would name a ``<s2sgrad ...>`` line
    the user never wrote.

    They come from the compiler's look at constants: ``(1.0)[0]`` ("'float'
    object is not subscriptable; perhaps you missed a comma?"), ``x is 1.0``. The
    second is the user's own expression, copied over (Python warned of it where
    the user's module was compiled); the first was a seed unpacked as a tuple,
    now refused before any code is made (:mod:`s2sgrad.outputs`), and would fail
    where it runs in any case. With ``S2SGRAD_DEBUG=1`` they show.
    """
    if debugging():
        return compile(source, filename, "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(source, filename, "exec")


def compile_module(tree, namespace, tag):
    """Compile an ``ast`` module of internal instrumented code (the shape probe) and return its namespace.

    Nobody reads this code, so it is compiled from the tree, without printing it as source.
    """
    exec(compile(tree, f"<s2sgrad {tag} #{next(_counter)}>", "exec"), namespace)
    return namespace


def standalone_module(fn_source, externals, description):
    """A complete module to write to disk: docstring, imports, helpers and the function."""
    lines = [f'"""{description}\n\nGenerated by s2sgrad. It needs only NumPy{", SciPy" if externals.uses_scipy else ""}'
             f' and the modules it imports below."""\n',
             f"import numpy as {externals.np}" if externals.np != "numpy" else "import numpy"]
    for modname in sorted(externals.uses_scipy):
        lines.append(f"import {modname}")
    helpers = helper_names(externals)
    imports = {}
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", fn_source))
    for bound, (module, attr) in sorted(externals.origins.items()):
        if bound in helpers or bound not in used:
            continue
        imports.setdefault(module, []).append((attr, bound))
    problems = [attr for module, items in imports.items() if module in (None, "__main__") for attr, _ in items]
    for module, items in sorted((m, i) for m, i in imports.items() if m not in (None, "__main__")):
        names = ", ".join(attr if attr == bound else f"{attr} as {bound}" for attr, bound in items)
        lines.append(f"from {module} import {names}")
    return "\n".join(lines) + "\n\n\n" + fn_source, problems
