"""One convention for what generated code is called and returns: ``grad_f`` returns exactly what
``grad(f)`` returns, the gradients; ``value_and_grad_f`` returns ``(value, gradients)``.

A gradient whose output is not known to be one number (no example arguments,
or a value assigned in branches) must compute the value to check it, so its
code returns both. That function is named ``value_and_grad_f``, and a
``grad_f`` beside it checks the value and returns the gradients alone: code
written out with ``s2sgrad emit`` or read in ``.source`` can be called as
``dA, dB = grad_f(A, B)`` whichever kind of code it holds, and never puts the
loss into ``dA``. (The live derivative calls ``value_and_grad_f`` and raises
the same refusal as a GradError.)
"""

PREFIX = "value_and_grad_"


def name_for_kind(fn, kind, value_free):
    """Rename the generated ``fn`` (``grad_f``) after what it returns; the text of a ``grad_f`` to put
    after it where it returns the value too and ``kind`` is a gradient, else None."""
    if kind not in ("grad", "value_and_grad") or value_free or not fn.name.startswith("grad_"):
        return None
    grad_name = fn.name
    fn.name = PREFIX + grad_name[len("grad_"):]
    return None if kind == "value_and_grad" else grad_name


def checked_gradient(grad_name, fn, source, function_name, numpy_alias):
    """Source of ``grad_name``: calls ``fn`` (already printed in ``source``), refuses an output that is not
    one number as ``grad`` does, and returns the gradients alone."""
    header = next(line for line in source.splitlines() if line.startswith(f"def {fn.name}("))
    signature = header[len(f"def {fn.name}"):].rstrip()
    call = ", ".join(a.id for a in fn.args.args)
    return (f"def {grad_name}{signature}\n"
            f'    """The gradients of {fn.name}, once its value is checked to be one number."""\n'
            f"    value, grads = {fn.name}({call})\n"
            f"    if {numpy_alias}.size(value) != 1:\n"
            f"        raise ValueError(f'grad needs a scalar output, but {function_name} returned an array of "
            f"shape {{{numpy_alias}.shape(value)}}')\n"
            f"    return grads\n")
