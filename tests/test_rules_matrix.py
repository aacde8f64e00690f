"""Every derivative rule, checked against central finite differences.

The matrix is generated from the rules table itself (``s2sgrad.rules``): for
each built-in rule, the cases of ``tests/rule_cases.py`` (or, for elementwise
rules, cases made from their domain: scalars, vectors, matrices and
broadcasting pairs). Each case is written out as a small user module, whose
``loss`` is ``np.sum(<the call> * R)`` for a fixed random ``R``, so that
matching gradients means the whole Jacobian matches. Both the derivative
specialized to the arguments' shapes and the shape-generic one are run, in
reverse mode and (where the rule has forward templates) in forward mode; and
forward mode over the generated gradient (a Hessian-vector product), so that
no rule writes an adjoint that s2sgrad could not differentiate again. A case
made with ``hessian=True`` (a special point where a rule is written so that its
own derivatives are right, a product at its zeros) has :func:`test_rule` check
its Hessian too, in all the parameters together and both ways (forward over
reverse, and reverse over the generated forward code), so that the mutation
script (``scripts/mutate_rules.py``), which runs :func:`test_rule`, sees a
mutant that breaks only second derivatives.

A rule without cases fails :func:`test_every_rule_has_cases`: nothing is
added to the table untested.
"""

import ast
import importlib
import importlib.util
import itertools
import pathlib
import sys

import numpy as np
import pytest

import s2sgrad
from s2sgrad.rules import builtin_rules
from s2sgrad.rules.methods import ARRAY_METHODS
from s2sgrad.rules.registry import display_name

import rule_cases
from rule_cases import Case

_counter = itertools.count()


def _all_cases():
    cases = []
    for rule in builtin_rules():
        for i, case in enumerate(rule_cases.cases_for(rule)):
            cases.append(pytest.param(rule, case, id=f"{rule.name}-{i}"))
    for method, method_cases in sorted(rule_cases.METHOD_CASES.items()):
        for i, case in enumerate(method_cases):
            cases.append(pytest.param(None, case, id=f"method .{method}()-{i}"))
    for i, case in enumerate(rule_cases.NONDIFFERENTIABLE_CASES):
        cases.append(pytest.param(None, case, id=f"nondifferentiable-{i}: {case.expr}"))
    for i, case in enumerate(rule_cases.PATTERN_CASES):
        cases.append(pytest.param(None, case, id=f"pattern-{i}: {case.expr}"))
    return cases


def test_every_rule_has_cases():
    missing = [rule.name for rule in builtin_rules() if not rule_cases.cases_for(rule)]
    assert not missing, f"rules without test cases (add them to tests/rule_cases.py): {missing}"


def _not_its_own_function_here(name):
    """Whether a rule's name spells a NumPy or SciPy function the installed version does not have
    (``np.cumulative_sum`` came in NumPy 2.1, ``scipy.special.softplus`` in SciPy 1.15) or has only as
    another's alias (``np.max`` is ``np.amax`` before NumPy 1.25): s2sgrad registers no rule of that
    name there, and its cases are not stale."""
    module, _, attr = name.rpartition(".")
    if module not in ("np", "np.linalg", "scipy.special", "scipy.linalg"):
        return False
    func = getattr(importlib.import_module(module.replace("np", "numpy", 1)), attr, None)
    return func is None or (module.startswith("np") and display_name(func) != name)


def alias_here(name):
    """The name the installed NumPy gives the function ``name`` spells (``np.amax`` for ``np.max`` before
    NumPy 1.25), or None where it has no such function."""
    module, _, attr = name.rpartition(".")
    func = getattr(importlib.import_module(module.replace("np", "numpy", 1)), attr, None)
    return None if func is None else display_name(func)


def test_no_cases_for_unknown_rules():
    names = {rule.name for rule in builtin_rules()}
    stale = sorted(name for name in set(rule_cases.CASES) - names if not _not_its_own_function_here(name))
    assert not stale, f"tests/rule_cases.py has cases for rules that do not exist: {stale}"


def test_every_array_method_has_cases():
    missing = sorted(set(ARRAY_METHODS) - set(rule_cases.METHOD_CASES) - rule_cases.METHODS_WITHOUT_CASES)
    assert not missing, f"array methods without test cases: {missing}"


def test_every_rule_has_both_modes():
    """Forward templates come with every rule (a linear rule's is the function itself)."""
    one_sided = [rule.name for rule in builtin_rules() if set(rule.vjp) != set(rule.jvp)]
    assert not one_sided, f"rules with a reverse template but no forward one, or the other way: {one_sided}"


# ------------------------------------------------------------------ the matrix
_MODULES = {}    # one module per call written out: cases differing only in shapes share it (and its code)


def _module(tmp_path, case, rng):
    """Write the case as a user module (or reuse one); returns it and the arguments (R last)."""
    args = {name: spec(rng) for name, spec in case.args.items()}
    names = list(args)
    key = (case.expr, id(case.fn), case.outputs, case.used, tuple(names))
    module = _MODULES.get(key)
    if module is None:
        module = _MODULES[key] = _write_module(tmp_path, case, names)
    out = module.value(*[args[n] for n in names])
    outs = [out[k] for k in case.used] if case.outputs else [out]
    seeds = [rng.standard_normal(np.shape(o)) for o in outs]
    seeds = [float(s) if np.ndim(s) == 0 else s for s in seeds]
    return module, names, [args[n] for n in names] + seeds


def _write_module(tmp_path, case, names):
    source = ["import numpy as np"]
    if rule_cases.HAS_SCIPY:
        source.append("import scipy.special\nimport scipy.linalg")
    source.append("fn = None\n")
    params = ", ".join(names)
    source.append(f"def value({params}):\n    return {case.expr}\n")
    if case.outputs:
        seeds = [f"R{k}" for k in case.used]
        targets = ", ".join(f"out{k}" for k in range(case.outputs))
        total = " + ".join(f"np.sum(out{k} * R{k})" for k in case.used)
        source.append(f"def loss({params}, {', '.join(seeds)}):\n    {targets} = {case.expr}\n"
                      f"    return {total}\n")
    else:
        source.append(f"def loss({params}, R):\n    return np.sum(({case.expr}) * R)\n")
    return _imported(tmp_path / f"rule_case_{next(_counter)}.py", source, case)


def _imported(path, source, case):
    """The module of ``source`` (lines), written to ``path`` and imported; ``fn`` is the case's function."""
    path.write_text("\n".join(source))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    module.fn = case.fn
    return module


def _wrt(case, names, values):
    if case.wrt is not None:
        return list(case.wrt)
    return [n for n, v in zip(names, values)
            if isinstance(v, float) or (isinstance(v, np.ndarray) and v.dtype.kind == "f")]


def _perturbed(values, index, delta):
    new = list(values)
    new[index] = values[index] + delta
    return new


def numerical_gradient(f, values, index, eps):
    x = np.asarray(values[index], dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        delta = float(step) if np.ndim(values[index]) == 0 and isinstance(values[index], float) else step
        up = f(*_perturbed(values, index, delta))
        down = f(*_perturbed(values, index, -delta))
        out[i] = (up - down) / (2 * eps)
    return out


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")   # NaN cases, on purpose
@pytest.mark.parametrize("rule, case", _all_cases())
def test_rule(rule, case, tmp_path):
    rng = np.random.default_rng(20240611)
    module, names, values = _module(tmp_path, case, rng)
    wrt = _wrt(case, names, values[:len(names)])
    assert wrt, f"case {case.expr} differentiates nothing"
    indices = [names.index(n) for n in wrt]
    expected = [numerical_gradient(module.loss, values, i, case.eps) for i in indices]

    derivative = s2sgrad.value_and_grad(module.loss, wrt=tuple(wrt) if len(wrt) > 1 else wrt[0])
    value, grads = derivative(*values)
    generic_value, generic_grads = derivative.generic.function(*values)
    if len(wrt) == 1:
        grads, generic_grads = (grads,), (generic_grads,)
    for label, found in (("specialized", grads), ("generic", generic_grads)):
        for name, g, e in zip(wrt, found, expected):
            assert np.shape(g) == np.shape(e), f"{label} gradient of {name}: shape {np.shape(g)} != {np.shape(e)}"
            np.testing.assert_allclose(g, e, rtol=case.rtol, atol=case.atol,
                                       err_msg=f"{label} reverse-mode gradient of {name} for {case.expr}\n"
                                               f"{derivative.source}")
    np.testing.assert_allclose(generic_value, value)
    if case.hessian:        # a rule written so that its adjoint's own derivatives are right (at zeros, say)
        v, product = check_hessian_vector_product(module, names, values, wrt, rng, case)
        if rule is None or rule.jvp:
            check_reverse_over_forward(module, names, values, wrt, v, product, case)

    if rule is not None and not rule.jvp:
        return
    if case.skip_forward:
        pytest.skip(case.skip_forward)
    tangents = [rng.standard_normal(np.shape(values[i])) for i in indices]
    tangents = [float(t) if isinstance(values[i], float) else t for t, i in zip(tangents, indices)]
    expected_tangent = sum(float(np.sum(e * t)) for e, t in zip(expected, tangents))
    forward = s2sgrad.jvp(module.loss, wrt=tuple(wrt) if len(wrt) > 1 else wrt[0])
    seeds = tangents[0] if len(wrt) == 1 else tuple(tangents)
    _, tangent = forward(*values, seeds)
    _, generic_tangent = forward.generic.function(
        *values, **dict(zip(forward.generic.function.__code__.co_varnames[len(values):], tangents)))
    for label, found in (("specialized", tangent), ("generic", generic_tangent)):
        np.testing.assert_allclose(found, expected_tangent, rtol=case.rtol, atol=case.atol,
                                   err_msg=f"{label} forward-mode tangent for {case.expr}\n{forward.source}")


# ---------------------------------------------------------- a uniform seed
def _summed_module(tmp_path, case):
    """The case as ``np.sum(expr)``: the adjoint reaching the rule is then one number standing for a full
    array (``dy = 1.0``), which reverse mode carries as such where the rule allows. And as ``expr`` plus
    another number, for a result that is one number: in the code for arguments of any shape its adjoint is
    then ``unbroadcast(1.0, y)``, a Python float (which has no ``.ndim``)."""
    params = ", ".join(case.args)
    source = ["import numpy as np", "import scipy.special\nimport scipy.linalg" if rule_cases.HAS_SCIPY else "",
              "fn = None\n", f"def loss({params}):\n    return np.sum({case.expr})\n",
              f"def scaled({params}):\n    return ({case.expr}) + 0.5 * np.sum({next(iter(case.args))})\n"]
    return _imported(tmp_path / f"rule_case_summed_{next(_counter)}.py", source, case)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("rule, case", [c for c in _all_cases() if not c.values[1].outputs])
def test_rule_under_a_uniform_seed(rule, case, tmp_path):
    rng = np.random.default_rng(20240611)
    values = [spec(rng) for spec in case.args.values()]
    names = list(case.args)
    wrt = _wrt(case, names, values)
    module = _summed_module(tmp_path, case)
    number = module.scaled(*values)
    losses = [module.loss] + ([module.scaled] if np.ndim(number) == 0 and np.isfinite(number) else [])
    for loss in losses:
        derivative = s2sgrad.value_and_grad(loss, wrt=tuple(wrt))
        _, found = derivative(*values)
        _, generic = derivative.generic.function(*values)      # the code for arguments of any shape
        for name, g, h in zip(wrt, found, generic if isinstance(generic, tuple) else (generic,)):
            expected = numerical_gradient(loss, values, names.index(name), case.eps)
            for label, gradient, generated in (("specialized", g, derivative), ("generic", h, derivative.generic)):
                np.testing.assert_allclose(gradient, expected, rtol=case.rtol, atol=case.atol,
                                           err_msg=f"{label} gradient of {name} for {loss.__name__} of {case.expr}"
                                                   f"\n{generated.source}")


# ------------------------------------------------------------ second order
# The generated gradient must itself be code s2sgrad can differentiate: a rule whose adjoint calls a function
# without a rule, writes into an array in place or uses syntax s2sgrad refuses makes every Hessian through it fail.
_NO_SECOND_ORDER = {"scipy.linalg.expm": "scipy.linalg.expm_frechet, which expm's adjoint calls, has no rule"}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("rule, case", _all_cases())
def test_rule_second_order(rule, case, tmp_path):
    """Forward mode over the generated gradient (a Hessian-vector product) against central differences of
    the gradient along the same direction."""
    if rule is not None and rule.name in _NO_SECOND_ORDER:
        pytest.skip(_NO_SECOND_ORDER[rule.name])
    rng = np.random.default_rng(20240611)
    module, names, values = _module(tmp_path, case, rng)
    check_hessian_vector_product(module, names, values, _wrt(case, names, values[:len(names)])[:1], rng, case)


def check_hessian_vector_product(module, names, values, wrt, rng, case):
    """``s2sgrad.hvp`` of ``module.loss`` in the parameters ``wrt`` (together, so that the mixed second
    derivatives count), along a random direction, against central differences of the generated gradient
    along it (the gradient itself is checked against the function's own differences)."""
    indices = [names.index(name) for name in wrt]
    v = [float(rng.standard_normal()) if isinstance(values[i], float) else rng.standard_normal(np.shape(values[i]))
         for i in indices]
    step = lambda eps: [x + eps * v[indices.index(k)] if k in indices else x for k, x in enumerate(values)]
    if len(wrt) == 1:
        found = [s2sgrad.hvp(module.loss, wrt=wrt[0])(*values, v[0])]
        gradient = lambda args: [s2sgrad.grad(module.loss, wrt=wrt[0])(*args)]
    else:
        found = s2sgrad.hvp(module.loss, wrt=tuple(wrt))(*values, tuple(v))
        gradient = lambda args: s2sgrad.grad(module.loss, wrt=tuple(wrt))(*args)
    eps = 1e-5
    expected = [(np.asarray(up) - np.asarray(down)) / (2 * eps) for up, down in zip(gradient(step(eps)),
                                                                                    gradient(step(-eps)))]
    for name, f, e in zip(wrt, found, expected):
        np.testing.assert_allclose(f, e, rtol=1e-3, atol=1e-4, err_msg=f"Hessian-vector product in {name} for "
                                                                         f"{case.expr}")
    return v, expected


def check_reverse_over_forward(module, names, values, wrt, v, expected, case):
    """The gradient of the generated forward-mode tangent along ``v`` (reverse over forward), which is the
    Hessian times ``v`` too: the forward templates' own derivatives (``held`` at a product's zeros) are
    checked as the adjoints' are (``expected``: central differences of the gradient along ``v``)."""
    forward = s2sgrad.jvp(module.loss, wrt=wrt[0] if len(wrt) == 1 else tuple(wrt))
    forward(*values, v[0] if len(wrt) == 1 else tuple(v))       # (its source is that of the shapes it last ran on)
    tree = ast.parse(forward.source)
    function = tree.body[-1]
    function.args.args += function.args.kwonlyargs        # the tangents, positionally
    function.args.kwonlyargs, function.args.kw_defaults = [], []
    function.body[-1].value = function.body[-1].value.elts[1]      # the tangent alone
    path = pathlib.Path(module.__file__).with_name(f"rule_case_tangent_{next(_counter)}.py")
    tangent = getattr(_imported(path, ["import numpy as np", ast.unparse(tree)], case), function.name)
    found = s2sgrad.grad(tangent, wrt=tuple(wrt))(*values, *v)
    for name, f, e in zip(wrt, found, expected):
        np.testing.assert_allclose(f, e, rtol=1e-3, atol=1e-4, err_msg=f"reverse over forward mode in {name} for "
                                                                         f"{case.expr}\n{ast.unparse(tree)}")
