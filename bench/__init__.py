"""Reproducible benchmarks; see bench/README.md."""
