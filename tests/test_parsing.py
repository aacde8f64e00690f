"""Parsing: the tree is the one gast makes. Finding a function's definition in its file: at a glance
(by indentation) where the layout is plain, through :mod:`inspect` where it is not, and the same tree
either way."""

import importlib.util
import inspect
import textwrap

import gast
import pytest

from s2sgrad.parsing import _definition_at_a_glance, parse_function, parse_source

MODULE = '''
import numpy as np


def plain(x):
    y = np.tanh(x)
    # a comment
    return np.sum(y)
# a comment at the margin, then the next definition


def one_liner(x): return np.sum(x * x)


def docstring_at_the_margin(x):
    """A docstring whose second line
starts at the margin."""
    return np.sum(x)


def signature_at_the_margin(x,
y=2.0):
    return np.sum(x * y)


def decorated_over_lines(f):
    return f


@decorated_over_lines
@(
    decorated_over_lines
)
def decorated(x):
    return np.sum(np.sin(x))


def outer():
    def nested(x):
        total = (x +
    1.0)
        return np.sum(total)
    return nested


nested = outer()
'''


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    path = tmp_path_factory.mktemp("parsing") / "layouts.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("layouts", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _dump(node):
    return gast.dump(node, include_attributes=False)


@pytest.mark.parametrize("name", ["plain", "one_liner", "docstring_at_the_margin", "signature_at_the_margin",
                                  "decorated", "nested"])
def test_the_tree_is_the_one_inspect_finds(module, name):
    func = getattr(module, name)
    expected = gast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    assert _dump(parse_function(func).node) == _dump(expected)


@pytest.mark.parametrize("name", ["plain", "one_liner"])
def test_plain_layouts_are_found_at_a_glance(module, name):
    assert _definition_at_a_glance(getattr(module, name)) is not None


@pytest.mark.parametrize("name", ["docstring_at_the_margin", "signature_at_the_margin", "decorated", "nested"])
def test_layouts_that_cut_through_a_string_or_bracket_go_to_inspect(module, name):
    assert _definition_at_a_glance(getattr(module, name)) is None


def test_lines_are_those_of_the_file(module):
    parsed = parse_function(module.plain)
    assert parsed.node.lineno == 5 and parsed.node.body[1].lineno == 8
    assert parsed.node.body[1].origin.lineno == 8 and parsed.node.body[1].origin.filename.endswith("layouts.py")


EVERY_KIND_OF_NODE = '''
@decorator(1)
def f(a, b=2, *args, c, d=4, **kwargs) -> int:
    """doc"""
    global g
    x: float = a[1:2, ::3] + b[...] @ c[None]
    y = lambda p, q=1: p * q
    z = [i for i in range(3) if i] + list({k: v for k, v in kwargs.items()}) + [*args]
    w = f"{x!r:>10}" if (n := len(z)) else b"bytes"
    try:
        pass
    except (ValueError, TypeError) as e:
        raise RuntimeError from e
    finally:
        del x
    with open(a) as h, open(b):
        yield from h
    while True:
        break
    else:
        pass
    match y:
        case [1, *rest] | {"k": rest}:
            pass
        case Point(x=0) if x:
            pass
    return not -x < y <= z is not None


class C(Base, metaclass=M):
    async def m(self, /, s):
        async for i in s:
            await i
        async with s as t:
            nonlocal q
'''


def _with_declared_fields(tree):
    """gast 0.5.5 declares ``ClassDef.type_params`` but leaves it unset before Python 3.12 (0.6 sets
    it to []); s2sgrad's parser sets it, as for a def. The tree with such fields given their []."""
    for node in gast.walk(tree):
        for field in node._fields:
            if not hasattr(node, field) and field == "type_params":
                setattr(node, field, [])
    return tree


def test_source_is_parsed_to_the_tree_gast_makes():
    assert gast.dump(parse_source(EVERY_KIND_OF_NODE), include_attributes=True) == \
        gast.dump(_with_declared_fields(gast.parse(EVERY_KIND_OF_NODE)), include_attributes=True)
