"""Benchmarks: each prints its figures next to the baseline it compares with, measured in the same run."""
