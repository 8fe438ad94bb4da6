"""The dashboard's typed answer and its page: headlines first, sections navigable, labels from
the definition, withheld figures typed as such (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.records import records
from tests.support.web import API, DATA_MANAGER, HOME, OTHER, UserClient

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


def test_openapi_types_released_and_suppressed_figures(anon: TestClient) -> None:
    schema = anon.get("/openapi.json").json()
    path = schema["paths"]["/api/v1/registries/{registry}/facilities/{facility}/dashboard"]
    answer = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/FacilityDashboard"}
    components = schema["components"]["schemas"]
    facility = components["ContinuousComparison"]["properties"]["facility"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in facility["oneOf"]} == {
        "OwnDistribution",
        "Suppressed",
    }
    reasons = components["Reason"]["enum"]
    assert set(reasons) == {"too few cases", "too few facilities", "suppressed (small count)"}
    assert "headlines" in components["FacilityDashboard"]["properties"]
    public = schema["paths"]["/api/v1/registries/{registry}/public"]["get"]["responses"]["200"]
    assert public["content"]["application/json"]["schema"]["$ref"].endswith("/PublicSummary")


def test_headlines_say_why_a_comparison_is_withheld(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    response = client_for(DATA_MANAGER).get(f"{API}/facilities/{HOME}/dashboard")
    assert response.status_code == 200, response.text
    data = response.json()
    by_measure = {m["measure"]: m for m in data["measures"]}
    assert [h["measure"] for h in data["headlines"]] == list(by_measure)
    for headline in data["headlines"]:
        item = by_measure[headline["measure"]]
        assert headline["anchor"] == f"measure-{item['measure']}"
        # two facilities are fewer than min_facilities (5): no registry quartiles, no rank
        if item["kind"] == "continuous" and "status" not in item["facility"]:
            assert item["registry"] == {"facilities": 2, "status": "too few facilities"}
            assert headline["sentence"].endswith(
                "no registry comparison: too few facilities report it to compare with"
            )
            assert " % of facilities" not in headline["sentence"]
            assert headline["verdict"] is None
        # a withheld figure has no number keys at all, only its reason
        for side in ("facility", "registry", "peers"):
            if "status" in item[side]:
                assert not {"median", "p25", "p50", "p75", "p", "x"} & set(item[side])


def test_dashboard_page_opens_with_headlines_then_a_table_of_contents(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    page = client_for(DATA_MANAGER).get(f"/registries/3dp/dashboard?facility={HOME}")
    assert page.status_code == 200
    text = page.text
    main = text[text.index("<main") :]
    sections = re.findall(r'<section class="card" id="([a-z-]+)"', main)
    assert sections[0] == "headlines"
    assert main.index('id="headlines"') < main.index("<nav") < main.index("<table")
    # every link of the table of contents and every headline's "details" lands on an id
    ids = set(re.findall(r'\bid="([^"]+)"', main))
    targets = re.findall(r'href="#([^"]+)"', main)
    assert targets
    assert set(targets) <= ids
    # details and methods are one click away: every table sits in a closed <details>
    for table in re.finditer(r"<table ", main):
        before = main[: table.start()]
        assert before.rfind("<details") > before.rfind("</details>")


def test_dashboard_page_and_charts_show_labels_not_codes(
    with_cases: Platform, client_for: Callable[[str], UserClient]
) -> None:
    # the first stratum of the registry's analytics spec and one of its codes, from the answer
    client = client_for(DATA_MANAGER)
    data = client.get(f"{API}/facilities/{HOME}/dashboard").json()
    stratum = data["strata"][0]
    choice = stratum["values"][0]
    page = client.get(
        f"/registries/3dp/dashboard?facility={HOME}&{stratum['name']}={choice['code']}"
    )
    assert page.status_code == 200
    scope = re.search(r'<p class="help" id="dashboard-scope">(.*?)</p>', page.text, re.DOTALL)
    assert scope is not None
    words = html.unescape(scope.group(1))
    assert f"{stratum['label']}: {choice['label']}" in words
    assert f"{stratum['name']} = " not in words
    assert "census_region" not in page.text
    # the mix charts name categories by their labels (some differ from their codes)
    specs = client.get(f"{API}/facilities/{HOME}/charts").json()
    relabelled = 0
    for name, chart in specs.items():
        if not name.startswith("mix_"):
            continue
        shown = {v["category"] for v in chart["data"]["values"]}
        mix = data["mix"][name.removeprefix("mix_")]
        assert shown == {r["label"] for r in mix["rows"]}, name
        relabelled += shown != {r["category"] for r in mix["rows"]}
    assert relabelled
