"""How generated code refers to things that live outside it.

Generated code names NumPy by one alias (``np`` unless the user's own code
uses that name), SciPy by its module path, and everything else the user's
function reads from its globals or closure (helper functions, constants) by a
name bound in the generated module's namespace. The same table yields the
``import`` lines of a written-out module, which therefore needs only NumPy and,
where it calls back into user code, the user's module.
"""

import builtins
import sys
import types

import gast
import numpy

_NUMPY_MODULES = ("numpy", "numpy.linalg", "numpy.fft", "numpy.random")
_SCIPY_MODULES = ("scipy.special", "scipy.linalg")
_paths = None
_paths_of = None     # which of _NUMPY_MODULES were imported when _paths was built


_ARRAY_API_ALIASES = frozenset({"acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "concat", "pow",
                                "permute_dims", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift",
                                "matrix_transpose", "vecdot", "unique_values", "unique_counts", "unique_all",
                                "unique_inverse", "cumulative_sum", "cumulative_prod", "astype"})


def _build_paths():
    paths = {}
    for modname in _NUMPY_MODULES:
        module = sys.modules.get(modname)
        if module is None:
            continue
        prefix = modname.split(".")[1:]  # [] or ["linalg"], ...
        # NumPy 2's array-API aliases (np.acos, np.concat, np.pow) last: generated code should
        # read as the user wrote it and run on NumPy 1 too
        attributes = vars(module)         # (not getattr: NumPy imports a submodule on first access, which
        for name in sorted(attributes, key=lambda n: (n in _ARRAY_API_ALIASES, n)):   # cost a third of a second)
            if name.startswith("_"):
                continue
            obj = attributes[name]
            if callable(obj) and not isinstance(obj, (types.ModuleType, type)):
                paths.setdefault(id(obj), (obj, tuple(["numpy"] + prefix + [name])))
    return paths


def module_path(obj):
    """``("numpy", "linalg", "norm")`` for ``np.linalg.norm``; None if not NumPy/SciPy."""
    global _paths, _paths_of
    loaded = tuple(modname in sys.modules for modname in _NUMPY_MODULES)
    if _paths is None or loaded != _paths_of:    # (np.fft is imported when the user's code first reads it)
        _paths, _paths_of = _build_paths(), loaded
    hit = _paths.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    for modname in _SCIPY_MODULES:
        module = sys.modules.get(modname)
        name = getattr(obj, "__name__", None)
        if module is not None and name and getattr(module, name, None) is obj:
            return tuple(modname.split(".") + [name])
    return None


def attribute_chain(parts):
    """``("np", "linalg", "norm")`` -> the AST of ``np.linalg.norm``."""
    node = gast.Name(id=parts[0], ctx=gast.Load(), annotation=None, type_comment=None)
    for part in parts[1:]:
        node = gast.Attribute(value=node, attr=part, ctx=gast.Load())
    return node


class Externals:
    """The outside objects a generated module refers to, and the names it uses for them."""

    def __init__(self, namer):
        self.namer = namer
        self.np = namer.fresh("np")
        self.bound = {}          # generated-code name -> object
        self.origins = {}        # generated-code name -> (module name, attribute) to import
        self._by_id = {}         # id(object) -> generated-code name
        self.uses_scipy = set()

    def copy(self, namer):
        """An independent table over ``namer`` (a copy of the one this table uses)."""
        new = Externals.__new__(Externals)
        new.namer = namer
        new.np = self.np
        new.bound = dict(self.bound)
        new.origins = dict(self.origins)
        new._by_id = dict(self._by_id)
        new.uses_scipy = set(self.uses_scipy)
        return new

    def numpy(self, *attrs):
        """The AST of ``np.<attrs>`` under this module's NumPy alias."""
        return attribute_chain((self.np,) + attrs)

    def builtin(self, name):
        """The AST of the builtin ``name`` (``range``, ``list``): the bare name unless the user's code
        binds it (``list = x * 2``), then a name of its own bound to the builtin."""
        return self.reference(getattr(builtins, name), name)

    def reference(self, obj, hint, home=None):
        """An expression that evaluates to ``obj`` in generated code.

        ``home`` is ``(module name, global name)`` where the user's code found
        it, so that a written-out module can import it from there.
        """
        if obj is numpy:
            return attribute_chain((self.np,))
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, numpy.ufunc) and module_path(owner) is not None:    # np.add.at
            return attribute_chain((self.np,) + module_path(owner)[1:] + (obj.__name__,))
        path = module_path(obj)
        if path is not None and path[0] == "numpy":
            return self.numpy(*path[1:])
        if path is not None:
            self.uses_scipy.add(".".join(path[:-1]))
            return attribute_chain(path)
        if isinstance(obj, types.ModuleType) and obj.__name__.startswith("scipy"):
            self.uses_scipy.add(obj.__name__)
            return attribute_chain(tuple(obj.__name__.split(".")))
        if hint in vars(builtins) and getattr(builtins, hint) is obj and hint not in self.namer.taken:
            return gast.Name(id=hint, ctx=gast.Load(), annotation=None, type_comment=None)
        name = self._by_id.get(id(obj))
        if name is None or self.bound.get(name) is not obj:
            name = self.namer.fresh(hint)
            self.bound[name] = obj
            self._by_id[id(obj)] = name
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", None)
            if home is not None:
                self.origins[name] = home
            elif isinstance(module, str) and qualname and "." not in qualname and "<" not in qualname:
                self.origins[name] = (module, qualname)
            else:
                self.origins[name] = (None, hint)
        return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)

    def namespace(self):
        """The globals a generated function is executed in."""
        ns = {self.np: numpy}
        for modname in self.uses_scipy:
            top = modname.split(".")[0]
            __import__(modname)
            ns[top] = sys.modules[top]
        ns.update(self.bound)
        return ns
