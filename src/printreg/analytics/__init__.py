"""Benchmarks, funnel limits, meta-analysis, value and disclosure control: plain Python, no I/O."""
