"""Helpers of the backup tests: exports of every registry, file hashes, every table's rows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import MetaData, select

from printreg.accounts.actor import Actor
from printreg.cases.exports import export_cases
from printreg.platform import Platform
from printreg.storage.engine import make_engine

EXPORTS = ("csv", "jsonl", "parquet")


def exports(platform: Platform, folder: Path) -> dict[str, bytes]:
    """Export every registry in every format into ``folder``; return each file's bytes by name
    (codebooks without their generated_at, the one value that is the time of the export)."""
    folder.mkdir()
    files: dict[str, bytes] = {}
    for code in ("3dp", "gsae"):
        for fmt in EXPORTS:
            out = folder / f"{code}.{fmt}"
            export_cases(platform, Actor.operator("test"), code, fmt, out)  # type: ignore[arg-type]
            files[out.name] = out.read_bytes()
            codebook = json.loads(out.with_name(out.name + ".codebook.json").read_text("utf-8"))
            codebook.pop("generated_at")
            files[f"{out.name}.codebook"] = json.dumps(codebook, sort_keys=True).encode()
    return files


def file_hashes(folder: Path) -> dict[str, str]:
    """Return the SHA-256 of every file under ``folder`` by its path there."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def table_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Return every row of every table of a database, ordered by primary key."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()
