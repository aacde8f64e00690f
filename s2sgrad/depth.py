"""Room to recurse for long expressions: ``x + x + ... + x`` of thousands of terms.

s2sgrad's passes walk syntax trees recursively (the parser's conversion, the
normalizer, printing), about two Python frames per level of nesting, and a
sum of 1,500 terms is a tree 1,500 levels deep: past Python's default limit
of 1,000 frames. CPython itself compiles such a function (its parser and
compiler do not recurse in Python), so s2sgrad should too.

A compile step that runs out of frames is run again once with a higher limit,
restored afterwards; only such functions pay for it (a compile is pure: the
caches are filled only when it succeeds). Where that is not enough, a
:class:`GradError` says so at the function, with a workaround. The limit is
kept well inside what the C stack holds: on Python 3.11 and later a call
between Python functions takes no C stack, before it some.
"""

import functools
import os
import sys
import traceback

import astor
import gast

from .errors import GradError, Origin

ROOMY = 20_000 if sys.version_info >= (3, 11) else 8_000
# where s2sgrad's own work runs: the package, the tree libraries, and the standard library (ast.parse)
_OURS = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (sys.modules[__package__], gast,
                                                                                astor, traceback))


def with_room_to_recurse(step):
    """``step`` (a compile step: parse, normalize, generate), run again with ``ROOMY`` frames if s2sgrad's
    own recursion runs out of the frames it has; a GradError if even those are not enough."""
    @functools.wraps(step)
    def run(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except RecursionError as error:
            if not _ours(error):
                raise       # the user's own code recursing without end, run on the example arguments
            if sys.getrecursionlimit() >= ROOMY:
                raise _too_deep(args) from None
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(ROOMY)
        try:
            return step(*args, **kwargs)
        except RecursionError as error:
            if not _ours(error):
                raise
            raise _too_deep(args) from None
        finally:
            sys.setrecursionlimit(old)
    return run


def _ours(error):
    """Whether it was s2sgrad's own recursion that ran out of frames: not the user's code (run on the example
    arguments to learn shapes, in the user's files or in the ``<s2sgrad probe>`` copy of them)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and all(f.filename.startswith(_OURS) for f in frames)


def _too_deep(args):
    func = next((getattr(a, "func", a) for a in args if hasattr(getattr(a, "func", a), "__code__")), None)
    code = getattr(func, "__code__", None)
    origin = Origin(code.co_filename, code.co_firstlineno, func.__name__) if code is not None else None
    name = getattr(func, "__name__", "the function")
    return GradError(f"{name} is nested too deeply for s2sgrad (an expression of many thousands of terms, or "
                     f"helpers calling each other that many levels deep)", origin,
                     "split the long expression into statements of a few hundred terms each "
                     "(partial sums: s1 = a + b + ...; s2 = s1 + c + ...)")
