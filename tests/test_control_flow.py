"""Reverse mode through loops, branches, array writes and containers, checked numerically."""

import numpy as np
import pytest

from s2sgrad import GradError, grad
from s2sgrad.api import Gradient

import control_flow_functions as cf
from finite_differences import assert_grads_close


def check(f, args, wrt):
    grads = grad(f, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    assert_grads_close(f, grads, args, indices)


@pytest.mark.parametrize("T", [1, 7, 50])
def test_rnn(rng, T):
    args = (rng.normal(size=(T, 2, 3)), rng.normal(size=(2, 4)), 0.5 * rng.normal(size=(3, 4)),
            0.3 * rng.normal(size=(4, 4)), rng.normal(size=(4, 2)), rng.normal(size=(2, 2)))
    check(cf.rnn, args, (1, 2, 3, 4))


def test_list_of_hidden_states(rng):
    args = (rng.normal(size=(5, 2, 3)), rng.normal(size=(2, 4)), 0.5 * rng.normal(size=(3, 4)),
            0.3 * rng.normal(size=(4, 4)))
    check(cf.rnn_hidden_states, args, (1, 2, 3))


@pytest.mark.parametrize("scale", [1.0, -0.1, -3.0])   # each branch in turn
def test_branches(rng, scale):
    x, w = rng.random(4), rng.random(4)
    check(cf.branch_on_value, (x * scale, w), (0, 1))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_return_inside_a_branch(rng, sign):
    check(cf.return_in_branch, (sign * (rng.random(4) + 0.1), rng.normal(size=4)), (0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "weighted", "max"])
def test_returns_in_an_elif_chain(rng, reduction):
    """What follows an ``elif`` that returns runs only where no branch did (it ran after the chain)."""
    check(cf.returns_in_an_elif_chain, (rng.normal(size=4), rng.normal(size=4), reduction), (0, 1))


@pytest.mark.parametrize("k", [0, 1, 2])
def test_a_branch_that_exits_on_some_paths(rng, k):
    check(cf.exits_on_some_paths_of_a_branch, (rng.normal(size=4), k), 0)


def test_a_loop_body_that_breaks_on_some_paths(rng):
    x, w = np.array([-0.5, 0.7, 0.2, 0.9]), np.array([0.3, 0.2, 0.9, 0.1])
    check(cf.loop_exits_on_some_paths, (x, w), (0, 1))


def test_continue_in_a_nested_branch(rng):
    x, w = np.array([-0.5, 0.7, -0.2, 0.9]), np.array([0.3, -0.2, -0.9, 0.1])     # every path, once
    check(cf.continue_in_a_nested_branch, (x, w), (0, 1))


def test_branches_that_would_copy_too_much_code_are_refused():
    """Each branch that exits on some of its paths only doubles the code after it; past a budget, the
    function is refused (quickly) rather than compiled into thousands of lines."""
    with pytest.raises(GradError, match="too many branches that exit on some of their paths only"):
        grad(cf.many_branches_that_may_continue)(np.linspace(-1, 1, 5), np.linspace(1, -1, 5))


def test_an_elif_chain_in_a_helper_called_with_a_constant(rng):
    check(cf.calls_the_chain_with_a_constant, (rng.normal(size=4), rng.normal(size=4)), (0, 1))


def test_branch_on_loop_counter(rng):
    check(cf.branch_on_counter, (rng.normal(size=3), rng.random(3) + 0.5), (0, 1))


@pytest.mark.parametrize("start", [0.1, 2.0, 20.0])   # several trips, one, none
def test_while_loop_with_data_dependent_trip_count(rng, start):
    check(cf.while_data_dependent, (start * rng.random(3), rng.random(3) + 1.0), (0, 1))


def test_break(rng):
    check(cf.loop_with_break, (rng.random(3), rng.random(3) + 0.5), (0, 1))


def test_continue(rng):
    check(cf.loop_with_continue, (rng.normal(size=6), rng.normal(size=6)), (0, 1))


def test_nested_loops(rng):
    check(cf.nested_loops, (rng.normal(size=3), rng.normal(size=3)), (0, 1))


def test_array_writes_inside_loops(rng):
    check(cf.array_writes, (rng.normal(size=(4, 3)), rng.normal(size=(4, 3))), (0, 1))


def test_loop_over_rows(rng):
    check(cf.loop_over_rows, (rng.normal(size=(4, 3)), rng.normal(size=3)), (0, 1))


def test_loop_over_zip_and_enumerate(rng):
    check(cf.loop_over_zip_and_enumerate, (rng.normal(size=(4, 3)), rng.normal(size=4)), (0, 1))


def test_dict_parameters_give_a_dict_of_gradients(rng):
    p = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    x = rng.normal(size=(4, 3))
    dp = grad(cf.dict_parameters)(p, x)
    assert set(dp) == {"W", "b"}
    as_arrays = lambda W, b: cf.dict_parameters({"W": W, "b": b}, x)
    assert_grads_close(as_arrays, (dp["W"], dp["b"]), (p["W"], p["b"]), (0, 1))


def test_tuples(rng):
    check(cf.tuple_from_helper, (rng.normal(size=3), rng.normal(size=3)), (0, 1))


def test_recursion(rng):
    check(cf.recursion, (rng.normal(size=3), rng.normal(size=3)), (0, 1))


def test_the_tape_is_a_plain_list_and_only_what_is_needed_is_pushed(rng):
    args = (rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(3, 4)),
            rng.normal(size=(4, 4)), rng.normal(size=(4, 2)), rng.normal(size=(2, 2)))
    g = grad(cf.rnn, wrt=("Wx", "Wh"))
    g(*args)
    assert "tape = []" in g.source and "s2sgrad" not in g.source
    assert "for t in reversed(range(" in g.source       # the loop structure stays visible
    pushed = [line.strip() for line in g.source.splitlines() if "tape.append(" in line]
    assert pushed == ["tape.append(t3)", "tape.append(h)"], pushed  # the input slice and the state


def test_print_runs_in_the_primal_only(rng, capsys):
    x, w = rng.normal(size=3), rng.normal(size=3)
    g = grad(cf.prints_progress, wrt=1)
    g(x, w)                      # the first call also runs the primal once to learn shapes
    capsys.readouterr()
    dw = g(x, w)
    assert capsys.readouterr().out == "step 0\nstep 1\nstep 2\n"     # once per step: not in the adjoint
    assert_grads_close(cf.prints_progress, (dw,), (x, w), (1,))


def test_helpers_in_nested_scopes_with_closures(rng):
    model = cf.make_closure_model(0.7)
    check(model, (rng.normal(size=(3, 4)), rng.normal(size=4)), (0, 1))


@pytest.mark.parametrize("first, then", [(1.0, -1.0), (-1.0, 1.0)])
def test_a_specialization_learned_on_one_branch_serves_the_other(rng, first, then):
    """The shapes the probe saw on one path are not taken for those of another path (same argument
    shapes, so the same specialization serves both): a branch that reshapes makes them unknown."""
    x = rng.random(3) + 0.1
    gradient = Gradient(cf.shape_set_by_a_branch, 0)      # a new one (grad's are cached per function)
    gradient(first * x)
    assert_grads_close(cf.shape_set_by_a_branch, (gradient(then * x),), (then * x,), (0,))


@pytest.mark.parametrize("first, then", [(1.0, -1.0), (-1.0, 1.0)])
def test_a_shape_set_by_a_branch_reaches_a_list_and_its_stack(rng, first, then):
    """A value whose shape differs between paths, appended to a list: the list's stack (and its mean's
    1 / size) differs too (campaign seed 901797: the mean's size from the probe's path was kept)."""
    x, w = rng.normal(size=3), rng.random(3) + 0.1
    gradient = Gradient(cf.shape_set_by_a_branch_through_a_list, 0)
    gradient(x, first * w)
    assert_grads_close(cf.shape_set_by_a_branch_through_a_list, (gradient(x, then * w),), (x, then * w), (0,))


def test_a_value_made_in_one_loop_and_refined_in_the_next(rng):
    """y is bound only by the first loop (maybe, as far as the code says); its adjoint must still flow
    out of the second loop into the first (it was dropped: a zero gradient)."""
    check(cf.value_of_a_loop_refined_by_another, (rng.normal(size=(2, 3)),), 0)


def test_a_conditional_expression_on_a_module_constant_keeps_only_its_branch(rng):
    check(cf.conditional_expression_on_a_constant, (rng.normal(size=4),), 0)
    assert "fft" not in grad(cf.conditional_expression_on_a_constant).source_for(np.ones(4))


def penalty_summed_in_a_loop(x, W):
    total = 0.0
    for k in range(2):
        total = total + np.sum(W ** 2)
    if np.sum(x) > 0:
        total = total * 1.0
    return total + np.sum(x @ W)


def test_a_primal_loop_or_branch_left_with_nothing_to_do_is_left_out(rng):
    """The gradient needs none of the loop's values: dead code removal empties it, and the empty loop goes too."""
    x, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    source = grad(penalty_summed_in_a_loop, wrt=1).source_for(x, W)
    assert "pass" not in source and "for k in range(2)" not in source, source
    assert_grads_close(penalty_summed_in_a_loop, grad(penalty_summed_in_a_loop, wrt=(1,))(x, W), (x, W), (1,))
