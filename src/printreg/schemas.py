"""Shared schema bases: every feature's Create / Update / Public family builds on these.

A feature's services return its Public schemas, and the API, the pages and the CLI use the same
objects, so a shape is written once. Problems are the domain's `Issue` everywhere.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from printreg.domain.issues import Issue

__all__ = ["Issue", "ProblemOut", "PublicModel"]


class PublicModel(BaseModel):
    """A shape that leaves a service: immutable, readable from ORM rows and dataclasses."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


class ProblemOut(BaseModel):
    """An error response; ``issues`` lists validation problems when there are any."""

    detail: str
    issues: list[Issue] | list[str] | None = None
