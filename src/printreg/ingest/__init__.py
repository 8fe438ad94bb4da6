"""File formats of bulk import and export: the flat layout, streaming readers, streamed writers.

Pure functions over definitions and records: no database, web or CLI.
"""

from printreg.ingest.cells import is_formula, neutralise, restore
from printreg.ingest.errors import FileProblem
from printreg.ingest.export import codebook, write_codebook, write_csv, write_jsonl, write_parquet
from printreg.ingest.layout import (
    IGNORED_COLUMNS,
    PASS_THROUGH_COLUMNS,
    STATUS_COLUMN,
    Column,
    FlatLayout,
)
from printreg.ingest.readers import SourceRow, read_csv, read_json, read_jsonl

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
