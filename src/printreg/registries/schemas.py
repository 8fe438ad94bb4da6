"""The registry family: what the registry service returns and the API shows."""

from __future__ import annotations

from printreg.domain.governance import Lifecycle
from printreg.schemas import PublicModel

__all__ = ["RegistryPublic"]


class RegistryPublic(PublicModel):
    """A hosted registry: its lifecycle state and its published definition versions."""

    code: str
    name: str
    lifecycle: Lifecycle
    current_version: str
    versions: list[str]
