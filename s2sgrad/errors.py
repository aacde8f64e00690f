"""The one exception users see, and where in their code it points.

Every problem caused by the user's code or call (unsupported syntax, a function
with no derivative rule, a bad ``wrt``) is raised as :class:`GradError`, with the
``file:line`` of the user's construct, so that it reads like a compiler message
rather than an internal traceback.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where a statement of generated code came from in the user's source."""

    filename: str
    lineno: int
    function: str = ""

    def __str__(self):
        return f"{self.filename}:{self.lineno}"


class GradError(Exception):
    """A problem in the user's function or in how it was asked to be differentiated."""

    def __init__(self, message, origin=None, hint=None):
        self.message = message
        self.origin = origin
        self.hint = hint
        text = f"{origin}: {message}" if origin is not None else message
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


def origin_of(node):
    """The :class:`Origin` recorded on an AST node by the parser, if any."""
    return getattr(node, "origin", None)
