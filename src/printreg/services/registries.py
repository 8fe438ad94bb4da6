"""Registries and their definitions: list, show, check a definition file, summarise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from printreg.dictionary import Definition, DefinitionDiff, diff_definitions, load_definition
from printreg.domain.errors import NotFound
from printreg.services.actor import Actor
from printreg.services.platform import Platform
from printreg.storage.platform import Registry
from printreg.validation import ensure_bound


@dataclass(frozen=True)
class RegistryInfo:
    """A hosted registry at a glance."""

    code: str
    name: str
    lifecycle: str
    current_version: str
    versions: list[str]


@dataclass(frozen=True)
class DefinitionCheck:
    """A definition file checked: loaded, functions bound, compared with the stored version."""

    definition: Definition
    diff: DefinitionDiff | None


@dataclass(frozen=True)
class RegistrySummary:
    """What the registry holds: counts by facility, status and the main coded elements."""

    registry: str
    facilities: int
    cases: int
    by_status: dict[str, int]
    by_element: dict[str, dict[str, int]]


class RegistryService:
    """Read-only views of registries and definitions, and definition checks."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def registries(self) -> list[RegistryInfo]:
        """Return every hosted registry, by code."""
        with self.platform.sessions() as session:
            codes = list(session.scalars(select(Registry.code).order_by(Registry.code)))
        return [self.info(code) for code in codes]

    def info(self, code: str) -> RegistryInfo:
        """Return one registry; NotFound when there is no such registry."""
        runtime = self.platform.registry(code)
        with self.platform.sessions() as session:
            registry = session.scalars(select(Registry).where(Registry.code == code)).one()
            return RegistryInfo(
                registry.code,
                registry.name,
                registry.lifecycle,
                registry.current_version,
                sorted(runtime.definitions),
            )

    def definition(self, code: str, version: str | None = None) -> Definition:
        """Return a stored definition version (the current one by default)."""
        runtime = self.platform.registry(code)
        if version is None:
            return runtime.current
        if version not in runtime.definitions:
            raise NotFound(f"registry {code} has no version {version}")
        return runtime.definitions[version]

    def check_definition(self, path: Path) -> DefinitionCheck:
        """Load a definition file, bind its functions and diff it against the stored current one.

        Raises DefinitionError listing every problem; the diff is None for a new registry.
        """
        definition = load_definition(path)
        ensure_bound(definition)
        with self.platform.sessions() as session:
            known = session.scalar(
                select(Registry.id).where(Registry.code == definition.registry.code)
            )
        if known is None:
            return DefinitionCheck(definition, None)
        current = self.platform.registry(definition.registry.code).current
        return DefinitionCheck(definition, diff_definitions(current, definition))

    def summary(self, code: str, elements: tuple[str, ...] = ()) -> RegistrySummary:
        """Return counts of undeleted cases by status and by the given coded elements."""
        runtime = self.platform.registry(code)
        main = runtime.tables.main
        live = main.c.deleted_at.is_(None)
        with self.platform.sessions() as session:
            by_status: dict[str, int] = dict(
                session.execute(
                    select(main.c.status, func.count()).where(live).group_by(main.c.status)
                ).all()
            )
            by_element: dict[str, dict[object, int]] = {
                name: dict(
                    session.execute(
                        select(main.c[name], func.count())
                        .where(live)
                        .group_by(main.c[name])
                        .order_by(func.count().desc())
                    ).all()
                )
                for name in elements
            }
            facilities = session.scalar(select(func.count(func.distinct(main.c.facility_id))))
        return RegistrySummary(
            code,
            facilities or 0,
            sum(by_status.values()),
            by_status,
            {k: {str(c): n for c, n in v.items()} for k, v in by_element.items()},
        )
