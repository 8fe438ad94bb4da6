"""Attack: free text typed into a case comes back as a category of a released figure.

Under 3dp 1.0.0 a print's material (and the software fields) were free text aggregated as
categories that reached every facility's dashboard, the PDF, the sponsor view and the
unauthenticated public page. Now aggregates are computed from coded elements, numbers and dates
only (the analytics spec loader refuses text elements), and software and material are coded with
"other" + a specify-text that is never aggregated. Here every case of two facilities carries a
distinctive string in its specify-texts (and older 1.0.0 cases carry it as free-text material),
far above the suppression threshold, and the string must appear in none of the released views.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform
from tests.support.factories import store_under
from tests.support.records import records
from tests.support.tasks import refreshed
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    REGISTRY_ADMIN,
    SPONSOR,
    UserClient,
)

MARKER = "Zanzibar-Quokka-7"
CASES = 24


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the analytics snapshot in the test's own folder (read by the settings fixture)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


def _with_marker(record: dict[str, Any], n: int) -> dict[str, Any]:
    """Return the record with "other" software and material, the marker in every specify-text."""
    out = dict(record)
    out["segmentation_tool"] = "other"
    out["segmentation_tool_other_text"] = f"{MARKER} segmenter"
    out["cad_tool"] = "other"
    out["cad_tool_other_text"] = f"{MARKER} designer"
    out["prints"] = [
        dict(row, material_family="other", material_family_other_text=f"{MARKER} resin {n % 2}")
        for row in record["prints"]
    ]
    return out


def _legacy(record: dict[str, Any]) -> dict[str, Any]:
    """Return a record as stored under 1.0.0, the marker typed as free-text software and material."""
    drop = {"segmentation_tool", "segmentation_tool_other_text", "cad_tool", "cad_tool_other_text"}
    out = {k: v for k, v in record.items() if k not in drop}
    out["segmentation_software"] = MARKER
    out["cad_software"] = MARKER
    out["prints"] = [
        {k: v for k, v in row.items() if not k.startswith("material_family")} | {"material": MARKER}
        for row in record["prints"]
    ]
    return out


@pytest.fixture
def marked(api_platform: Platform) -> list[str]:
    """Store CASES marked cases at each facility (1.1.0) and three 1.0.0 cases at HOME; return
    the ids of the 1.1.0 cases."""
    service = CaseService(api_platform, Actor.operator("test"))
    ids: list[str] = []
    for code in (HOME, OTHER):
        batch = [_with_marker(r, n) for n, r in enumerate(records(code, CASES))]
        ids += [str(service.create("3dp", code, r).id) for r in batch]
    extra = records(HOME, CASES + 3)[CASES:]
    for n, record in enumerate(extra):
        store_under(
            api_platform, "3dp", "1.0.0", HOME, _legacy(record) | {"local_case_id": f"L-{n}"}
        )
    return ids


def _views(client_for: Callable[[str], UserClient], anon: TestClient) -> dict[str, tuple[int, str]]:
    """Return every released view of the analytics: name → (status, text)."""
    dm, admin, sponsor = client_for(DATA_MANAGER), client_for(REGISTRY_ADMIN), client_for(SPONSOR)
    assert refreshed(admin, "3dp")["status"] == "done"
    out: dict[str, tuple[int, str]] = {}
    for name, client, url in [
        ("dashboard json", dm, f"{API}/facilities/{HOME}/dashboard"),
        (
            "other facility's dashboard json",
            client_for("other.site@demo.printreg.org"),
            f"{API}/facilities/{OTHER}/dashboard",
        ),
        ("dashboard page", dm, f"/registries/3dp/dashboard?facility={HOME}"),
        ("charts json", dm, f"{API}/facilities/{HOME}/charts"),
        ("registry overview", admin, f"{API}/overview"),
        ("registry page", admin, "/registries/3dp/analytics"),
        ("sponsor value view", sponsor, f"{API}/value"),
        ("sponsor public page", sponsor, "/public/3dp"),
        ("public page", anon, "/public/3dp"),
        ("public api", anon, f"{API}/public"),
    ]:
        response = client.get(url)
        out[name] = (response.status_code, response.text)
    pdf = dm.get(f"{API}/facilities/{HOME}/report.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    out["pdf"] = (pdf.status_code, text)
    return out


def test_specify_texts_never_reach_an_aggregate(
    marked: list[str], client_for: Callable[[str], UserClient], anon: TestClient
) -> None:
    # the marker is really stored: a case reader sees it in the case itself
    case = client_for(DATA_MANAGER).get(f"{API}/cases/{marked[0]}").json()
    assert case["record"]["segmentation_tool_other_text"] == f"{MARKER} segmenter"
    views = _views(client_for, anon)
    for name, (status, text) in views.items():
        assert status == 200, (name, text[:300])
        assert MARKER not in text, f"the free text leaked into the {name}"
        assert MARKER.lower() not in text.lower(), f"the free text leaked into the {name}"


def test_the_public_figures_show_labels_not_codes(
    marked: list[str], client_for: Callable[[str], UserClient], anon: TestClient
) -> None:
    refreshed(client_for(REGISTRY_ADMIN), "3dp")
    data = anon.get(f"{API}/public").json()
    material = data["mix"]["material_mix"]["rows"]
    assert {r["category"] for r in material} == {"other"}
    assert {r["label"] for r in material} == {"Other"}
    objects = {r["category"]: r["label"] for r in data["mix"]["object_type_mix"]["rows"]}
    assert objects["anatomic_model"] == "Anatomic model"
    page = anon.get("/public/3dp").text
    assert '<th scope="row">Anatomic model</th>' in page
    assert '<th scope="row">anatomic_model</th>' not in page
    assert 'class="table-scroll"' in page
