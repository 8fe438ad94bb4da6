"""File formats of bulk import and export: the flat layout, streaming readers, streamed writers.

Pure functions over definitions and records: no database, web or CLI.

The readers (polars) and the writers (pyarrow) are imported on first use of one of their names,
so that the layout alone (an import template) loads neither.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from printreg.ingest.cells import is_formula, neutralise, restore
from printreg.ingest.errors import FileProblem
from printreg.ingest.layout import (
    IGNORED_COLUMNS,
    PASS_THROUGH_COLUMNS,
    STATUS_COLUMN,
    Column,
    FlatLayout,
)

if TYPE_CHECKING:
    from printreg.ingest.export import (
        codebook,
        write_codebook,
        write_csv,
        write_jsonl,
        write_parquet,
    )
    from printreg.ingest.readers import SourceRow, read_csv, read_json, read_jsonl

#: names served by a heavy submodule, imported when first asked for
_LAZY = {
    **dict.fromkeys(
        ("codebook", "write_codebook", "write_csv", "write_jsonl", "write_parquet"),
        "printreg.ingest.export",
    ),
    **dict.fromkeys(
        ("SourceRow", "read_csv", "read_json", "read_jsonl"), "printreg.ingest.readers"
    ),
}


def __getattr__(name: str) -> Any:
    """Return a name of the readers or writers module, importing that module now."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


__all__ = [
    "IGNORED_COLUMNS",
    "PASS_THROUGH_COLUMNS",
    "STATUS_COLUMN",
    "Column",
    "FileProblem",
    "FlatLayout",
    "SourceRow",
    "codebook",
    "is_formula",
    "neutralise",
    "read_csv",
    "read_json",
    "read_jsonl",
    "restore",
    "write_codebook",
    "write_csv",
    "write_jsonl",
    "write_parquet",
]
