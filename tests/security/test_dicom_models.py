"""Attack: a DICOM-wrapped model (Encapsulated STL/OBJ) as a back door for patient identifiers.

Its header must meet the same policy as any DICOM upload: refused with tags (never values) by
default, de-identified and dropped when the registry de-identifies on receipt; nothing of it is
stored or echoed, another facility's case is not reached, and hostile wrappers are a 422.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from printreg.files.models import PrintMesh
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from tests.support.files import BRAIN_STL, box_stl, clean_ct, database_text, leaks, wrapped_model
from tests.support.web import API, HOME, OTHER, UserClient


def _meshes(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(PrintMesh)) or 0


@pytest.fixture
def deidentifying_dm(
    settings: Settings, api_platform: Platform, dm: UserClient
) -> Iterator[UserClient]:
    """Yield the data manager's session on an app that de-identifies DICOM on receipt."""
    changed = settings.model_copy(update={"dicom_deidentify_on_receipt": True})
    platform = Platform(changed, api_platform.engine, api_platform.sessions)
    with TestClient(create_app(changed, platform)) as client:
        client.cookies = dm.http.cookies
        yield UserClient(client, dm.email, dm.csrf)


def test_an_identified_wrapped_model_is_refused_and_nothing_leaks(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    sent = dm.post(url, files={"file": ("brain.dcm", wrapped_model(BRAIN_STL.read_bytes()))})
    assert sent.status_code == 422
    assert "PatientName" in sent.json()["issues"]
    assert leaks(sent.text) == []
    assert _meshes(api_platform) == 0
    assert leaks(database_text(api_platform.engine)) == []


def test_another_facility_s_case_is_not_reached_by_a_wrapped_model(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[OTHER]}/prints/1/mesh"
    sent = dm.post(url, files={"file": ("brain.dcm", wrapped_model(box_stl()))})
    assert sent.status_code == 404
    assert "PatientName" not in sent.text, "the upload is not read before the case is checked"
    assert _meshes(api_platform) == 0


def test_hostile_or_foreign_wrappers_are_422_not_500(
    dm: UserClient, case_ids: dict[str, str]
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    foreign = dm.post(url, files={"file": ("ct.dcm", clean_ct())})
    assert foreign.status_code == 422
    assert "Encapsulated STL or OBJ" in foreign.json()["detail"]
    cut = dm.post(url, files={"file": ("cut.dcm", wrapped_model(box_stl())[:300])})
    assert cut.status_code == 422
    junk = wrapped_model(b"solid x\nnot a model at all\n", identified=False)
    bad = dm.post(url, files={"file": ("junk.dcm", junk)})
    assert bad.status_code == 422


def test_de_identified_on_receipt_only_the_measured_model_is_kept(
    deidentifying_dm: UserClient, dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    stl = BRAIN_STL.read_bytes()
    bare = dm.post(url, files={"file": ("brain.stl", stl)})
    assert bare.status_code == 201, bare.text
    sent = deidentifying_dm.post(url, files={"file": ("brain.dcm", wrapped_model(stl))})
    assert sent.status_code == 201, sent.text
    assert sent.json()["measurement"] == bare.json()["measurement"]
    assert sent.json()["filename"] == "brain.stl"
    assert leaks(sent.text) == []
    assert _meshes(api_platform) == 1
    assert leaks(database_text(api_platform.engine)) == []
