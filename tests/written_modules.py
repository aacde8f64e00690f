"""A derivative's module as ``s2sgrad emit`` writes it, imported: for the tests that run written-out code."""

import importlib.util


def written_out(derivative, tmp_path, tag):
    """``(module, text)``: the derivative's standalone module written to ``tmp_path`` and imported."""
    path = tmp_path / f"written_{tag}.py"
    path.write_text(derivative.module_source())
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path.read_text()
