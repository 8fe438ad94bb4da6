"""Streaming readers: good files in chunks, every bad file one FileProblem that never shows a cell."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import pytest
from tests.support.layouts import small_layout

from printreg.dictionary import Definition, load_shipped
from printreg.ingest import FileProblem, FlatLayout, SourceRow, read_csv, read_json, read_jsonl

IDENTIFIER = "MRN 48213377"
LIMITS = {"max_bytes": 10_000_000, "max_field": 1000}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def layout() -> FlatLayout:
    definition: Definition = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
    return FlatLayout(definition)


@pytest.fixture(scope="module")
def header(layout: FlatLayout) -> list[str]:
    return ["status", *layout.required_columns, "part_1_comment", "segmentation_tool_other_text"]


def _row(header: list[str], case_id: str, **cells: str) -> list[str]:
    values = dict.fromkeys(header, "1")
    values.update(local_case_id=case_id, status="complete", part_1_comment="", **cells)
    return [values[name] for name in header]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _read(data: bytes, layout: FlatLayout, **options: int) -> list[SourceRow]:
    limits = LIMITS | options
    return [row for chunk in read_csv(io.BytesIO(data), layout, **limits) for row in chunk]


def _problem(data: bytes, layout: FlatLayout, **options: int) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        _read(data, layout, **options)
    message = str(caught.value)
    assert IDENTIFIER not in message
    assert "48213377" not in message
    return caught.value


@pytest.mark.parametrize("prefix", [b"", BOM], ids=["no-bom", "bom"])
def test_rows_come_with_line_and_key(layout: FlatLayout, header: list[str], prefix: bytes) -> None:
    data = prefix + _csv(header, [_row(header, "3DP-1"), _row(header, "3DP-2")])
    rows = _read(data, layout)
    assert [(r.line, r.key) for r in rows] == [(2, "3DP-1"), (3, "3DP-2")]
    assert set(rows[0].data) == set(header)
    assert rows[0].data["status"] == "complete"


def test_quoted_newlines_are_values_and_lines_stay_physical(
    layout: FlatLayout, header: list[str]
) -> None:
    rows = [
        _row(header, "3DP-1", indication_text="first line\nsecond line"),
        _row(header, "3DP-2"),
    ]
    found = _read(_csv(header, rows), layout)
    assert [r.line for r in found] == [2, 4]
    assert found[0].data["indication_text"] == "first line\nsecond line"


def test_rows_come_in_chunks_and_blank_rows_are_skipped(
    layout: FlatLayout, header: list[str]
) -> None:
    data = _csv(header, [_row(header, f"3DP-{n}") for n in range(12)]) + b"\r\n,,\r\n"
    chunks = list(read_csv(io.BytesIO(data), layout, chunk_rows=5, **LIMITS))
    assert [len(c) for c in chunks] == [5, 5, 2]


def test_a_key_that_looks_like_an_identifier_is_replaced_by_the_line(
    layout: FlatLayout, header: list[str]
) -> None:
    (row,) = _read(_csv(header, [_row(header, IDENTIFIER)]), layout)
    assert row.key == "line 2"


def test_header_only_is_an_empty_import(layout: FlatLayout, header: list[str]) -> None:
    assert _read(_csv(header, []), layout) == []
    assert _read(BOM + _csv(header, []) + b"\r\n\r\n", layout) == []


@pytest.mark.parametrize("data", [b"", BOM, b"\n\r\n  \n"], ids=["zero", "bom", "blank"])
def test_an_empty_file(layout: FlatLayout, data: bytes) -> None:
    assert "the file is empty" in str(_problem(data, layout))


def test_wrong_encoding_names_the_line(layout: FlatLayout, header: list[str]) -> None:
    rows = [_row(header, "3DP-1"), _row(header, "3DP-2", indication_text="Ménière")]
    problem = _problem(_csv(header, rows).decode().encode("latin-1"), layout)
    assert problem.line == 3
    assert "save the file as UTF-8 (CSV UTF-8 in Excel)" in str(problem)


def test_utf16_is_a_wrong_encoding(layout: FlatLayout, header: list[str]) -> None:
    data = _csv(header, [_row(header, "3DP-1")]).decode()
    for encoded in (data.encode("utf-16"), data.encode("utf-16-le")):
        assert "UTF-16" in str(_problem(encoded, layout))


@pytest.mark.parametrize(("separator", "word"), [(";", "';'"), ("\t", "tabs")])
def test_wrong_delimiter(layout: FlatLayout, header: list[str], separator: str, word: str) -> None:
    data = (separator.join(header) + "\r\n" + separator.join(_row(header, IDENTIFIER))).encode()
    problem = _problem(data, layout)
    assert f"uses {word} as separator: save it comma-separated" in str(problem)
    assert problem.line == 1


@pytest.mark.parametrize("extra", [[IDENTIFIER], []], ids=["more", "fewer"])
def test_ragged_rows_name_the_line(layout: FlatLayout, header: list[str], extra: list[str]) -> None:
    rows = [_row(header, "3DP-1"), _row(header, "3DP-2"), _row(header, "3DP-3")]
    rows[2] = rows[2] + extra if extra else rows[2][:-2]
    rows[1][3] = IDENTIFIER
    problem = _problem(_csv(header, rows), layout)
    assert problem.line == 4
    assert f"line 4 has {len(rows[2])} cells but the header" in str(problem)


def test_a_nul_byte(layout: FlatLayout, header: list[str]) -> None:
    rows = [_row(header, "3DP-1"), _row(header, "3DP-2", indication_text=f"{IDENTIFIER}\x00")]
    problem = _problem(_csv(header, rows), layout)
    assert problem.line == 3
    assert "NUL byte" in str(problem)


def test_an_oversize_file_is_stopped_while_streaming(layout: FlatLayout, header: list[str]) -> None:
    data = _csv(header, [_row(header, f"3DP-{n}") for n in range(200)])
    problem = _problem(data, layout, max_bytes=len(data) // 2)
    assert "larger than the limit" in str(problem)
    assert problem.line is not None
    assert 50 < problem.line < 150


def test_an_oversize_field_names_its_column(layout: FlatLayout, header: list[str]) -> None:
    rows = [_row(header, "3DP-1", indication_text=IDENTIFIER + " x" * 600)]
    problem = _problem(_csv(header, rows), layout)
    assert "cell indication_text on line 2 is longer than the limit of 1,000" in str(problem)
    assert (problem.line, problem.column) == (2, "indication_text")


def test_a_huge_unclosed_quote_is_stopped(layout: FlatLayout, header: list[str]) -> None:
    data = (
        _csv(header, [_row(header, "3DP-1")])
        + b'"'
        + (IDENTIFIER + " x" * 80 + "\n").encode() * 2000
    )
    problem = _problem(data, layout, max_field=200_000)
    assert problem.line == 3


def test_unknown_and_missing_columns(layout: FlatLayout, header: list[str]) -> None:
    bad = [*header[:3], *header[4:], "colour", IDENTIFIER]
    problem = _problem(_csv(bad, [["1"] * len(bad)]), layout)
    message = str(problem)
    assert problem.line == 1
    assert "unknown column colour" in message
    assert f"missing: {header[3]}" in message
    assert f"number {len(bad)} (its name looks like data)" in message


def test_a_file_without_header_row(layout: FlatLayout, header: list[str]) -> None:
    rows = [_row(header, "3DP-1"), _row(header, "3DP-2")]
    data = _csv(rows[0], rows[1:])
    assert "does not hold column names" in str(_problem(data, layout))


@pytest.mark.parametrize(
    "formula",
    [
        "=SUM(A1:A3)",
        f'=HYPERLINK("http://example.org/{IDENTIFIER}","{IDENTIFIER}")',
        "@SUM(A1)",
        f'+A1&"{IDENTIFIER}"',
        "-A1",
        "=1+2",
        f'  =CONCAT("{IDENTIFIER}")',
    ],
)
def test_spreadsheet_formulas(layout: FlatLayout, header: list[str], formula: str) -> None:
    rows = [_row(header, "3DP-1"), _row(header, "3DP-2", segmentation_tool_other_text=formula)]
    problem = _problem(_csv(header, rows), layout)
    assert str(problem).startswith(
        "cell segmentation_tool_other_text on line 3 holds a spreadsheet formula, not a value: "
        "paste values only"
    )
    assert (problem.line, problem.column) == (3, "segmentation_tool_other_text")


@pytest.mark.parametrize("value", ["-5", "+5", "-0.5", "2024-01-02", "=", "e=mc2", "-", "@"])
def test_values_that_are_not_formulas(layout: FlatLayout, header: list[str], value: str) -> None:
    (row,) = _read(
        _csv(header, [_row(header, "3DP-1", segmentation_tool_other_text=value)]), layout
    )
    assert row.data["segmentation_tool_other_text"] == value


def test_neutralised_cells_are_restored(layout: FlatLayout, header: list[str]) -> None:
    cells = {"segmentation_tool_other_text": '\'=HYPERLINK("x")', "indication_text": "'plain"}
    (row,) = _read(_csv(header, [_row(header, "3DP-1", **cells)]), layout)
    assert row.data["segmentation_tool_other_text"] == '=HYPERLINK("x")'
    assert row.data["indication_text"] == "'plain"


def test_a_broken_quote_names_the_line(layout: FlatLayout, header: list[str]) -> None:
    data = _csv(header, [_row(header, "3DP-1")]) + b'"3DP-2"x,' + b",".join([b"1"] * 5) + b"\r\n"
    problem = _problem(data, layout)
    assert problem.line == 3
    assert "quote" in str(problem)


# --- JSON Lines and JSON ---------------------------------------------------------------------


def _jsonl(*lines: object) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()


def _json_problem(reader: object, data: bytes) -> FileProblem:
    assert reader in (read_json, read_jsonl)
    with pytest.raises(FileProblem) as caught:
        for _ in reader(io.BytesIO(data), **LIMITS):  # type: ignore[operator]
            pass
    assert IDENTIFIER not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("prefix", [b"", BOM], ids=["no-bom", "bom"])
def test_jsonl_rows(prefix: bytes) -> None:
    data = prefix + _jsonl({"local_case_id": "A"}, "", {"local_case_id": IDENTIFIER}, {"x": [1]})
    chunks = list(read_jsonl(io.BytesIO(data), chunk_rows=2, **LIMITS))
    assert [[(r.line, r.key) for r in c] for c in chunks] == [
        [(1, "A"), (3, "line 3")],
        [(4, "line 4")],
    ]
    assert chunks[1][0].data == {"x": [1]}


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (_jsonl({"a": 1}, "{'local_case_id': 'MRN 48213377'}"), 2, "not valid JSON"),
        (_jsonl({"a": 1}, [IDENTIFIER]), 2, "is an array, not a JSON object"),
        (_jsonl({"a": 1}, {"b": [IDENTIFIER * 100]}), 2, "field b[1] of the record on line 2"),
        (b'{"a": 1}\n{"b": "\xe9"}', 2, "not UTF-8"),
        (b'{"a": 1}\n\x00', 2, "NUL byte"),
        (b"\n \n", None, "the file is empty"),
    ],
)
def test_bad_jsonl(data: bytes, line: int | None, words: str) -> None:
    problem = _json_problem(read_jsonl, data)
    assert problem.line == line
    assert words in str(problem)


def test_json_array_rows_with_lines() -> None:
    data = BOM + b'[\n  {"local_case_id": "A"},\n  {"local_case_id": "B",\n   "x": 1}\n]\n'
    rows = [r for c in read_json(io.BytesIO(data), **LIMITS) for r in c]
    assert [(r.line, r.key) for r in rows] == [(2, "A"), (3, "B")]
    assert list(read_json(io.BytesIO(b" [ ] "), **LIMITS)) == []


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b'{"local_case_id": "A"}', 1, "must hold a JSON array"),
        (b'[{"a": 1},\n {"b": 2}', 2, "expected ',' or ']'"),
        (b'[{"a": 1},\n {"b": 2]', 2, "not valid JSON"),
        (b'[{"a": 1}]\n[]', 2, "more after the closing"),
        (b'[{"a": 1},\n "MRN 48213377"]', 2, "is a single value"),
        (b'[{"a": 1},\n {"b": \'x\'}]', 2, "not valid JSON"),
        (b'[\n{"a": "\xff"}]', 2, "not UTF-8"),
        (b"  ", None, "the file is empty"),
        (b"[" + b" " * LIMITS["max_bytes"] + b"]", None, "larger than the limit"),
    ],
)
def test_bad_json(data: bytes, line: int | None, words: str) -> None:
    problem = _json_problem(read_json, data)
    assert problem.line == line
    assert words in str(problem)


# --- memory ----------------------------------------------------------------------------------


def test_reading_120k_rows_keeps_memory_flat() -> None:
    layout = small_layout()
    data = io.BytesIO()
    data.write(b"status,local_case_id,size,tags,note\r\n")
    note = "segmentation of the left hepatic lobe with portal vein branches"
    for n in range(120_000):
        data.write(f'complete,CASE-{n:07d},{n % 97},"a; a",{note}\r\n'.encode())
    size = data.tell()
    data.seek(0)
    held: list[int] = []  # memory in use after each chunk
    tracemalloc.start()
    try:
        count = 0
        for chunk in read_csv(data, layout, max_bytes=size, max_field=1000):
            count += len(chunk)
            held.append(tracemalloc.get_traced_memory()[0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 120_000
    assert peak < 50_000_000
    assert peak < size * 0.75  # the file is never held whole
    assert max(held[-3:]) < held[1] + 1_000_000  # chunks later, nothing has piled up
