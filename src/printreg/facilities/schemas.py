"""The facility family: a facility's profile and its printers, as the service returns them and
the API, pages and CLI show them; the API's input shapes beside them.

The profile and printer are plain dataclasses because the CLI, pages, synthetic data and tests
build them positionally; the service checks their coded fields and answers every caller with the
same list of issues. The API's input schemas declare the same codes as enums for the OpenAPI.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from printreg.domain.facility import (
    CensusRegion,
    FacilityType,
    LabServiceModel,
    Location,
    PrinterTechnology,
)

__all__ = ["FacilityCreate", "FacilityProfile", "PrinterChanges", "PrinterCreate", "PrinterInfo",
           "PrinterUpdate"]  # fmt: skip


@dataclass(frozen=True)
class FacilityProfile:
    """What a facility is: the fields of its profile (codes of the domain's facility enums)."""

    code: str
    name: str
    facility_type: str
    location: str
    census_region: str
    lab_service_model: str
    #: the local order its dates are read in besides ISO (DMY, MDY); None: ISO only
    date_order: str | None = None


@dataclass(frozen=True)
class PrinterInfo:
    """A printer of a facility's inventory (``technology``: a `PrinterTechnology` code)."""

    facility: str
    label: str
    manufacturer: str
    model: str
    technology: str
    id: int | None = None
    active: bool = True  # False: retired, kept on the cases printed with it, never offered anew


@dataclass(frozen=True)
class PrinterChanges:
    """The fields of a printer to change; None leaves one as it is."""

    label: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    technology: str | None = None


class FacilityCreate(BaseModel):
    """A facility to add (API input)."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    facility_type: FacilityType
    location: Location
    census_region: CensusRegion
    lab_service_model: LabServiceModel

    def profile(self) -> FacilityProfile:
        """Return the profile this input describes."""
        return FacilityProfile(**self.model_dump(mode="json"))


class PrinterCreate(BaseModel):
    """A printer to add to a facility's inventory (API input)."""

    label: str = Field(min_length=1, max_length=64)
    manufacturer: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    technology: PrinterTechnology

    def info(self, facility: str) -> PrinterInfo:
        """Return the printer this input describes, at a facility."""
        return PrinterInfo(facility, **self.model_dump(mode="json"))


class PrinterUpdate(BaseModel):
    """Changes to a printer (API input): the fields given change, the others stay. ``active``
    false retires it (the case form no longer offers it; a ``reason`` is required and audited),
    true offers it again."""

    label: str | None = Field(default=None, min_length=1, max_length=64)
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    technology: PrinterTechnology | None = None
    active: bool | None = None
    reason: str = Field(default="", max_length=2000)

    def changes(self) -> PrinterChanges:
        """Return the printer fields this input changes."""
        return PrinterChanges(
            **self.model_dump(mode="json", include={"label", "manufacturer", "model", "technology"})
        )
