"""docs/functions.md is generated from the rules table (scripts/coverage_page.py) and must be current."""

import re

import pytest

from project_scripts import ROOT, load_script


def test_functions_page_is_current():
    script = load_script("coverage_page")
    checked_in = (ROOT / "docs" / "functions.md").read_text()
    stamp = re.search(r"Generated with s2sgrad \S+, (.*?)\. Each rule", checked_in)
    if stamp and stamp.group(1) != script.versions():
        pytest.skip(f"docs/functions.md was generated with {stamp.group(1)}; this is {script.versions()}")
    assert script.page() == checked_in, "docs/functions.md is not current: run python scripts/coverage_page.py"


def test_functions_page_lists_every_rule_and_method():
    script = load_script("coverage_page")
    from s2sgrad.rules import builtin_rules
    from s2sgrad.rules.methods import ARRAY_METHODS
    text = script.page()
    for rule in builtin_rules():
        assert f"`{rule.name}`" in text, rule.name
    for method in ARRAY_METHODS:
        assert f"`.{method}()`" in text, method
