"""The PACS client's checks that need no PACS: what a search may be, the endpoint address, the
messages for HTTP failures, and the bound on a whole search."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from printreg.domain.errors import InvalidRequest
from printreg.pacs import client
from printreg.pacs.client import PacsConnection, PacsError, StudyQuery
from printreg.pacs.service import check_url

TYPED = "ACC12345"


def test_a_search_is_one_exact_accession_number_or_uid_and_a_refusal_never_quotes_it() -> None:
    assert StudyQuery.of(f" {TYPED} ", None).filters() == {"AccessionNumber": TYPED}
    assert StudyQuery.of(None, "1.2.840.1").filters() == {"StudyInstanceUID": "1.2.840.1"}
    for accession, uid in [
        (None, None), ("", " "), (TYPED, "1.2.3"),  # none, or both
        (TYPED + "*", None), ("ACC?1234", None), ("A\\B", None), ("A\x00B", None),  # wildcards
        (TYPED * 3, None),  # longer than SH allows
        (None, "1.2.abc"), (None, "1..2"), (None, "1." + "2" * 64),  # not a UID
    ]:  # fmt: skip
        with pytest.raises(InvalidRequest) as refused:
            StudyQuery.of(accession, uid)
        for typed in (accession, uid):
            if typed and typed.strip():
                assert typed.strip() not in str(refused.value)


def test_the_endpoint_is_an_http_url_without_credentials() -> None:
    assert check_url(" https://pacs.example/dicom-web/ ") == "https://pacs.example/dicom-web"
    assert check_url("http://127.0.0.1:8042/dicom-web") == "http://127.0.0.1:8042/dicom-web"
    for bad in ("ftp://pacs.example", "https://u:p@pacs.example/", "https://pacs.example/?a=1",
                "https://pacs.example/#x", "pacs.example", "https://pacs.example/a b",
                "https://pacs.example/" + "x" * 500):  # fmt: skip
        with pytest.raises(InvalidRequest):
            check_url(bad)


@pytest.mark.parametrize(
    ("status", "words"),
    [(401, "refused printreg's credentials (HTTP 401)"), (403, "(HTTP 403)"),
     (404, "no DICOMweb service"), (500, "answered with an error (HTTP 500)")],
)  # fmt: skip
def test_each_http_failure_has_its_own_message(status: int, words: str) -> None:
    assert words in str(client._http_error(status))


class _SlowPacs:
    """A PACS whose every study has many series (the clock is moved by the test)."""

    def search_for_studies(self, **_: Any) -> list[dict[str, Any]]:
        return [{client.STUDY_UID: {"Value": ["1.2.3"]}}]

    def search_for_series(self, *_: Any, **__: Any) -> list[dict[str, Any]]:
        return [{client.SERIES_UID: {"Value": [f"1.2.3.{n}"]}} for n in range(50)]

    def search_for_instances(self, *_: Any, **__: Any) -> list[dict[str, Any]]:
        return [{client.SOP_UID: {"Value": ["1.2.3.4.5"]}}]

    def retrieve_instance_metadata(self, *_: Any) -> dict[str, Any]:
        return {"00080060": {"vr": "CS", "Value": ["CT"]}}


def test_a_whole_search_is_bounded_by_a_few_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "_client", lambda _connection: _SlowPacs())
    ticks = itertools.count(0, 4)  # each look at the clock: 4 s later
    monkeypatch.setattr(client, "monotonic", lambda: float(next(ticks)))
    connection = PacsConnection("http://pacs.example/dicom-web", None, None, 10.0)
    with pytest.raises(PacsError, match="took more than 30 seconds"):
        client.study_headers(connection, StudyQuery.of(TYPED, None), max_studies=5, max_series=200)
