"""Golden sources: the generated code users read, pinned.

A change to the output is a change to the product: when it is intended,
regenerate with ``S2SGRAD_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_sources.py``
and review the diff of ``tests/golden/`` like any other code change.
"""

import os
import pathlib

import numpy as np
import pytest

from s2sgrad import grad

import control_flow_functions as cf
from lecture import cost, make_data

GOLDEN = pathlib.Path(__file__).parent / "golden"


def lecture_cost():
    args = make_data(np.random.default_rng(0), N=5, D=3, M=4, C=3)
    return grad(cost, wrt=("W", "V")).source_for(*args)


def rnn():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(50, 32, 16)), rng.normal(size=(32, 64)), rng.normal(size=(16, 64)),
            rng.normal(size=(64, 64)), rng.normal(size=(64, 4)), rng.normal(size=(32, 4)))
    return grad(cf.rnn, wrt=("Wx", "Wh", "Wy")).source_for(*args)


def branching():
    rng = np.random.default_rng(0)
    return grad(cf.branch_on_value, wrt=(0, 1)).source_for(rng.random(4), rng.random(4))


CASES = {"lecture_cost_grad.py": lecture_cost, "rnn_grad.py": rnn, "branch_grad.py": branching}


@pytest.mark.parametrize("filename", sorted(CASES))
def test_generated_source_is_unchanged(filename):
    source = CASES[filename]()
    path = GOLDEN / filename
    if os.environ.get("S2SGRAD_UPDATE_GOLDEN"):
        path.write_text(source)
    assert path.exists(), f"no golden file {path}; run with S2SGRAD_UPDATE_GOLDEN=1 to create it"
    assert source == path.read_text()


def test_the_lecture_gradient_reads_like_the_hand_derivation():
    source = lecture_cost()
    assert "dW = Z.T @ dU" in source
    assert "dZ = dU @ W.T" in source
    assert "dV = X.T @ dQ" in source
    assert "unbroadcast" not in source        # shapes are known: reductions are spelled out
    assert "dX" not in source and "dY" not in source
