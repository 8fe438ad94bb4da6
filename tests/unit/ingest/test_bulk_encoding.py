"""Rows encoded for PostgreSQL's COPY (text format) away from the connection, and cut again."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table

from printreg.storage.bulk import encode

TABLE = Table(
    "t",
    MetaData(),
    Column("id", String),
    Column("n", Integer),
    Column("x", Float),
    Column("ok", Boolean),
    Column("day", Date),
    Column("at", DateTime(timezone=True)),
    Column("note", String),
)


def _frame() -> pl.DataFrame:
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "n": [1, None, 3],
            "x": [0.625, 2.0, None],
            "ok": [True, False, None],
            "day": [dt.date(2026, 3, 4), None, dt.date(2026, 1, 2)],
            "at": [at, at, at],
            "note": ['tab\there "q" back\\slash', "line\nbreak\r\n", ""],
            "extra": ["not", "a", "column"],
        }
    )


def _decode(line: bytes) -> list[str | None]:
    """Read one line of PostgreSQL's text format as the server would."""
    fields: list[str | None] = []
    for raw in line.decode().split("\t"):
        if raw == "\\N":
            fields.append(None)
            continue
        out, i = [], 0
        while i < len(raw):
            if raw[i] == "\\":
                out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[raw[i + 1]])
                i += 2
            else:
                out.append(raw[i])
                i += 1
        fields.append("".join(out))
    return fields


def test_rows_are_one_line_each_with_escapes_and_nulls() -> None:
    encoded = encode(TABLE, _frame())
    assert encoded.columns == ("id", "n", "x", "ok", "day", "at", "note")
    assert encoded.rows == 3
    lines = encoded.data.split(b"\n")
    assert lines[-1] == b""
    rows = [_decode(line) for line in lines[:-1]]
    assert rows[0][:5] == ["a", "1", "0.625", "true", "2026-03-04"]
    assert rows[1][:5] == ["b", None, "2.0", "false", None]
    assert rows[2][2:5] == [None, None, "2026-01-02"]
    assert dt.datetime.fromisoformat(rows[0][5] or "") == _frame()["at"][0]
    assert [r[6] for r in rows] == _frame()["note"].to_list()  # an empty string is not NULL


def test_cutting_rows_keeps_the_others_whole() -> None:
    encoded = encode(TABLE, _frame())
    cut = encoded.without("id", {"b"})
    assert cut.rows == 2
    assert cut.columns == encoded.columns
    assert [_decode(line)[0] for line in cut.data.split(b"\n")[:-1]] == ["a", "c"]
    assert encoded.without("id", set()).data == encoded.data
    assert encoded.without("id", {"a", "b", "c"}).data == b""
