"""Writes into memory from outside the function: a module-level or closure array, an object's attribute.

The derivative reads a name from outside the function (``BUF``, ``OBJ.a``) as a
constant: it has no derivative, and nothing in the function makes it. A write
into such memory breaks that silently: ``BUF[:] = x * 2.0; return
np.sum(BUF ** 2)`` differentiated to zero, and the reverse sweep, which puts
back the old values of what the primal sweep wrote into, would write into the
module's array again (or fail on it). So every index assignment into outside
memory is refused, as is an in-place call (``BUF.fill(v)``, ``np.copyto(BUF,
v)``, ``setattr(OBJ, "a", v)``, ``OBJ.a.__setitem__(0, v)``, ``y += v``) that
writes a value depending on the differentiated arguments into it; also through
a local name for that memory (``y = BUF[:2]; y[0] = v``). The hint is the
workaround that differentiates: a local array, given back to the outside
after the call.
"""

import ast

import gast

from . import activity
from .aliasing import _Aliases, _VIEW_ATTRIBUTES, _VIEW_FUNCTION_NAMES
from .astutil import names_in, walk_statements
from .errors import GradError, origin_of
from .mutation import construct, writes
from .naming import user_name

# methods of an array from outside whose result may be (a view of) that array
_VIEW_METHODS = dict.fromkeys(_VIEW_FUNCTION_NAMES + ("view", "conj", "conjugate", "getfield", "__array__",
                                                     "__getitem__", "astype"), True)
_HINT = ("compute into a local array instead ({y} = np.zeros_like(...), or a copy) and return it; write it into "
         "the outside array after the differentiated call")


def refuse_writes_outside(body, wrt):
    """Raise :class:`GradError` at the first write into outside memory the derivative would not see."""
    outside = _outside_memory(body)
    varied = None
    for stmt in walk_statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            base = stmt.targets[0].value
            if _is_outside(base, outside):
                _refuse(f"writing into {_shown(base)}[...]", base, outside, stmt)
            continue
        call = stmt.value if isinstance(stmt, (gast.Expr, gast.Assign)) else None
        inplace = getattr(call, "inplace", None)
        candidates = [w.target for w in writes(call) if _is_outside(w.target, outside)]
        if inplace is not None and inplace in outside:     # y += v, y an outside array
            candidates.append(gast.Name(id=inplace, ctx=gast.Load(), annotation=None, type_comment=None))
        if not candidates:
            continue
        if varied is None:
            varied = activity.varied_names(body, set(wrt))
        if names_in(call, gast.Load) & varied:
            target = candidates[0]
            how = construct(call) if getattr(call, "written", None) is not None else \
                f"changing {_shown(target)} in place"
            _refuse(how, target, outside, stmt)


def _outside_memory(body):
    """Local names that may hold memory from outside the function: an outside array itself, a view of one."""
    outside = set()
    assignments = [stmt for stmt in walk_statements(body)
                   if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], (gast.Name, gast.Tuple))]
    changed = True
    while changed:
        changed = False
        for stmt in assignments:
            targets = names_in(stmt.targets[0], gast.Store) - outside
            if targets and _reaches_outside(stmt.value, outside):
                outside |= targets
                changed = True
    return outside


def _reaches_outside(value, outside):
    if isinstance(value, gast.Name):
        return _is_outside(value, outside)
    if isinstance(value, gast.IfExp):
        return _reaches_outside(value.body, outside) or _reaches_outside(value.orelse, outside)
    if isinstance(value, gast.Subscript):
        return _is_outside(value.value, outside)
    if isinstance(value, gast.Attribute):
        return value.attr in _VIEW_ATTRIBUTES and _is_outside(value.value, outside)
    if isinstance(value, gast.Call) and not _Aliases.makes_new(value):
        operands = list(value.args) + [kw.value for kw in value.keywords]
        if isinstance(value.func, gast.Attribute):
            operands.append(value.func.value)
        method = getattr(value.func, "value_of", None)        # BUF.reshape(-1): a view of BUF
        owner = getattr(method, "__self__", None)
        return owner is not None and not isinstance(owner, type(gast)) and _VIEW_METHODS.get(
            getattr(method, "__name__", None), False) or any(_reaches_outside(o, outside) for o in operands)
    return False


def _is_outside(node, outside):
    """An outside reference (``BUF``, ``OBJ.a``, ``OBJ.a.fill``), or a local name holding such memory."""
    if isinstance(node, gast.Attribute):
        return _is_outside(node.value, outside)
    if isinstance(node, gast.Name):
        return node.id in outside or (getattr(node, "external", False)
                                      and not isinstance(getattr(node, "value_of", None), type(gast)))
    return False


def _shown(node):
    if isinstance(node, gast.Name) and not getattr(node, "external", False):
        return user_name(node.id)
    return ast.unparse(gast.gast_to_ast(node))


def _refuse(how, node, outside, stmt):
    local = isinstance(node, gast.Name) and node.id in outside
    if hasattr(getattr(node, "value_of", None), "__self__") and not local:       # BUF.fill(v)
        who = "it writes into the object it is called on,"
    elif how.startswith("writing into"):
        who = f"{_shown(node)} holds"
    else:
        who = f"it writes into {_shown(node)}, which holds"
    raise GradError(f"{how} is not differentiated: {who} memory from outside the function (a module-level or "
                    f"closure array, or an object's attribute), which the derivative takes for a constant",
                    origin_of(stmt), _HINT.format(y=user_name(node.id) if local else "y"))
