"""Benchmarks (not tests): `make bench` runs every one and prints `name: value unit` lines."""
