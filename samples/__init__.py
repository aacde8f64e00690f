"""Worked examples; a package so the benchmark and tests can import ``samples.lecture_mlp``."""
