"""From a live Python function to a gast tree that knows where it came from.

We read the function's source with :func:`inspect.getsource` (this works for
module functions, nested functions and IPython/Jupyter cells, which register
their source in :mod:`linecache`), dedent it, parse it with gast, and stamp every
statement with the absolute ``file:line`` it came from so that errors point at
the user's code.
"""

import ast
import builtins
import inspect
import linecache
import textwrap
import types
import weakref

import gast

from .astutil import LOCATION_FIELDS, name_nodes, walk
from .errors import GradError, Origin
from .freshness import MISSING, note_cell, note_function, note_name
from .provenance import matches


class ParsedFunction:
    """A user function's syntax tree plus the environment its free names live in.

    It refers to the function itself only weakly: the parsed and normalized
    program is cached for as long as the function lives, and a strong reference
    from the cache entry back to its key would keep every function ever
    differentiated alive (a closure made per batch, and the arrays it holds).
    Only normalization, which runs while the caller holds the function, reads
    it (its globals); the name and the default values are kept by value.
    """

    def __init__(self, func, node, filename, closure=None, node_counts=None):
        self._func = weakref.ref(func)
        self.name = func.__name__
        self.defaults = func.__defaults__ or ()
        self.node = node
        self.filename = filename
        self.closure = closure if closure is not None else {}
        # how many nodes of each class the tree holds as written: normalization skips the work
        # (a walk of every expression) for constructs that do not occur
        self.node_counts = node_counts

    @property
    def func(self):
        return self._func()

    def may_hold(self, classes):
        """Whether the tree as written may hold a node of one of ``classes``."""
        return self.node_counts is None or any(cls in self.node_counts for cls in classes)

    @property
    def origin(self):
        return self.node.origin

    def lookup(self, name):
        """Resolve a free name as Python would: closure, then globals, then builtins.

        Returns ``(True, value)`` or ``(False, None)`` when the name is unbound.
        """
        func = self.func
        if name in self.closure:
            note_cell(_cell(func, name), self.closure[name])
            return True, self.closure[name]
        if name in func.__code__.co_freevars:       # a cell not yet filled: bound later, it would be read
            note_cell(_cell(func, name), MISSING)
        globals_ = func.__globals__
        if name in globals_:
            note_name(globals_, name, globals_[name])
            return True, globals_[name]
        note_name(globals_, name, MISSING)           # (a global of that name defined later would be read)
        if hasattr(builtins, name):
            return True, getattr(builtins, name)
        return False, None

    def local_names(self):
        """Every name the function binds: parameters and assignment targets."""
        names = {a.id for a in _all_params(self.node.args)}
        names.update(node.id for node in name_nodes(self.node) if isinstance(node.ctx, (gast.Store, gast.Del)))
        return names


def _cell(func, name):
    return func.__closure__[func.__code__.co_freevars.index(name)]


def _all_params(args):
    out = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _where(func):
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    return Origin(code.co_filename, code.co_firstlineno, func.__name__)


def parse_function(func):
    """Parse ``func`` into a :class:`ParsedFunction`, or raise :class:`GradError`."""
    func = inspect.unwrap(func, stop=lambda f: hasattr(f, "__s2sgrad_primal__"))
    func = getattr(func, "__s2sgrad_primal__", func)
    if isinstance(func, types.MethodType):
        raise GradError(f"cannot differentiate the bound method {func.__qualname__}",
                        _where(func.__func__),
                        "differentiate a plain function that takes the object's arrays as arguments")
    if not isinstance(func, types.FunctionType):
        raise GradError(f"cannot differentiate {func!r}: it is not a Python function with source code",
                        hint="s2sgrad reads a function's source; builtins and C functions have none. "
                             "To use one inside your function, register a rule with s2sgrad.defrule")
    note_function(func)
    where = _where(func)
    first_line = func.__code__.co_firstlineno
    filename = func.__code__.co_filename
    origins = _Origins(filename, first_line - 1, func.__name__)
    # the lines linecache holds may be those the code was compiled from, the file having changed since: they
    # are tried first, then the file as it is now
    node = _definition_at_a_glance(func, origins, refresh=False)
    if node is _STALE:
        origins = _Origins(filename, first_line - 1, func.__name__)     # (what the glance stamped is gone)
        node = _definition_at_a_glance(func, origins)
    if node is _STALE:
        raise _stale(func, where)
    if node is None:
        origins = _Origins(filename, first_line - 1, func.__name__)
        try:
            lines, _ = inspect.getsourcelines(func)
        except (OSError, TypeError) as exc:
            raise GradError(f"cannot find the source code of {func.__qualname__} ({exc})", where,
                            "define the function in a file or notebook cell; functions made by "
                            "eval/exec or typed at a bare interpreter prompt have no retrievable source") from None
        source = textwrap.dedent("".join(lines))
        if func.__name__ == "<lambda>":
            node = _lambda_node(source, func, where)
        else:
            try:
                tree = ast.parse(source)
            except SyntaxError as exc:
                raise GradError(f"cannot parse the source of {func.__qualname__}: {exc.msg}", where) from None
            if not matches(func, tree, source):
                raise _stale(func, where)
            node = _from_ast(tree).body[0] if tree.body else None
            if not isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)):
                raise GradError(f"cannot find the definition of {func.__qualname__} in its source", where)
        for each in walk(node):
            origins.stamp(each)
    if isinstance(node, gast.AsyncFunctionDef):
        raise GradError(f"cannot differentiate the async function {func.__qualname__}", where,
                        "write it as a plain def")
    node_counts = origins.counts
    closure = {}
    if func.__closure__:
        for name, cell in zip(func.__code__.co_freevars, func.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the name is not bound yet
                pass
    return ParsedFunction(func, node, filename, closure, node_counts)


_STALE = object()     # what the glance returns for a definition that is not the running code's


def _stale(func, where):
    return GradError(f"the source of {func.__qualname__} in {func.__code__.co_filename} is not the code that runs: "
                     f"the file was changed after the function was defined (or its __code__ replaced), and the "
                     f"source it was made from is gone", where,
                     "reload the module (importlib.reload(module), or %autoreload in IPython) or restart, so that "
                     "the running function is the file's; then take grad of the reloaded function")


def _definition_at_a_glance(func, origins=None, refresh=True):
    """The function's definition, found by its indentation, or None where that is not plain enough, or
    _STALE where it is not the source of ``func``'s code (see :mod:`provenance`); ``origins`` stamps its
    nodes as they are made (see :class:`_Origins`); ``refresh`` rereads a file changed since it was cached.

    :func:`inspect.getsourcelines` finds where a definition ends by tokenizing
    it, which costs twice what parsing does. Here the definition is taken to
    end before the first line indented no deeper than its ``def`` (or first
    decorator); where that cuts through a string or a bracket, or the source
    is not cached, the cut does not parse as one definition, and the caller
    asks :mod:`inspect`.
    """
    if func.__name__ == "<lambda>":
        return None
    filename = func.__code__.co_filename
    if refresh and not (filename.startswith("<") and filename.endswith(">")):
        linecache.checkcache(filename)             # as inspect does: a file edited since it was imported
    lines = linecache.getlines(filename, func.__globals__)
    start = func.__code__.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    indent = _indentation(lines[start])
    end = start
    while end < len(lines) and lines[end].lstrip().startswith("@"):
        end += 1                                   # decorators, one line each
    end += 1                                       # the def line itself
    last = end
    while end < len(lines):
        text = lines[end].strip()
        if text and not text.startswith("#"):
            if _indentation(lines[end]) <= indent:
                break
            last = end + 1
        end += 1
    source = textwrap.dedent("".join(lines[start:last]))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
            or tree.body[0].name != func.__name__:
        return None
    if not matches(func, tree, source):
        return _STALE
    return _from_ast(tree, origins).body[0]


def parse_source(source, origins=None):
    """``gast.parse(source)``, with the conversion from ``ast`` done directly for the common nodes
    (gast's generic visitor costs twice what parsing does); each node made is given to ``origins``."""
    return _from_ast(ast.parse(source), origins)


def _same_shaped_classes():
    """``ast`` node classes whose gast namesake has the same fields holding the same kinds of values."""
    found = {}
    for class_name in dir(ast):
        cls, twin = getattr(ast, class_name), getattr(gast, class_name, None)
        if isinstance(cls, type) and issubclass(cls, ast.AST) and isinstance(twin, type) \
                and issubclass(twin, gast.AST) and class_name not in ("Name", "ExceptHandler") \
                and cls._fields == twin._fields:
            found[cls] = twin
    return found


_SAME_SHAPED = _same_shaped_classes()    # (codegen's table, the other way round)


_NAME = gast.Name
_CONTEXTS = {ast.Load: gast.Load(), ast.Store: gast.Store(), ast.Del: gast.Del()}


def _from_ast(node, origins=None):
    if type(node) is list:
        return [_from_ast(n, origins) for n in node]
    if not isinstance(node, ast.AST):
        return node
    cls = type(node)
    old = node.__dict__
    twin = _SAME_SHAPED.get(cls)
    if twin is not None:
        new = twin.__new__(twin)
        fields = new.__dict__
        for field in cls._fields:
            value = old.get(field)
            fields[field] = _from_ast(value, origins) if type(value) is list or isinstance(value, ast.AST) \
                else value
    elif cls is ast.Name:
        new = _NAME.__new__(_NAME)           # (the commonest node, its context shared: nothing changes one)
        new.__dict__.update(id=node.id, ctx=_CONTEXTS[type(node.ctx)], annotation=None, type_comment=None)
    elif getattr(gast, cls.__name__, None) is not None and \
            getattr(gast, cls.__name__)._fields == cls._fields + ("type_params",):
        twin = getattr(gast, cls.__name__)      # a def or class before Python 3.12: no type parameters
        new = twin.__new__(twin)
        new.__dict__.update({field: _from_ast(old.get(field), origins) for field in cls._fields}, type_params=[])
    else:
        new = gast.ast_to_gast(node)            # (a signature, an except clause: gast's own conversion)
        if origins is not None:
            for each in walk(new):
                origins.stamp(each)
        return new
    for attr in LOCATION_FIELDS:
        if attr in old:
            new.__dict__[attr] = old[attr]
    if origins is not None:
        origins.stamp(new)
    return new


def _indentation(line):
    return len(line) - len(line.lstrip(" \t"))


def _lambda_node(source, func, where):
    """Find the lambda among those on its source line whose parameters match."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        try:
            source = "(" + source.strip().rstrip(",") + ")"
            tree = ast.parse(source)
        except SyntaxError:
            raise GradError("cannot parse the source line of this lambda", where,
                            "define the function with def") from None
    if not matches(func, tree, source):
        raise _stale(func, where)
    module = _from_ast(tree)
    wanted = list(func.__code__.co_varnames[:func.__code__.co_argcount])
    found = [n for n in walk(module)
             if isinstance(n, gast.Lambda) and [a.id for a in n.args.args] == wanted]
    if len(found) != 1:
        raise GradError("cannot tell which lambda on this line to differentiate", where,
                        "define the function with def")
    lam = found[0]
    node = gast.FunctionDef(name="<lambda>", args=lam.args,
                            body=[gast.Return(value=lam.body)], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    gast.copy_location(node, lam)
    gast.copy_location(node.body[0], lam)
    return node


class _Origins:
    """Makes each located node's line absolute and gives it its ``origin`` (one shared per line), as the
    parser makes the nodes; ``counts`` is then how many nodes of each class the tree holds."""

    def __init__(self, filename, line_offset, function):
        self.filename, self.line_offset, self.function = filename, line_offset, function
        self.by_line = {}
        self.counts = {}

    def stamp(self, node):
        cls = type(node)
        self.counts[cls] = self.counts.get(cls, 0) + 1
        fields = node.__dict__
        lineno = fields.get("lineno")
        if lineno is not None:
            lineno = fields["lineno"] = lineno + self.line_offset
            if fields.get("end_lineno") is not None:
                fields["end_lineno"] += self.line_offset
            origin = self.by_line.get(lineno)
            if origin is None:
                origin = self.by_line[lineno] = Origin(self.filename, lineno, self.function)
            fields["origin"] = origin
