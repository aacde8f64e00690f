"""Whether the source s2sgrad read is the source of the code that runs.

``inspect.getsource`` reads the file as it is now, not as it was imported: a
file edited after import (or a function whose ``__code__`` came from
elsewhere) would be differentiated from text the interpreter never ran. So the
source found is compiled again, in a skeleton that gives it the same free
variables and class as the running function, and its code object compared with
``func.__code__``: the same bytecode, names and constants, nested code too.
Line numbers are not compared (a comment added above the function moves it),
nor whitespace inside strings (the source is dedented before parsing).
"""

import __future__
import ast
import types
import weakref

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

_VERIFIED = weakref.WeakKeyDictionary()   # code object -> the source text found to match it


def matches(func, module, source):
    """Whether ``module`` (the ``ast`` parsed from ``source``) compiles to ``func``'s code.

    True also where the check cannot be made (the skeleton does not compile):
    only a definite difference refuses.
    """
    code = func.__code__
    try:
        if _VERIFIED.get(code) == source:
            return True
    except TypeError:
        pass
    wanted = _fingerprint(code)
    imported = sorted(n for n in _names(code) if isinstance(func.__globals__.get(n), types.ModuleType))
    for modules in ([imported, []] if imported else [[]]):
        try:
            compiled = compile(_skeleton(module, func, modules), code.co_filename, "exec",
                               flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
        except (SyntaxError, ValueError, TypeError):
            return True
        if any(_fingerprint(c) == wanted for c in _codes(compiled) if c.co_name == code.co_name):
            break
    else:
        return False
    try:
        _VERIFIED[code] = source
    except TypeError:
        pass
    return True


_NO_TYPE_PARAMS = {"type_params": []} if "type_params" in ast.ClassDef._fields else {}   # (Python 3.12+)


def _skeleton(module, func, modules):
    """``module``'s statements inside the class and function that give them ``func``'s scopes, after
    ``import`` statements for ``modules``: Python compiles ``np.sum(x)`` differently where the module's
    own ``import numpy as np`` binds ``np`` (a plain attribute, not a method, is loaded)."""
    body = list(module.body)
    parts = func.__qualname__.split(".")
    if len(parts) >= 2 and parts[-2] != "<locals>":          # a method: private names are mangled by its class
        body = [_located(ast.ClassDef(name=parts[-2], bases=[], keywords=[], body=body, decorator_list=[],
                                      **_NO_TYPE_PARAMS))]
    free = [v for v in func.__code__.co_freevars if v != "__class__"]
    if free:                                                  # a closure: those names are cells, not globals
        bind = _located(ast.Assign(targets=[_located(ast.Name(id=v, ctx=ast.Store())) for v in free],
                                   value=_located(ast.Constant(value=None))))
        body = [_located(ast.FunctionDef(name="__s2sgrad_enclosing__", args=ast.arguments(
            posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=[bind] + body, decorator_list=[], returns=None, **_NO_TYPE_PARAMS))]
    imports = [_located(ast.Import(names=[_located(ast.alias(name=m))])) for m in modules]
    return ast.Module(body=imports + body, type_ignores=[])


def _located(node):
    """``node`` placed at line 1 (``ast.fix_missing_locations`` would walk the whole function to find it)."""
    node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = 1, 0, 1, 0
    return node


def _codes(code):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _codes(const)


def _names(code):
    """The global and attribute names ``code`` reads, nested code's too."""
    names = set(code.co_names)
    for nested in _codes(code):
        names.update(nested.co_names)
    return names


def _fingerprint(code):
    consts = tuple(_fingerprint(c) if isinstance(c, types.CodeType)
                   else ("str", " ".join(c.split())) if isinstance(c, str)
                   else (type(c).__name__, repr(c)) for c in code.co_consts)
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars, code.co_argcount,
            code.co_kwonlyargcount, code.co_posonlyargcount, consts)
