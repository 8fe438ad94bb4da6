"""The case-file API: upload DICOM headers and model files, read measurements, thumbnails and
the viewer's model; limits answer 413, unusable files 422 (tags, never values)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.files import BRAIN_STL, IDENTIFIED_CT, box_stl, clean_ct, leaks, zipped
from tests.support.web import API, HOME, OTHER, UserClient

from printreg.files.models import CaseImaging, PrintMesh
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app
from printreg.web.errors import PayloadTooLarge
from printreg.web.uploads import Upload, read_upload


def _count(platform: Platform, model: type[CaseImaging | PrintMesh]) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_model_file_is_measured_and_served(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    sent = dm.post(url, files={"file": ("brain.stl", BRAIN_STL.read_bytes(), "model/stl")})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["print_row"] == 1
    assert body["filename"] == "brain.stl"
    assert body["measurement"]["triangles"] == 5200
    assert body["measurement"]["volume_ml"] == pytest.approx(1781.4, abs=0.5)
    assert body["viewer_format"] == "glb"
    shown = dm.get(url)
    assert shown.status_code == 200
    assert shown.json()["measurement"] == body["measurement"]
    thumbnail = dm.get(f"{url}/thumbnail.png")
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/png"
    assert thumbnail.content.startswith(b"\x89PNG")
    model = dm.get(f"{url}/model")
    assert model.status_code == 200
    assert model.headers["content-type"] == "model/gltf-binary"
    assert model.content.startswith(b"glTF")
    assert _count(api_platform, PrintMesh) == 1


def test_a_token_attaches_a_model_too(
    dm: UserClient, case_ids: dict[str, str], bearer_client: Callable[[str], TestClient]
) -> None:
    made = dm.post(
        "/api/v1/tokens",
        json={"name": "files", "facility": HOME, "scopes": ["cases:read", "cases:write"]},
    )
    assert made.status_code == 201, made.text
    client = bearer_client(made.json()["token"])
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    sent = client.post(url, files={"file": ("box.stl", box_stl(), "model/stl")})
    assert sent.status_code == 201, sent.text
    assert sent.json()["measurement"]["volume_ml"] == pytest.approx(1.0)


def test_a_browser_session_must_send_its_csrf_token(
    dm: UserClient, case_ids: dict[str, str]
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    refused = dm.post(url, files={"file": ("box.stl", box_stl())}, csrf=False)
    assert refused.status_code == 401


def test_unusable_model_files_are_422_with_the_reason(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    damaged = dm.post(url, files={"file": ("brain.3mf", BRAIN_STL.read_bytes())})
    assert damaged.status_code == 422
    assert "not a 3MF file" in damaged.json()["detail"]
    wrong = dm.post(url, files={"file": ("brain.docx", b"x")})
    assert wrong.status_code == 422
    assert ".stl, .3mf, .obj or .ply" in wrong.json()["detail"]
    nothing = dm.post(url, files={"other": ("", b"")})
    assert nothing.status_code == 422
    no_print = dm.post(
        f"{API}/cases/{case_ids[HOME]}/prints/5/mesh", files={"file": ("b.stl", box_stl())}
    )
    assert no_print.status_code == 404
    assert dm.get(url).status_code == 404
    assert _count(api_platform, PrintMesh) == 0


def test_a_body_that_is_not_a_form_is_400(dm: UserClient, case_ids: dict[str, str]) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    response = dm.post(url, content=b"solid x", headers={"Content-Type": "model/stl"})
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["detail"]
    cut = dm.post(
        url,
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.stl"\r\n\r\nsolid',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert cut.status_code == 400
    two = dm.post(url, files=[("file", ("a.stl", box_stl())), ("file", ("b.stl", box_stl()))])
    assert two.status_code == 400
    assert "send one model file only" in two.json()["detail"]


# -- limits -------------------------------------------------------------------------------------


@pytest.fixture
def small_limits(settings: Settings, api_platform: Platform) -> Iterator[TestClient]:
    """Yield a client of an app whose uploads are limited to 100 KB (and 2 DICOM files)."""
    limited = settings.model_copy(
        update={"mesh_max_bytes": 100_000, "dicom_max_upload_bytes": 100_000, "dicom_max_files": 2}
    )
    platform = Platform(limited, api_platform.engine, api_platform.sessions)
    with TestClient(create_app(limited, platform)) as client:
        yield client


@pytest.fixture
def limited_dm(small_limits: TestClient, dm: UserClient) -> UserClient:
    """Return the data manager's session on the limited app."""
    small_limits.cookies = dm.http.cookies
    return UserClient(small_limits, dm.email, dm.csrf)


def test_uploads_over_the_limit_are_stopped_with_413(
    limited_dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}/prints/1/mesh"
    declared = limited_dm.post(url, files={"file": ("brain.stl", BRAIN_STL.read_bytes())})
    assert declared.status_code == 413
    assert "mesh_max_bytes" in declared.json()["detail"]
    dicom = limited_dm.post(
        f"{API}/cases/{case_ids[HOME]}/dicom",
        files=[("files", (f"{i}.dcm", clean_ct())) for i in range(3)],
    )
    assert dicom.status_code == 413
    assert "dicom_max_files" in dicom.json()["detail"]
    assert _count(api_platform, PrintMesh) == _count(api_platform, CaseImaging) == 0


_HEAD = (
    b'--edge\r\nContent-Disposition: form-data; name="file"; filename="big.stl"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def _streamed(chunks: list[bytes]) -> tuple[Request, list[int]]:
    """Return a request whose body arrives in ``chunks`` (no Content-Length), and a counter of
    the chunks taken."""
    taken = [0]

    async def receive() -> dict[str, Any]:
        taken[0] += 1
        more = taken[0] < len(chunks)
        return {"type": "http.request", "body": chunks[taken[0] - 1], "more_body": more}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", b"multipart/form-data; boundary=edge")],
    }
    return Request(scope, receive), taken


def _read(request: Request) -> Upload:
    """Run the reader on a loop of its own thread: the browser tests' Playwright session may
    keep an event loop running in this one for the rest of the run."""

    async def read() -> Upload:
        return await read_upload(
            request, max_bytes=100_000, max_files=1, what="model file", setting="mesh_max_bytes"
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_an_upload_is_read_in_chunks_and_stopped_at_the_limit() -> None:
    request, taken = _streamed([_HEAD, *([b"\0" * 16_384] * 1000), b"\r\n--edge--\r\n"])
    with pytest.raises(PayloadTooLarge, match="larger than the limit of 100,000 bytes"):
        _read(request)
    assert taken[0] < 10, "the upload was read past its limit"


def test_an_upload_keeps_its_files_and_fields_in_memory() -> None:
    request, _ = _streamed(
        [
            _HEAD,
            b"solid x\nendsolid x\n",
            b"\r\n--edge\r\n",
            b'Content-Disposition: form-data; name="csrf_token"\r\n\r\nabc\r\n--edge--\r\n',
        ]
    )
    upload = _read(request)
    assert upload.files == [("big.stl", b"solid x\nendsolid x\n")]
    assert upload.fields == {"csrf_token": "abc"}


# -- DICOM --------------------------------------------------------------------------------------


def test_dicom_headers_pre_fill_and_are_listed(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    url = f"{API}/cases/{case_ids[HOME]}"
    zipped_series = zipped({"series/1.dcm": clean_ct()})
    sent = dm.post(f"{url}/dicom", files=[("files", ("series.zip", zipped_series))])
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["prefill"] == {"source_modalities": ["ct"], "slice_thickness_mm": 5.0}
    assert body["files"] == 1
    assert body["warnings"] == []
    [study] = body["studies"]
    assert study["series"] == study["images"] == 1
    assert len(study["study_uid_hash"]) == 64
    listed = dm.get(f"{url}/imaging")
    assert listed.status_code == 200
    assert [s["study_uid_hash"] for s in listed.json()] == [study["study_uid_hash"]]
    case = dm.get(url).json()
    assert case["row_version"] == 1, "the case waits for the person to confirm"


def test_identified_dicom_is_422_with_tags_and_no_values(
    dm: UserClient, case_ids: dict[str, str], api_platform: Platform
) -> None:
    sent = dm.post(
        f"{API}/cases/{case_ids[HOME]}/dicom",
        files=[("files", ("scan.dcm", IDENTIFIED_CT.read_bytes()))],
    )
    assert sent.status_code == 422
    body = sent.json()
    assert "PatientName" in body["detail"]
    assert "PatientName" in body["issues"]
    assert "private (0099,1001)" in body["issues"]
    assert leaks(sent.text) == []
    assert _count(api_platform, CaseImaging) == 0
    junk = dm.post(f"{API}/cases/{case_ids[HOME]}/dicom", files=[("files", ("a.txt", b"hi"))])
    assert junk.status_code == 422
    assert "not a DICOM file" in junk.json()["detail"]


def test_another_facility_s_case_answers_404(dm: UserClient, case_ids: dict[str, str]) -> None:
    url = f"{API}/cases/{case_ids[OTHER]}"
    assert dm.post(f"{url}/dicom", files=[("files", ("a.dcm", clean_ct()))]).status_code == 404
    assert dm.post(f"{url}/prints/1/mesh", files={"file": ("b.stl", box_stl())}).status_code == 404
    for path in ("imaging", "prints/1/mesh", "prints/1/mesh/thumbnail.png", "prints/1/mesh/model"):
        assert dm.get(f"{url}/{path}").status_code == 404
