"""Fixtures for the differential fuzz tests: where generated programs are written."""

import shutil
import tempfile

import pytest


@pytest.fixture(scope="session")
def fuzz_dir():
    """A directory for the generated user modules and emitted derivatives (session-wide: Hypothesis
    runs many examples per test, and a function-scoped tmp_path would be shared by them anyway)."""
    directory = tempfile.mkdtemp(prefix="s2sgrad-fuzz-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)
