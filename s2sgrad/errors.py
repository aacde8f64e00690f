"""The one exception users see, and where in their code it points.

Every problem caused by the user's code or call (unsupported syntax, a function
with no derivative rule, a bad ``wrt``) is raised as :class:`GradError`, with the
``file:line`` of the user's construct, so that it reads like a compiler message
rather than an internal traceback.
"""

import functools
import os
import traceback
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


DEBUG_VARIABLE = "S2SGRAD_DEBUG"


def debugging():
    """Whether ``S2SGRAD_DEBUG`` is set (to anything but 0): then a GradError keeps s2sgrad's own frames."""
    return os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")


def public(function):
    """``function``, a public entry point (``grad``, a derivative's call, ``.source``), raising a GradError
    with the user's frames and this one line of s2sgrad's, not the twenty internal ones that found it.

    The message already says where in the user's code the problem is; the frames
    inside s2sgrad, and an internal exception it was raised while handling
    ("During handling of the above exception..."), only bury it. With
    ``S2SGRAD_DEBUG=1`` in the environment the error keeps them, for whoever
    debugs s2sgrad itself. The wrapper's frame is named after ``function``, so
    the one line left reads ``in grad``.
    """
    @functools.wraps(function)
    def entry(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except GradError as error:
            if debugging():
                raise
            raise error.with_traceback(None) from None   # S2SGRAD_DEBUG=1 shows s2sgrad's own frames
    code = entry.__code__
    names = {"co_name": function.__name__}
    if hasattr(code, "co_qualname"):   # (Python 3.11+)
        names["co_qualname"] = getattr(function, "__qualname__", function.__name__)
    entry.__code__ = code.replace(**names)
    return entry


def origin_of(node):
    """The :class:`Origin` recorded on an AST node by the parser, if any."""
    return getattr(node, "origin", None)


_INTERNAL = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
             os.path.dirname(os.path.abspath(traceback.__file__)) + os.sep)


def at_users_line(func, args, error):
    """A failure of the user's own code at call time (NumPy's error), pointing at the user's line.

    Shapes are learned by running a rewritten copy of ``func``; when that raises
    (mismatched shapes, say), ``func`` itself is run to raise the same error
    from the user's own line, and the error gets a note ``file:line: code``.
    It stays NumPy's exception, not a GradError: it is the user's call that
    fails, as it would without s2sgrad.
    """
    try:
        func(*args)
    except Exception as own:  # the same failure, raised from the user's code
        if type(own) is type(error):
            error = own
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(_INTERNAL) and not f.filename.startswith("<s2sgrad")
              and os.sep + "numpy" + os.sep not in f.filename]
    if frames:
        where = frames[-1]
        note = f"in {where.name} at {where.filename}:{where.lineno}: {(where.line or '').strip()}"
        if hasattr(error, "add_note"):
            error.add_note(note)
        else:  # Python 3.10
            error.__notes__ = list(getattr(error, "__notes__", [])) + [note]
    return error
