"""The JSON documents of a whole-case PostgreSQL insert (storage.cases._json_documents)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from printreg.storage.cases import _json_documents


def test_cells_become_json_text_the_server_reads_back_exactly() -> None:
    case_id = uuid.uuid4()
    at = dt.datetime(2026, 12, 6, 5, 1, 2, 345678, tzinfo=dt.UTC)
    rows = [
        [{"id": case_id, "created_at": at, "d": dt.date(2025, 1, 31), "x": 0.1, "n": None}],
        [{"case_id": case_id, "row_no": 1, "v": Decimal("1.50"), "ok": True}],
        [],
    ]
    documents = _json_documents(rows)
    assert documents is not None
    assert set(documents) == {"t0", "t1", "t2"}
    assert json.loads(documents["t0"]) == {  # the case row is an object, the others arrays
        "id": str(case_id),
        "created_at": "2026-12-06T05:01:02.345678+00:00",
        "d": "2025-01-31",
        "x": 0.1,
        "n": None,
    }
    assert json.loads(documents["t1"]) == [
        {"case_id": str(case_id), "row_no": 1, "v": "1.50", "ok": True}
    ]
    assert json.loads(documents["t2"]) == []


def test_a_value_without_exact_json_falls_back_to_a_statement_per_table() -> None:
    assert _json_documents([[{"x": float("nan")}]]) is None
    assert _json_documents([[{"x": float("inf")}]]) is None
    assert _json_documents([[{"x": object()}]]) is None
