"""Benchmarks, value evidence, the PDF report and public figures through the API and pages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from tests.support.records import records
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    OTHER_SITE,
    REGISTRY_ADMIN,
    SPONSOR,
    UserClient,
)

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform

CASES = 24


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the analytics snapshot in the test's own folder (read by the settings fixture)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def with_cases(api_platform: Platform) -> Platform:
    """Store CASES complete cases at each of the two facilities."""
    service = CaseService(api_platform, Actor.operator("test"))
    for code in (HOME, OTHER):
        service.create_many("3dp", [(code, r) for r in records(code, CASES)])
    return api_platform


def _dashboard(client: UserClient | TestClient, facility: str, query: str = "") -> dict:
    response = client.get(f"{API}/facilities/{facility}/dashboard{query}")
    assert response.status_code == 200, response.text
    return response.json()


def test_facility_member_gets_own_dashboard_with_own_counts(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    data = _dashboard(client_for(DATA_MANAGER), HOME)
    assert data["facility"]["code"] == HOME
    assert data["cases"] == CASES
    effort = next(m for m in data["measures"] if m["measure"] == "effort_total")
    assert effort["facility"]["n"] <= CASES
    # two facilities are fewer than min_facilities (5): no registry quartiles are released
    assert effort["registry"]["status"] == "too few facilities"
    own_mix = data["mix"]["object_type_mix"]["rows"]
    assert sum(r["count"] for r in own_mix) == CASES  # the facility's own counts, unsuppressed


def test_another_facilitys_dashboard_is_not_found_like_an_unknown_one(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    client = client_for(OTHER_SITE)
    other = client.get(f"{API}/facilities/{HOME}/dashboard")
    unknown = client.get(f"{API}/facilities/F9999/dashboard")
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"].replace(HOME, "?") == unknown.json()["detail"].replace(
        "F9999", "?"
    )


def test_stratum_filter_validates_codes(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    client = client_for(DATA_MANAGER)
    models = _dashboard(client, HOME, "?object_type=anatomic_model")
    guides = _dashboard(client, HOME, "?object_type=Anatomic%20guide")
    assert models["stratum"] == {"object_type": "anatomic_model"}
    assert guides["stratum"] == {"object_type": "anatomic_guide"}
    assert models["cases"] + guides["cases"] == CASES
    bad = client.get(f"{API}/facilities/{HOME}/dashboard?object_type=teapot")
    assert bad.status_code == 400
    assert "teapot" in bad.text
    assert "object_type" in bad.text


def test_dashboard_follows_a_new_case(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    client = client_for(DATA_MANAGER)
    before = _dashboard(client, HOME)["cases"]
    extra = records(HOME, CASES + 1)[-1]
    CaseService(with_cases, Actor.operator("test")).create("3dp", HOME, extra)
    assert _dashboard(client, HOME)["cases"] == before + 1


def test_report_pdf_holds_the_facilitys_figures(
    with_cases: Platform, client_for: Callable[[str], UserClient], database_url: str
) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip(
            "the PDF is drawn from the same dashboard data on both databases: once is enough"
        )
    client = client_for(DATA_MANAGER)
    response = client.get(f"{API}/facilities/{HOME}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert HOME in text
    assert f"Reportable cases (complete or locked): {CASES}" in text
    assert "$36/min" in text


def test_overview_is_for_registry_administrators_only(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    assert client_for(DATA_MANAGER).get(f"{API}/overview").status_code == 403
    response = client_for(REGISTRY_ADMIN).get(f"{API}/overview")
    assert response.status_code == 200
    assert {f["facility"] for f in response.json()["facilities"]} == {HOME, OTHER}


def test_public_figures_need_no_sign_in_and_hide_small_counts(
    with_cases: Platform, anon: TestClient
) -> None:
    response = anon.get(f"{API}/public")
    assert response.status_code == 200
    data = response.json()
    counts = [c for line in data["cases_by_stratum"]["cells"] for c in line if c is not None]
    counts += [r["count"] for m in data["mix"].values() for r in m["rows"] if r["count"]]
    assert counts, "nothing released at all"
    assert all(c == 0 or c >= data["suppression_threshold"] for c in counts)
    assert data["facilities"] is None  # 2 facilities: a small count itself


def test_sponsor_sees_the_public_page_but_no_facility_dashboard(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    sponsor = client_for(SPONSOR)
    assert sponsor.get(f"{API}/facilities/{HOME}/dashboard").status_code == 404
    page = sponsor.get("/public/3dp")
    assert page.status_code == 200
    assert "public figures" in page.text


def test_dashboard_page_embeds_chart_specs(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    page = client_for(DATA_MANAGER).get(f"/registries/3dp/dashboard?facility={HOME}")
    assert page.status_code == 200
    assert re.search(r'id="chart-specs">\{.*"placement"', page.text, re.DOTALL)
    assert "vega-embed.min.js" in page.text
    other = client_for(OTHER_SITE).get(f"/registries/3dp/dashboard?facility={HOME}")
    assert other.status_code == 404


def test_intended_use_and_period_narrow_the_dashboard_on_demand(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    client = client_for(DATA_MANAGER)
    wanted = "surgical_planning"
    expected = sum(wanted in r["intended_uses"] for r in records(HOME, CASES))
    data = _dashboard(client, HOME, f"?intended_uses={wanted}")
    assert data["stratum"] == {"intended_uses": wanted}
    assert data["cases"] == expected
    dates = sorted(r["request_date"] for r in records(HOME, CASES))
    cut = dates[len(dates) // 2]
    quarter_start = f"{cut[:5]}{(int(cut[5:7]) - 1) // 3 * 3 + 1:02d}-01"
    later = _dashboard(client, HOME, f"?period_from={quarter_start}")
    assert later["cases"] == sum(d >= quarter_start for d in dates)
    assert later["period"] == {"from": quarter_start, "to": None}
    bad = client.get(f"{API}/facilities/{HOME}/dashboard?period_to=2025-02-30")
    assert bad.status_code == 400
    assert "period_to" in bad.text
