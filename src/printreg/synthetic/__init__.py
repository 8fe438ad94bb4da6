"""Synthetic, fictional registry data for demos, tests and benchmarks (no real patient or site)."""

from printreg.synthetic.generator import SyntheticRegistry, SynthFacility, SynthPrinter

__all__ = ["SynthFacility", "SynthPrinter", "SyntheticRegistry"]
