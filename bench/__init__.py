"""Benchmarks of issue 6: see bench/run.py and docs/benchmarks.md."""
