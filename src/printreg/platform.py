"""The running platform: database, settings and each registry's definitions and tables."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from printreg.domain.errors import NotFound
from printreg.registries.models import DefinitionVersion, Registry
from printreg.settings import Settings
from printreg.storage.base import utcnow
from printreg.storage.engine import make_engine, make_sessionmaker, read_engine

if TYPE_CHECKING:  # loaded with the first registry runtime: listing registries needs none
    from printreg.dictionary import Definition
    from printreg.storage.case_tables import CaseTables
    from printreg.storage.cases import CaseReader, CaseWriter


@dataclass
class RegistryRuntime:
    """One registry as the services use it: every stored version, the current one, its tables."""

    code: str
    definitions: dict[str, Definition]
    current: Definition
    tables: CaseTables
    _writers: dict[str, CaseWriter] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def reader(self) -> CaseReader:
        """Return the reader of this registry's cases."""
        from printreg.storage.cases import CaseReader

        return CaseReader(self.tables, self.definitions)

    def writer(self, version: str) -> CaseWriter:
        """Return the writer for cases that follow ``version`` (one per version, kept: it
        works out once how a record maps onto the tables)."""
        writer = self._writers.get(version)
        if writer is None:
            from printreg.storage.cases import CaseWriter

            writer = self._writers[version] = CaseWriter(self.tables, self.definitions[version])
        return writer


@dataclass
class Platform:
    """Settings, engine, sessions and a cache of registry runtimes, built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _registries: dict[str, RegistryRuntime] = field(default_factory=dict)
    #: analytics caches by registry code (see printreg.dashboards.service)
    analytics: dict[str, Any] = field(default_factory=dict)
    #: the current time (UTC); tests replace it to move time (data request expiry)
    clock: Callable[[], dt.datetime] = utcnow
    #: seconds a loaded registry is used before its stored versions are compared again: another
    #: process (a web worker, `printreg registry publish`) may have published a version
    registry_recheck_seconds: float = 5.0
    _checked: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Code that only holds a session (``notifications.notify`` inside a decision) finds the
        # settings and the sessions of its platform here.
        self.sessions.configure(info={"platform": self})

    @classmethod
    def from_settings(cls, settings: Settings) -> Platform:
        """Return a platform connected to the settings' database (which must be upgraded)."""
        engine = make_engine(
            settings.database_url,
            busy_ms=settings.sqlite_busy_ms,
            pre_ping=settings.database_pool_pre_ping,
            ping_idle_seconds=settings.database_pool_ping_idle_seconds,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        return cls(settings, engine, make_sessionmaker(engine))

    @cached_property
    def reads(self) -> sessionmaker[Session]:
        """Return the factory of sessions that only read (autocommit on PostgreSQL: no BEGIN or
        ROLLBACK round trip, prepared statements kept; see ``storage.engine.read_engine``). Never
        write through one: each statement would commit on its own."""
        return make_sessionmaker(self.read_engine)

    @cached_property
    def read_engine(self) -> Engine:
        """Return the engine behind ``reads``, for a statement that needs no session."""
        return read_engine(self.engine)

    def registry(self, code: str) -> RegistryRuntime:
        """Return the runtime of a registry, loading it on first use, and again when another
        process has published a version since (checked every ``registry_recheck_seconds``);
        NotFound if unknown."""
        loaded = self._registries.get(code)
        if loaded is not None and self._outdated(loaded):
            self.forget(code)
        if code not in self._registries:
            from printreg.storage.case_tables import build_case_tables
            from printreg.storage.schema import stored_definitions
            from printreg.validation import ensure_bound

            with self.sessions() as session:
                if session.scalar(select(Registry.id).where(Registry.code == code)) is None:
                    raise NotFound(f"no registry with code {code!r}: see 'printreg registry list'")
                registry = session.scalars(select(Registry).where(Registry.code == code)).one()
                defs = stored_definitions(session, code)
            for definition in defs:
                ensure_bound(definition)
            by_version = {d.version: d for d in defs}
            self._registries[code] = RegistryRuntime(
                code,
                by_version,
                by_version[registry.current_version],
                build_case_tables(code, defs),
            )
            self._checked[code] = time.monotonic()
        return self._registries[code]

    def _outdated(self, runtime: RegistryRuntime) -> bool:
        """Return whether the database's versions of a loaded registry (or its current one)
        differ from the runtime's; compared at most every ``registry_recheck_seconds``."""
        now = time.monotonic()
        if now - self._checked.get(runtime.code, 0.0) < self.registry_recheck_seconds:
            return False
        with self.sessions() as session:
            rows = session.execute(
                select(Registry.current_version, DefinitionVersion.version)
                .join(DefinitionVersion, DefinitionVersion.registry_id == Registry.id)
                .where(Registry.code == runtime.code)
            ).all()
        self._checked[runtime.code] = now
        current = {row[0] for row in rows}
        stored = {row[1] for row in rows}
        return current != {runtime.current.version} or stored != set(runtime.definitions)

    def registry_codes_cached(self) -> list[str]:
        """Return the codes of the registries loaded so far."""
        return list(self._registries)

    def forget(self, code: str) -> None:
        """Drop a cached registry runtime (after a new definition version is published)."""
        self._registries.pop(code, None)
        self._checked.pop(code, None)
        self.analytics.pop(code, None)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def platform_of(session: Session) -> Platform:
    """Return the platform whose session factory made ``session``; TypeError for a session
    made elsewhere."""
    found = session.info.get("platform")
    if not isinstance(found, Platform):
        raise TypeError("this session was not made by a Platform's session factory")
    return found
