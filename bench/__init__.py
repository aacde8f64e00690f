"""Benchmark of s2sgrad against hand-written NumPy gradients and other AD systems.

A package only so that ``bench.workloads`` can be imported by the tests; run
it with ``python bench/run.py``.
"""
