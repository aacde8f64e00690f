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
"""

from .registry import RuleError, defrule

import numpy as np


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


def operand_adjoint(inputs, output, i, names, g="g"):
    """The adjoint of operand ``i`` as an expression: an einsum of ``g`` with the other operands.

    ``names`` are the operands' expressions in the template (``operands[0]``, ...).
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
    if len(specs) == 1 and specs[0] == kept:
        expr = args[0]                        # np.einsum("ij->ij", g) is g itself
    else:
        expr = f'np.einsum("{",".join(specs)}->{kept}", {", ".join(args)})'
    if lonely:                                # an index only this operand has: g is constant along it
        axes = tuple(axis_of(k) for k in lonely)
        expr = f"np.broadcast_to(np.expand_dims({expr}, {axes[0] if len(axes) == 1 else axes}), " \
               f"{names[i]}.shape)"
    return expr


def einsum_vjp(subscripts, operands):
    """np.einsum(<subscripts rearranged>, g, <the other operands>), one per operand"""
    inputs, output = explicit(subscripts, len(operands))
    names = [f"operands[{j}]" for j in range(len(operands))]
    pieces = [operand_adjoint(inputs, output, i, names) for i in range(len(operands))]
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")"


def einsum_jvp(subscripts, operands):
    """np.einsum(subscripts, <the operands, one replaced by its tangent>), one per operand"""
    explicit(subscripts, len(operands))
    pieces = []
    for i in range(len(operands)):
        args = [f"doperands[{j}]" if j == i else f"operands[{j}]" for j in range(len(operands))]
        pieces.append(f"np.einsum(subscripts, {', '.join(args)})")
    return "(" + ", ".join(pieces) + ("," if len(pieces) == 1 else "") + ")"


defrule(np.einsum, "subscripts, *operands, optimize=False",
        vjp={"operands": einsum_vjp}, jvp={"operands": einsum_jvp})
