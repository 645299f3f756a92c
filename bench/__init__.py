"""Benchmarks (not part of the test run). Run them with `make bench`."""
