"""``np.einsum`` with any subscripts: the adjoint of an operand is an einsum too.

For ``np.einsum("ij,jk->ik", A, B)`` the adjoint of ``A`` is
``np.einsum("ik,jk->ij", g, B)``: the operand's subscripts become the output,
and ``g`` (with the output's subscripts) takes the operand's place. The
subscripts are rearranged once, when the code is generated, by a template
factory (see :mod:`s2sgrad.rules.registry`), so the generated code holds the
specific einsum each adjoint needs. Implicit subscripts (``"ij,jk"``) are made
explicit first. Two cases need more than a rearrangement:

* an index only the operand has (``"ij->i"`` sums over ``j``): einsum cannot
  create an axis, so the adjoint is broadcast along it;
* an index repeated in the operand (``"ii->i"``, a diagonal): the adjoint is
  placed on that diagonal, through an identity matrix.

The tangent is one einsum per operand with the operand's tangent in its place.

An ellipsis broadcasts: an operand whose ``...`` stands for fewer (or
length-1) axes than the others' gets an adjoint of the broadcast shape from
the rearranged einsum, which is summed back to the operand's shape. An
operand without the ellipsis, where the others have one (``"...i,i->..."``),
gets an einsum that keeps the ellipsis's axes (einsum sums none of them away),
then summed over them. The interleaved form,
``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``, is read as the subscripts it
stands for; its arrays then bind to the rule's ``subscripts`` parameter (the
first) and to ``operands`` (the others, between the sublists).
"""

import numpy as np

from ..runtime import unbroadcast
from .registry import RuleError, defrule


def explicit(subscripts, count):
    """``"ij,jk"`` -> ``(["ij", "jk"], "ik")``: the operands' subscripts and the output's."""
    if not isinstance(subscripts, str):
        raise RuleError("the subscripts must be a constant string (the interleaved form "
                        "einsum(a, [0, 1], b, [1, 2]) is not supported)")
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        inputs, output = spec.split("->")
    else:
        inputs = spec
        letters = inputs.replace("...", "").replace(",", "")
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(letters)
                                                                     if letters.count(c) == 1))
    operands = inputs.split(",")
    if len(operands) != count:
        raise RuleError(f"the subscripts {subscripts!r} name {len(operands)} operands, but {count} are given")
    return operands, output


def _letters(subs):
    """``"...ij"`` -> ``["...", "i", "j"]``."""
    out, rest = [], subs
    while rest:
        if rest.startswith("..."):
            out.append("...")
            rest = rest[3:]
        else:
            out.append(rest[0])
            rest = rest[1:]
    return out


def _fresh_letters(used):
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if c not in used:
            used.add(c)
            yield c


def operand_adjoint(inputs, output, i, names, g="g", shapes=None):
    """The adjoint of operand ``i`` as an expression: an einsum of ``g`` with the other operands.

    ``names`` are the operands' expressions in the template (``operands[0]``, ...); ``shapes``, the
    operands' shapes where known (None for one not known), for an ellipsis that broadcasts.
    """
    mine = _letters(inputs[i])
    elsewhere = set(_letters(output))
    for j, subs in enumerate(inputs):
        if j != i:
            elsewhere |= set(_letters(subs))
    if "..." in mine and "..." not in elsewhere:
        raise RuleError(f"an ellipsis summed away ({inputs[i]!r} -> {output!r}) is not supported")
    fresh = _fresh_letters(set("".join(inputs) + output))

    def axis_of(k):   # an axis counted from the end where an ellipsis comes before it
        return k - len(mine) if "..." in mine[:k] else k

    target, ties, seen = [], [], set()
    for k, c in enumerate(mine):
        if c != "..." and c in seen:          # a repeated index: a fresh letter tied to it by an identity
            new = next(fresh)
            ties.append((c + new, f"np.eye({names[i]}.shape[{axis_of(k)}], like={names[i]})"))
            target.append(new)
        else:
            seen.add(c)
            target.append(c)
    provided = elsewhere | {c for spec, _ in ties for c in spec}
    lonely = [k for k, c in enumerate(target) if c != "..." and c not in provided]
    kept = "".join(c for k, c in enumerate(target) if k not in lonely)
    specs = [output if j == i else inputs[j] for j in range(len(inputs))] + [spec for spec, _ in ties]
    args = [g if j == i else names[j] for j in range(len(inputs))] + [eye for _, eye in ties]
    broadcast = None if "..." in mine or "..." not in elsewhere else _ellipsis_rank(inputs, names, shapes)
    if broadcast not in (None, 0):            # g's ellipsis axes kept, to be summed: einsum sums none away
        kept = "..." + kept
    if len(specs) == 1 and specs[0] == kept:
        expr = args[0]                        # np.einsum("ij->ij", g) is g itself
    else:
        expr = f'np.einsum("{",".join(specs)}->{kept}", {", ".join(args)})'
    if broadcast not in (None, 0):
        axes = f"tuple(range({broadcast}))" if isinstance(broadcast, str) else \
            "0" if broadcast == 1 else str(tuple(range(broadcast)))
        expr = f"np.sum({expr}, axis={axes})"
    if "..." in mine and any("..." in subs for j, subs in enumerate(inputs) if j != i):
        expr = _ellipsis_summed(expr, inputs, i, [c for k, c in enumerate(target) if k not in lonely],
                                names[i], shapes, bool(lonely))
    if lonely:                                # an index only this operand has: g is constant along it
        axes = tuple(axis_of(k) for k in lonely)
        expr = f"np.broadcast_to(np.expand_dims({expr}, {axes[0] if len(axes) == 1 else axes}), " \
               f"{names[i]}.shape)"
    return expr


def _ellipsis_rank(inputs, names, shapes):
    """How many axes the ellipsis stands for among the operands that have one: a number where their
    shapes are known, else the expression that counts them when the code runs."""
    with_ellipsis = [j for j, subs in enumerate(inputs) if "..." in subs]
    if not with_ellipsis:                     # (an ellipsis in the output alone: NumPy refuses it)
        return 0
    if shapes is not None and all(shapes[j] is not None for j in with_ellipsis):
        return max(len(shapes[j]) - len(_letters(inputs[j])) + 1 for j in with_ellipsis)
    counts = [f"np.ndim({names[j]})" + (f" - {len(_letters(inputs[j])) - 1}" if inputs[j] != "..." else "")
              for j in with_ellipsis]
    return counts[0] if len(counts) == 1 else f"max({', '.join(counts)})"


def _ellipsis_axes(subs, shape):
    """The axes ``...`` stands for in an operand of subscripts ``subs`` and shape ``shape``."""
    letters = _letters(subs)
    at = letters.index("...")
    return tuple(shape[at:len(shape) - (len(letters) - at - 1)])


def _ellipsis_summed(expr, inputs, i, kept, name, shapes, lonely):
    """``expr``, the adjoint of operand ``i`` with the ellipsis as broadcast among all the operands, summed
    over the axes broadcasting added to operand ``i``'s own ellipsis (``kept``: the adjoint's letters)."""
    if shapes is None or shapes[i] is None or any(shapes[j] is None for j, subs in enumerate(inputs)
                                                  if "..." in subs):
        if lonely:
            raise RuleError("an ellipsis that may broadcast, with an index only one operand has, needs the "
                            "operands' shapes: call the derivative on arrays")
        return f"unbroadcast({expr}, {name})"
    own = _ellipsis_axes(inputs[i], shapes[i])
    try:
        full = np.broadcast_shapes(*(_ellipsis_axes(subs, shapes[j]) for j, subs in enumerate(inputs)
                                     if "..." in subs))
    except ValueError:
        return expr                           # NumPy refuses these shapes itself
    at = kept.index("...")
    lead = len(full) - len(own)
    ones = tuple(at + lead + k for k, n in enumerate(own) if n == 1 and full[lead + k] != 1)
    if ones:
        expr = f"np.sum({expr}, axis={ones[0] if len(ones) == 1 else ones}, keepdims=True)"
    if lead:
        axes = tuple(range(at, at + lead))
        expr = f"np.sum({expr}, axis={axes[0] if lead == 1 else axes})"
    return expr


def _sublist(sublist):
    """An interleaved sublist (``[0, 1]``, ``[Ellipsis, 0]``) as subscripts (``"ab"``, ``"...a"``)."""
    if not isinstance(sublist, tuple):
        raise RuleError("the sublists of the interleaved form must be lists of integer constants written in "
                        "the call (and ..., not Ellipsis), or write the subscripts as a string")
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for k in sublist:
        if k is Ellipsis:
            out += "..."
        elif isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(letters):
            out += letters[k]
        else:
            raise RuleError(f"the sublist {list(sublist)} holds {k!r}, not a subscript einsum takes")
    return out


def _call(subscripts, operands):
    """The call read as ``(inputs, output, names, shapes)``: the operands' subscripts and the output's,
    and each array operand's name in the template and shape (None where not known).

    ``np.einsum("ij,jk", a, b)`` has the arrays in ``operands``; the interleaved
    ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])`` has its first array in ``subscripts``.
    """
    if isinstance(subscripts, str):
        inputs, output = explicit(subscripts, len(operands))
        return inputs, output, [f"operands[{j}]" for j in range(len(operands))], \
            [getattr(o, "shape", None) for o in operands]
    arguments = (subscripts,) + tuple(operands)
    names = ["subscripts"] + [f"operands[{j}]" for j in range(len(operands))]
    count = len(arguments) // 2
    inputs = [_sublist(arguments[2 * k + 1]) for k in range(count)]
    if len(arguments) % 2:
        output = _sublist(arguments[-1])
    else:                                     # as NumPy: the indices that appear once, in order, after ...
        output = explicit(",".join(inputs), count)[1]
    return inputs, output, [names[2 * k] for k in range(count)], \
        [getattr(arguments[2 * k], "shape", None) for k in range(count)]


def _spec(inputs, output):
    return f'"{",".join(inputs)}->{output}"'


def einsum_vjp(subscripts, operands):
    """np.einsum(<subscripts rearranged>, g, <the other operands>), one per operand"""
    inputs, output, names, shapes = _call(subscripts, operands)
    adjoints = {names[i]: operand_adjoint(inputs, output, i, names, shapes=shapes) for i in range(len(names))}
    pieces = [adjoints.get(f"operands[{j}]", "None") for j in range(len(operands))]
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")" if pieces else None


def einsum_subscripts_vjp(subscripts, operands):
    """(the interleaved form) the first array's adjoint, as an operand's"""
    if isinstance(subscripts, str):
        return None
    inputs, output, names, shapes = _call(subscripts, operands)
    return operand_adjoint(inputs, output, 0, names, shapes=shapes)


def _tangent(inputs, output, names, i):
    args = [f"d{n}" if j == i else n for j, n in enumerate(names)]
    return f"np.einsum({_spec(inputs, output)}, {', '.join(args)})"


def einsum_jvp(subscripts, operands):
    """np.einsum(subscripts, <the operands, one replaced by its tangent>), one per operand"""
    if isinstance(subscripts, str):
        explicit(subscripts, len(operands))
        pieces = []
        for i in range(len(operands)):
            args = [f"doperands[{j}]" if j == i else f"operands[{j}]" for j in range(len(operands))]
            pieces.append(f"np.einsum(subscripts, {', '.join(args)})")
    else:
        inputs, output, names, _ = _call(subscripts, operands)
        pieces = [_tangent(inputs, output, names, names.index(f"operands[{j}]"))
                  if f"operands[{j}]" in names else "None" for j in range(len(operands))]
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")" if pieces else None


def einsum_subscripts_jvp(subscripts, operands):
    """(the interleaved form) the einsum of the first array's tangent"""
    if isinstance(subscripts, str):
        return None
    inputs, output, names, _ = _call(subscripts, operands)
    return _tangent(inputs, output, names, 0)


defrule(np.einsum, "subscripts, *operands, optimize=False", namespace={"unbroadcast": unbroadcast},
        vjp={"subscripts": einsum_subscripts_vjp, "operands": einsum_vjp},
        jvp={"subscripts": einsum_subscripts_jvp, "operands": einsum_jvp})
