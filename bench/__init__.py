"""Benchmarks (not tests): data generators and measured scenarios; see docs/performance.md."""
