"""The systematic rule check at special points (``tests/special_points.py``): zeros, ties, negative
values, repeated indices, zero-size arrays, stacked linear algebra. The check is the matrix's own
(``test_rules_matrix.test_rule``); a case marked as a known defect must fail, until its fix lands."""

import pytest

from s2sgrad.rules import builtin_rules

import special_points
import test_rules_matrix as matrix


def _cases():
    rules = {rule.name: rule for rule in builtin_rules()}
    params = []
    for name, cases in special_points.SPECIAL_CASES.items():
        if name not in rules and matrix._not_its_own_function_here(name):
            alias = matrix.alias_here(name)          # np.max is np.amax before NumPy 1.25: its rule's cases
            if alias not in rules:
                continue                             # a function this NumPy or SciPy lacks
            name = alias
        for i, case in enumerate(cases):
            defect = getattr(case, "defect", None)
            if case.fn is None and "fn(" in case.expr:
                case.fn = rules[name].func
            marks = [pytest.mark.xfail(strict=True, reason=defect)] if defect else []
            params.append(pytest.param(rules[name], case, id=f"{name}-{i}: {case.expr}", marks=marks))
    return params


def test_special_points_name_rules():
    names = {rule.name for rule in builtin_rules()}
    assert not {n for n in set(special_points.SPECIAL_CASES) - names if not matrix._not_its_own_function_here(n)}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("rule, case", _cases())
def test_rule_at_special_point(rule, case, tmp_path):
    matrix.test_rule(rule, case, tmp_path)
