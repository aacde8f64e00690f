"""An attribute or method of a module-level array reads as it would for a local array.

``G.T`` and ``G.clip(-0.5, 0.5)`` with ``G`` a module global were worked out once, at compile
time, into unnamed outside values: the derivative could not be written out as a module ("it
refers to T, which no module exports"), and ``G.clip`` was a bound method with no derivative rule
(where ``np.clip(G, ...)`` and ``x.clip(...)`` of a local have one). Now ``G.T`` stays ``G.T`` in
generated code (the written-out module imports ``G``), ``G.clip(...)`` is ``np.clip(G, ...)``
through the method table, and rebinding ``G`` recompiles. The same holds for a NumPy scalar (``np.float64(0.75)``). Constants that are not arrays (a class's
or a namespace's attributes) are read as before.
"""

import re

import numpy as np
import pytest

import s2sgrad
import outside_array_attribute_functions as functions
from finite_differences import numerical_grad
from written_modules import written_out

CASES = [
    (functions.transposed, lambda rng: [0.7]),
    (functions.transposed, lambda rng: [rng.normal(size=(3, 3))]),
    (functions.clipped, lambda rng: [rng.normal(size=(2, 3))]),
    (functions.clipped_in_a_loop, lambda rng: [rng.normal(size=(2, 3))]),
    (functions.summed_and_reshaped, lambda rng: [rng.normal(size=3)]),
    (functions.shaped, lambda rng: [rng.normal(size=3)]),
    (functions.of_a_numpy_scalar, lambda rng: [rng.normal(size=3)]),
    (functions.through_a_class_and_a_namespace, lambda rng: [rng.normal(size=3)]),
]
IDS = [f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)]


@pytest.mark.parametrize("func, make", CASES, ids=IDS)
def test_reverse_and_forward_agree_with_finite_differences(func, make, rng):
    args = make(rng)
    expected = numerical_grad(func, args, 0)
    np.testing.assert_allclose(s2sgrad.grad(func)(*args), expected, rtol=1e-6, atol=1e-8)
    tangent = np.ones_like(args[0]) if np.ndim(args[0]) else 1.0
    _, found = s2sgrad.jvp(func)(*args, tangent)
    np.testing.assert_allclose(found, np.sum(expected * tangent), rtol=1e-6, atol=1e-8)




@pytest.mark.parametrize("func, make", CASES[:-1], ids=IDS[:-1])
def test_the_written_out_module_imports_the_array_and_gives_the_same_gradient(func, make, rng, tmp_path):
    args = make(rng)
    derivative = s2sgrad.grad(func)
    expected = derivative(*args)
    written, text = written_out(derivative, tmp_path, func.__name__)
    assert re.search(r"^from outside_array_attribute_functions import (G|SCALE)$", text, re.M)
    np.testing.assert_allclose(getattr(written, f"grad_{func.__name__}")(*args), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, numerical_grad(func, args, 0), rtol=1e-6, atol=1e-8)


def test_the_generated_code_reads_the_attribute_and_maps_the_method():
    text = s2sgrad.grad(functions.transposed).module_source()
    assert "G.T @ G" in text
    text = s2sgrad.grad(functions.clipped).module_source()
    assert "np.clip(G, -0.5, 0.5)" in text
    text = s2sgrad.grad(functions.of_a_numpy_scalar).module_source()
    assert "np.copy(SCALE)" in text and "SCALE.T" in text and "np.clip(SCALE, 0, 0.5)" in text


@pytest.mark.parametrize("func", [functions.transposed, functions.clipped, functions.shaped],
                         ids=lambda f: f.__name__)
def test_rebinding_the_array_recompiles(func, rng, monkeypatch):
    x = rng.normal(size=(1, 3)) if func is functions.clipped else rng.normal(size=3)
    derivative, forward = s2sgrad.grad(func), s2sgrad.jvp(func)
    derivative(x), forward(x, np.ones_like(x))
    for new in (functions.G * 3.0 - 0.4, rng.normal(size=(2, 3)), rng.normal(size=(4, 3))):
        monkeypatch.setattr(functions, "G", new)
        expected = numerical_grad(func, [x], 0)
        np.testing.assert_allclose(derivative(x), expected, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(forward(x, np.ones_like(x))[1], np.sum(expected), rtol=1e-6, atol=1e-8)


def test_an_attribute_of_a_non_array_is_still_read_once_and_followed_when_rebound(rng, monkeypatch):
    func = functions.through_a_class_and_a_namespace
    x = rng.normal(size=3)
    derivative = s2sgrad.grad(func)
    derivative(x)
    monkeypatch.setattr(functions.Config, "LAM", 2.0)
    monkeypatch.setattr(functions.SETTINGS, "scale", np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(derivative(x), numerical_grad(func, [x], 0), rtol=1e-6, atol=1e-8)
