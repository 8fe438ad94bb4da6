"""Synthetic, fictional registry data for demos, tests and benchmarks (no real patient or site)."""

from printreg.synthetic.generator import (
    FacilityPlan,
    SyntheticRegistry,
    SynthFacility,
    SynthPrinter,
)

__all__ = ["FacilityPlan", "SynthFacility", "SynthPrinter", "SyntheticRegistry"]
