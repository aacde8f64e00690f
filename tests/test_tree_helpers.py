"""The tree helpers every phase leans on: a substitution that copies only what it changes."""

import gast

from s2sgrad.astutil import name, replaced, substitute


def _statement(text):
    return gast.parse(text).body[0]


def test_only_the_way_to_a_replaced_name_is_new():
    stmt = _statement("y = np.exp(a * b) + np.sin(c)")
    stmt.origin = "somewhere"
    new = replaced(stmt, {"c": name("d")})
    assert gast.dump(new) == gast.dump(_statement("y = np.exp(a * b) + np.sin(d)"))
    assert new is not stmt and new.value is not stmt.value and new.origin == "somewhere"
    assert new.value.left is stmt.value.left            # np.exp(a * b): shared, not copied
    assert gast.dump(stmt) == gast.dump(_statement("y = np.exp(a * b) + np.sin(c)"))   # unchanged


def test_nothing_replaced_is_the_statement_itself():
    stmt = _statement("y = a + b")
    assert replaced(stmt, {"c": name("d")}) is stmt


def test_a_stored_name_is_renamed_and_each_use_gets_its_own_copy():
    stmt = _statement("t = t + t")
    value = gast.parse("x * 2", mode="eval").body
    new = replaced(stmt, {"t": value})
    assert gast.dump(new) == gast.dump(substitute(stmt, {"t": value}))
    assert new.value.left is not new.value.right and new.value.left is not value
    renamed = replaced(stmt, {"t": name("u")})
    assert gast.dump(renamed) == gast.dump(_statement("u = u + u"))


def test_a_moved_expression_is_the_expression_itself():
    """Forward substitution drops ``t = e`` as it writes ``e`` at t's one use: ``e`` moves, uncopied."""
    stmt = _statement("y = np.sin(t) * c")
    value = gast.parse("x * 2", mode="eval").body
    new = replaced(stmt, {"t": value}, moved=True)
    assert gast.dump(new) == gast.dump(_statement("y = np.sin(x * 2) * c"))
    assert new.value.left.args[0] is value
