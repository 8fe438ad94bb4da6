"""Registries and their definitions: list, show, check a definition file, summarise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.domain.errors import Conflict, InvalidRequest, NotFound
from printreg.domain.governance import Lifecycle, check_lifecycle
from printreg.domain.reasons import optional_reason, required_reason
from printreg.platform import Platform
from printreg.registries.models import DefinitionVersion, Registry
from printreg.registries.schemas import RegistryPublic

if TYPE_CHECKING:  # definitions, case tables and versions load when a method needs them:
    # listing registries (`printreg registry list`, the menus) parses no definition.
    from printreg.dictionary import Definition, DefinitionDiff
    from printreg.governance.versions import MigrationReport, Selection, UpgradeReport


@dataclass(frozen=True)
class DefinitionCheck:
    """A definition file checked: loaded, functions bound, compared with the stored version."""

    definition: Definition
    diff: DefinitionDiff | None


@dataclass(frozen=True)
class VersionInfo:
    """A published definition version and how many stored cases follow it."""

    version: str
    published_at: dt.datetime
    current: bool
    cases: int


@dataclass(frozen=True)
class RegistrySummary:
    """What the registry holds: counts by facility, status and the main coded elements."""

    registry: str
    facilities: int
    cases: int
    by_status: dict[str, int]
    by_element: dict[str, dict[str, int]]


class RegistryService:
    """Registries and definitions: views, checks, lifecycle, publishing versions, case upgrades."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def registries(self) -> list[RegistryPublic]:
        """Return every hosted registry, by code, from its stored rows alone.

        Unlike ``info`` this parses no definition and builds no case table: listing the
        registries is what `printreg registry list` and the registry menus do at start.
        """
        with self.platform.sessions() as session:
            registries = session.scalars(select(Registry).order_by(Registry.code)).all()
            versions: dict[int, list[str]] = {}
            for registry_id, version in session.execute(
                select(DefinitionVersion.registry_id, DefinitionVersion.version)
            ):
                versions.setdefault(registry_id, []).append(version)
            return [
                RegistryPublic(
                    code=r.code,
                    name=r.name,
                    lifecycle=r.lifecycle,
                    current_version=r.current_version,
                    versions=sorted(versions.get(r.id, [])),
                )
                for r in registries
            ]

    def info(self, code: str) -> RegistryPublic:
        """Return one registry; NotFound when there is no such registry."""
        runtime = self.platform.registry(code)
        with self.platform.sessions() as session:
            registry = session.scalars(select(Registry).where(Registry.code == code)).one()
            return RegistryPublic(
                code=registry.code,
                name=registry.name,
                lifecycle=registry.lifecycle,
                current_version=registry.current_version,
                versions=sorted(runtime.definitions),
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
        """Load a definition file, bind its functions, check the quality rules beside it
        (``quality.yaml``) against it, and diff it against the stored current one.

        Raises DefinitionError listing every problem; the diff is None for a new registry.
        """
        from printreg.dictionary import diff_definitions, load_definition
        from printreg.quality.rules import QUALITY_FILE, parse_spec
        from printreg.validation import ensure_bound

        definition = load_definition(path)
        ensure_bound(definition)
        rules = path.parent / QUALITY_FILE
        if rules.is_file():
            parse_spec(rules.read_text("utf-8"), definition, str(rules))
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

    # -- governance: lifecycle and versions (registry administrators) ---------------------------

    def set_lifecycle(self, code: str, state: str, reason: str = "") -> RegistryPublic:
        """Move a registry to another lifecycle state (draft → pilot → active → closed), audited;
        Conflict for a move that is not allowed. Closing is final and needs a reason."""
        self.platform.registry(code)
        self.actor.require_registry_admin(code)
        with self.platform.sessions() as session, session.begin():
            registry = session.scalars(select(Registry).where(Registry.code == code)).one()
            target = check_lifecycle(registry.lifecycle, state)
            if target == Lifecycle.CLOSED:  # final: say why, for those who will ask
                reason = required_reason(reason, "close the registry")
            else:
                reason = optional_reason(reason)
            before = {"lifecycle": registry.lifecycle}
            registry.lifecycle = target.value
            audit(
                session,
                self.actor,
                "lifecycle",
                "registry",
                code,
                registry_code=code,
                before=before,
                after={"lifecycle": target.value, "reason": reason},
            )
        return self.info(code)

    def versions(self, code: str) -> list[VersionInfo]:
        """Return the published versions of a registry, oldest first, with their case counts
        (registry administrators: the counts are not suppressed)."""
        runtime = self.platform.registry(code)
        self.actor.require_registry_admin(code)
        main = runtime.tables.main
        with self.platform.sessions() as session:
            registry = session.scalars(select(Registry).where(Registry.code == code)).one()
            rows = session.scalars(
                select(DefinitionVersion).where(DefinitionVersion.registry_id == registry.id)
            ).all()
            counts: dict[str, int] = dict(
                session.execute(
                    select(main.c.definition_version, func.count())
                    .where(main.c.deleted_at.is_(None))
                    .group_by(main.c.definition_version)
                ).all()
            )
            out = [
                VersionInfo(
                    r.version,
                    r.published_at,
                    r.version == registry.current_version,
                    counts.get(r.version, 0),
                )
                for r in rows
            ]
        return sorted(out, key=lambda v: tuple(int(p) for p in v.version.split(".")))

    def publish(
        self, code: str, text: str, *, dry_run: bool = True, base: Path | None = None
    ) -> MigrationReport:
        """Return the migration report of a new definition version (YAML text); unless
        ``dry_run``, publish it: case tables and columns are added, new cases follow it, stored
        cases keep their version. Conflict when the report lists problems.

        The operator may publish the first version of a new registry, which starts as draft.
        """
        from printreg.dictionary import load_definition_text
        from printreg.governance.versions import migration_report
        from printreg.storage.case_tables import build_case_tables
        from printreg.storage.schema import checksum, ensure_case_tables, register_definition
        from printreg.validation import ensure_bound

        with self.platform.sessions() as session:
            known = session.scalar(select(Registry.id).where(Registry.code == code)) is not None
        if known:
            self.platform.registry(code)
            self.actor.require_registry_admin(code)
        elif not self.actor.system:
            raise NotFound(f"no registry with code {code!r}: see 'printreg registry list'")
        definition = load_definition_text(text, f"definition for {code}", base)
        ensure_bound(definition)
        if definition.registry.code != code:
            raise InvalidRequest(
                f"the definition is of registry {definition.registry.code!r}, not {code!r}"
            )
        if not known:
            return self._publish_new(definition, dry_run=dry_run)
        runtime = self.platform.registry(code)
        report = migration_report(self.platform, runtime, definition, dry_run=dry_run)
        if dry_run:
            return report
        if report.problems:
            raise Conflict("the version cannot be published: " + "; ".join(report.problems))
        versions = [*runtime.definitions.values(), definition]
        ensure_case_tables(self.platform.engine, build_case_tables(code, versions))
        with self.platform.sessions() as session, session.begin():
            register_definition(session, definition)
            audit(
                session,
                self.actor,
                "publish",
                "definition_version",
                definition.version,
                registry_code=code,
                before={"current_version": runtime.current.version},
                after={
                    "version": definition.version,
                    "checksum": checksum(definition),
                    "changes": len(report.changes),
                    "cases_checked": report.cases_checked,
                    "cases_invalid": report.cases_invalid,
                },
            )
        self.platform.forget(code)
        return replace(report, published=True)

    def _publish_new(self, definition: Definition, *, dry_run: bool) -> MigrationReport:
        from printreg.governance.versions import MigrationReport
        from printreg.storage.case_tables import build_case_tables
        from printreg.storage.schema import checksum, ensure_case_tables, register_definition

        code = definition.registry.code
        tables = build_case_tables(code, [definition])
        report = MigrationReport(
            code,
            None,
            definition.version,
            dry_run,
            tables_added=[t.name for t in tables.all_tables],
            elements_added=[e.name for e in definition.elements.values()],
        )
        if dry_run:
            return report
        ensure_case_tables(self.platform.engine, tables)
        with self.platform.sessions() as session, session.begin():
            register_definition(session, definition, lifecycle=Lifecycle.DRAFT.value)
            audit(
                session,
                self.actor,
                "publish",
                "definition_version",
                definition.version,
                registry_code=code,
                after={
                    "version": definition.version,
                    "checksum": checksum(definition),
                    "lifecycle": Lifecycle.DRAFT.value,
                },
            )
        self.platform.forget(code)
        return replace(report, published=True)

    def upgrade_cases(
        self, code: str, selection: Selection, to_version: str, *, dry_run: bool = True
    ) -> UpgradeReport:
        """Re-validate the chosen cases (or "all") against a published version and, unless
        ``dry_run``, move the valid ones to it (each audited); report the others and why."""
        from printreg.governance.versions import upgrade

        runtime = self.platform.registry(code)
        self.actor.require_registry_admin(code)
        if to_version not in runtime.definitions:
            raise NotFound(f"registry {code} has no version {to_version}")
        return upgrade(self.platform, self.actor, runtime, selection, to_version, dry_run=dry_run)
