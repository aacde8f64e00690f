"""Shared fixtures: a seeded random generator. The finite-difference helpers are in finite_differences.py."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
