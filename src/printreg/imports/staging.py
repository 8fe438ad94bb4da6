"""All-or-nothing imports on SQLite: stage the whole file apart, then switch it in at once.

SQLite has one write lock for the whole database. Written as one transaction, a large
all-or-nothing import held it for as long as the import ran (about 90 s at 130,000 rows), and
every other write, a sign-in or a case edit, failed meanwhile. Instead the batches are written
in their own short transactions into a separate SQLite file attached to the import's connection
as ``staging`` (a file of its own has a lock of its own: the registry's stays free), and once
every row has passed, one transaction copies the staged rows into the case tables with
``INSERT … SELECT`` inside SQLite: the registry's write lock is held only for that copy.

An updated case is staged whole (every row of every table, its row version one up) and noted in
``staging.import_replaced``; the switch checks that no such case changed meanwhile (optimistic
locking, as the case writer does), removes its old group and multi-value rows and overwrites its
main row. New cases whose local case ID someone else stored meanwhile break the table's unique
key: the switch then fails whole, and nothing is stored.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    Uuid,
    and_,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from printreg.domain.errors import Conflict
from printreg.storage import stamps
from printreg.storage.audit_log import AuditEntry
from printreg.storage.case_tables import CaseTables

SCHEMA = "staging"
SWITCH_CACHE_KIB = 256 * 1024  # page cache of the switching connection
DEFAULT_CACHE_KIB = 2000  # SQLite's default, given back before the connection is pooled
_KEPT_ON_UPDATE = frozenset({"facility_id", "id", "created_at", "created_by"})


def _copy(table: Table, metadata: MetaData, *, skip: frozenset[str] = frozenset()) -> Table:
    """Return a copy of a table's columns (same types) in the staging schema, with no key,
    constraint or index: staging only appends."""
    columns = [Column(c.name, c.type) for c in table.columns if c.name not in skip]
    return Table(table.name, metadata, *columns, schema=SCHEMA)


class Staging:
    """A staging file attached to one connection of the registry's SQLite database."""

    def __init__(self, engine: Engine, tables: CaseTables, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"staging-{uuid.uuid4().hex}.db"
        self.main = tables
        metadata = MetaData()
        self.tables = CaseTables(
            tables.registry_code,
            metadata,
            _copy(tables.main, metadata),
            {name: _copy(t, metadata) for name, t in tables.groups.items()},
            {key: _copy(t, metadata) for key, t in tables.multi.items()},
        )
        audit = AuditEntry.__table__
        assert isinstance(audit, Table)  # noqa: S101 - declarative tables are Tables
        self.audit = _copy(audit, metadata, skip=frozenset({"id"}))  # numbered when copied
        self.replaced = Table(
            "import_replaced",
            metadata,
            Column("id", Uuid),
            Column("row_version", Integer),
            schema=SCHEMA,
        )
        self.connection: Connection = engine.connect()
        try:
            self.connection.exec_driver_sql(f"ATTACH DATABASE ? AS {SCHEMA}", (str(self.path),))
            # A throw-away file: no journal, no syncing; a crash loses nothing committed.
            self.connection.exec_driver_sql(f"PRAGMA {SCHEMA}.journal_mode=OFF")
            self.connection.exec_driver_sql(f"PRAGMA {SCHEMA}.synchronous=OFF")
            metadata.create_all(self.connection)
            # The switch checks references itself (``_check_references``): enforcing foreign
            # keys row by row would double the time it holds the registry's write lock.
            self.connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            self.connection.commit()
        except BaseException:
            self.close()
            raise

    def session(self) -> Session:
        """Return a session on the staging connection (reads the registry, writes staging)."""
        return Session(bind=self.connection, expire_on_commit=False)

    def switch(self, session: Session, facility_id: int) -> None:
        """Copy every staged row into the registry's tables in the session's transaction.

        Conflict (nothing is stored once the transaction rolls back) when a case staged as
        updated was changed by someone else meanwhile.
        """
        main, staged = self.main.main, self.tables.main
        # A write first: it takes the write lock, so the checks below and the copy see one state.
        stamps.bump(session, self.main.registry_code, [facility_id])
        # The indexes the copy fills outgrow SQLite's default 2 MB page cache at 100,000 cases.
        session.execute(text(f"PRAGMA main.cache_size=-{SWITCH_CACHE_KIB}"))
        self._check_references(session)
        changed = session.scalar(
            select(func.count())
            .select_from(self.replaced)
            .outerjoin(
                main,
                and_(
                    main.c.facility_id == facility_id,
                    main.c.id == self.replaced.c.id,
                    main.c.row_version == self.replaced.c.row_version - 1,
                ),
            )
            .where(main.c.id.is_(None))
        )
        if changed:
            raise Conflict(
                f"{changed} of the cases this file updates changed while it was imported: "
                "nothing was stored; import the file again"
            )
        children = [*self.main.groups.values(), *self.main.multi.values()]
        for table in children:
            session.execute(
                delete(table).where(
                    table.c.facility_id == facility_id,
                    table.c.case_id.in_(select(self.replaced.c.id)),
                )
            )
        names = [c.name for c in main.columns]
        # WHERE true: SQLite's grammar needs it between INSERT … SELECT and ON CONFLICT.
        upsert = sqlite_insert(main).from_select(
            names, select(*(staged.c[n] for n in names)).where(true())
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["facility_id", "id"],
            set_={n: upsert.excluded[n] for n in names if n not in _KEPT_ON_UPDATE},
        )
        session.execute(upsert)
        for table in children:
            source = self.tables.all_tables[self.main.all_tables.index(table)]
            names = [c.name for c in table.columns]
            session.execute(insert(table).from_select(names, select(*(source.c[n] for n in names))))
        audit = AuditEntry.__table__
        names = [c.name for c in self.audit.columns]
        in_order = select(*(self.audit.c[n] for n in names)).order_by(literal_column("rowid"))
        session.execute(insert(audit).from_select(names, in_order))  # type: ignore[arg-type]

    def _check_references(self, session: Session) -> None:
        """Conflict when a staged row refers to a row gone meanwhile (a printer): what the
        foreign keys would say. The facility and the case keys hold by construction."""
        for table, staged in zip(self.main.all_tables, self.tables.all_tables, strict=True):
            for fk in table.foreign_keys:
                name = fk.parent.name
                if name in {"facility_id", "case_id"}:
                    continue
                value = staged.c[name]
                missing = session.scalar(
                    select(func.count())
                    .select_from(staged)
                    .where(value.is_not(None), ~exists().where(fk.column == value))
                )
                if missing:
                    raise Conflict(
                        f"{missing} rows of the file refer to a {fk.column.table.name} row "
                        "removed while it was imported: nothing was stored; import it again"
                    )

    def close(self) -> None:
        """Detach and delete the staging file and give the connection back."""
        try:
            if self.connection.in_transaction():
                self.connection.rollback()
            self.connection.exec_driver_sql(f"DETACH DATABASE {SCHEMA}")
            self.connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            self.connection.exec_driver_sql(f"PRAGMA cache_size=-{DEFAULT_CACHE_KIB}")
            self.connection.commit()
        except DBAPIError:  # never attached, or the connection broke: the pool must drop it
            self.connection.invalidate()
        finally:
            self.connection.close()
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
