"""The careful pass over a CSV file that marks its batches, and the parts of the import's fast path.

``scan_csv`` must refuse exactly what ``read_csv`` refuses, mark batches that read back as the
same rows, find repeated local case IDs through hashes, and keep memory flat.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from tests.support.layouts import small_layout

from printreg.dictionary import Definition, load_shipped
from printreg.imports.service import _Ahead, _compact_json
from printreg.ingest import FileProblem, FlatLayout, read_csv
from printreg.ingest.readers import read_csv_batch, scan_csv

IDENTIFIER = "MRN 48213377"
LIMITS = {"max_bytes": 10_000_000, "max_field": 1000}


@pytest.fixture(scope="module")
def layout() -> FlatLayout:
    definition: Definition = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
    return FlatLayout(definition)


@pytest.fixture(scope="module")
def header(layout: FlatLayout) -> list[str]:
    return list(
        dict.fromkeys(["status", *layout.required_columns, "indication_text", "time_saved_min"])
    )


def _row(header: list[str], case_id: str, **cells: str) -> list[str]:
    values = dict.fromkeys(header, "1")
    values.update(local_case_id=case_id, status="complete", **cells)
    return [values[name] for name in header]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    return path


def test_batches_read_back_as_the_rows_read_csv_gives(
    layout: FlatLayout, header: list[str], tmp_path: Path
) -> None:
    rows = [_row(header, f"3DP-{n}", time_saved_min=f"-{n}") for n in range(11)]
    rows[3] = _row(header, "3DP-3", indication_text="two\nlines, and a comma")
    rows[6] = _row(header, "3DP-6", indication_text="'=neutralised")
    data = _csv(header, rows[:5]) + b"\r\n" + b"," * (len(header) - 1) + b"\r\n"
    data += _csv(header, rows[5:]).split(b"\n", 1)[1]
    path = _file(tmp_path, data)
    scan = scan_csv(path, layout, batch_rows=4, **LIMITS)
    expected = [r for chunk in read_csv(io.BytesIO(data), layout, **LIMITS) for r in chunk]
    assert [(b.rows, b.blank) for b in scan.batches] == [(4, 0), (4, 2), (3, 0)]
    assert scan.header == header
    assert not scan.keys
    again = [
        row
        for batch in scan.batches
        for row in read_csv_batch(
            data[batch.start : batch.end], layout, scan, batch, max_field=1000
        )
    ]
    assert again == expected
    assert [r.line for r in again][:6] == [2, 3, 4, 5, 7, 10]  # physical lines, blanks skipped
    assert again[6].data["indication_text"] == "=neutralised"
    assert scan.batches[-1].end == len(data)


@pytest.mark.parametrize(
    "case",
    ["ragged", "formula", "long", "nul", "latin-1", "quote", "separator", "empty", "size"],
)
def test_a_bad_file_is_refused_as_read_csv_refuses_it(
    layout: FlatLayout, header: list[str], tmp_path: Path, case: str
) -> None:
    rows = [_row(header, f"3DP-{n}") for n in range(6)]
    rows[1][3] = IDENTIFIER
    limits = dict(LIMITS)
    if case == "ragged":
        rows[4] = rows[4][:-1]
    elif case == "formula":
        rows[5] = _row(header, "3DP-5", indication_text=f'=HYPERLINK("{IDENTIFIER}")')
    elif case == "long":
        rows[4] = _row(header, "3DP-4", indication_text="x" * 1001)
    elif case == "nul":
        rows[4] = _row(header, "3DP-4", indication_text="a\x00b")
    data = _csv(header, rows)
    if case == "latin-1":
        data = data.replace(b"3DP-4", "3DP-\u00e9".encode("latin-1"))
    elif case == "quote":
        data = data.replace(b"3DP-4", b'"3DP-4"x')
    elif case == "separator":
        data = data.replace(b",", b";")
    elif case == "empty":
        data = b"\r\n \r\n"
    elif case == "size":
        limits["max_bytes"] = len(data) - 10
    with pytest.raises(FileProblem) as careful:
        for _ in read_csv(io.BytesIO(data), layout, **limits):
            pass
    with pytest.raises(FileProblem) as scanned:
        scan_csv(_file(tmp_path, data), layout, batch_rows=2, **limits)
    assert str(scanned.value) == str(careful.value)
    assert scanned.value.line == careful.value.line
    assert "48213377" not in str(scanned.value)


def test_repeated_local_case_ids_are_found_across_batches(
    layout: FlatLayout, header: list[str], tmp_path: Path
) -> None:
    rows = [_row(header, f"3DP-{n}") for n in range(9)]
    rows[7] = _row(header, " 3DP-1 ")  # the same ID once trimmed, batches apart
    rows[8] = _row(header, "")  # an empty ID is no repeat
    rows.append(_row(header, ""))
    rows.append(_row(header, "3DP-1"))
    scan = scan_csv(_file(tmp_path, _csv(header, rows)), layout, batch_rows=3, **LIMITS)
    assert dict(scan.keys) == {"3DP-1": 3}


def test_scanning_120k_rows_keeps_memory_flat(tmp_path: Path) -> None:
    layout = small_layout()
    path = tmp_path / "big.csv"
    note = "segmentation of the left hepatic lobe with portal vein branches"
    with path.open("w", newline="") as handle:
        handle.write("status,local_case_id,size,tags,note\r\n")
        for n in range(120_000):
            handle.write(f'complete,CASE-{n:07d},{n % 97},"a; a",{note}\r\n')
    size = path.stat().st_size
    tracemalloc.start()
    try:
        scan = scan_csv(path, layout, max_bytes=size, max_field=1000, batch_rows=5000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(b.rows for b in scan.batches) == 120_000
    assert len(scan.batches) == 24
    assert peak < 5_000_000  # batch marks and 8-byte hashes, never the rows


def test_compact_json_is_the_json_of_the_filled_cells() -> None:
    frame = pl.DataFrame(
        {
            "status": ["complete", None, "draft"],
            "local_case_id": ["A-1", None, "A-3"],
            "indication_text": ['say "hi"\\there\tnow\nnext \u00e9\x01', None, None],
            "part_2_region": [None, None, None],
        },
        schema=dict.fromkeys(["status", "local_case_id", "indication_text", "part_2_region"],
                             pl.String),
    )  # fmt: skip
    encoded = _compact_json(frame).to_list()
    assert [json.loads(e) for e in encoded] == [
        {k: v for k, v in row.items() if v is not None} for row in frame.to_dicts()
    ]
    assert encoded[1] == "{}"


def test_ahead_prepares_at_most_one_item_beyond_the_one_in_use() -> None:
    made: list[int] = []

    def source() -> Iterator[int]:
        for n in range(6):
            made.append(n)
            yield n

    ahead = _Ahead(source(), depth=1)
    seen = []
    for item in ahead:
        time.sleep(0.05)  # the worker would run on if it were not bounded
        seen.append(item)
        assert len(made) <= item + 2
    ahead.close()
    assert seen == list(range(6))


def test_ahead_raises_the_workers_error_and_close_stops_the_worker() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise FileProblem("the file changed during the import")

    ahead = _Ahead(failing())
    with pytest.raises(FileProblem, match="changed"):
        list(ahead)
    ahead.close()

    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    ahead = _Ahead(endless())
    assert next(iter(ahead)) == 1
    ahead.close()
    assert closed.wait(5)
