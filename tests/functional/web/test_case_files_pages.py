"""Case files on the pages: upload a model and DICOM headers from the case page, confirm the
pre-filled values through the case form, see thumbnails in the case list."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from tests.support.files import (
    BRAIN_STL,
    IDENTIFIED_CT,
    box_stl,
    clean_ct,
    leaks,
    wrapped_model,
)
from tests.support.pages import (
    DATA_MANAGER,
    HOME,
    OTHER,
    REG,
    VIEWER,
    Client,
    dm,  # noqa: F401 - fixtures shared with the page tests
    new_client,  # noqa: F401
    people,  # noqa: F401
    sign_in,  # noqa: F401
    store,
)
from tests.support.records import records

from printreg.platform import Platform


def _case(people: Platform, facility: str = HOME, **changes: object) -> str:
    record = {**records(facility, 1)[0], "local_case_id": "PAGE-FILES-1", **changes}
    return store(people, facility, record)


def test_a_model_uploaded_on_the_case_page_is_shown_with_its_measurement(
    people: Platform, dm: Client
) -> None:
    http, token = dm
    case_id = _case(people)
    page = http.get(f"/registries/{REG}/cases/{case_id}")
    assert page.status_code == 200
    assert 'id="print-1-form"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "importmap" not in page.text, "no viewer without a model"
    sent = http.post(
        f"/registries/{REG}/cases/{case_id}/prints/1/mesh",
        data={"csrf_token": token},
        files={"file": ("brain.stl", BRAIN_STL.read_bytes(), "model/stl")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].endswith("?attached=mesh#print-1")
    shown = http.get(sent.headers["location"])
    assert 'id="mesh-attached"' in shown.text
    assert f"/api/v1/registries/{REG}/cases/{case_id}/prints/1/mesh/thumbnail.png" in shown.text
    assert 'data-model="/api/v1/registries/' in shown.text
    assert '<script type="importmap">' in shown.text
    assert "/static/viewer.js" in shown.text
    table = shown.text[shown.text.index('id="print-1-measurement"') :]
    assert "1781.4" in table
    assert "5,200" in table
    assert http.get("/static/viewer.js").status_code == 200
    assert http.get("/static/vendor/three/three.module.min.js").status_code == 200
    assert http.get("/static/vendor/three/addons/loaders/GLTFLoader.js").status_code == 200


def test_a_parts_warning_and_a_bad_file_are_shown_by_the_print(
    people: Platform, dm: Client
) -> None:
    http, token = dm
    record = records(HOME, 1)[0]
    parts = [{"region": "head", "structure": "bone", "laterality": "right"}] * 2
    prints = [{**record["prints"][0], "part_numbers": [1, 2]}]
    case_id = _case(people, anatomic_parts=parts, prints=prints)
    url = f"/registries/{REG}/cases/{case_id}/prints/1/mesh"
    shown = http.post(url, data={"csrf_token": token}, files={"file": ("box.stl", box_stl())})
    assert shown.status_code == 200
    assert "1 separate bodies but the print declares 2 part(s)" in shown.text
    bad = http.post(url, data={"csrf_token": token}, files={"file": ("box.3mf", box_stl())})
    assert bad.status_code == 422
    assert 'id="print-1-problem"' in bad.text
    assert "not a 3MF file" in bad.text
    empty = http.post(url, data={"csrf_token": token}, files={"file": ("", b"")})
    assert empty.status_code == 422
    assert "no model file was sent" in empty.text


def test_an_identified_dicom_wrapped_model_is_refused_by_the_print(
    people: Platform, dm: Client
) -> None:
    http, token = dm
    case_id = _case(people)
    url = f"/registries/{REG}/cases/{case_id}/prints/1/mesh"
    wrapped = wrapped_model(BRAIN_STL.read_bytes())
    refused = http.post(url, data={"csrf_token": token}, files={"file": ("brain.dcm", wrapped)})
    assert refused.status_code == 422
    assert 'id="print-1-problem"' in refused.text
    assert "PatientName" in refused.text
    assert leaks(refused.text) == []
    clean = wrapped_model(BRAIN_STL.read_bytes(), identified=False)
    sent = http.post(
        url,
        data={"csrf_token": token},
        files={"file": ("brain.dcm", clean)},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    shown = http.get(sent.headers["location"])
    assert "1781.4" in shown.text[shown.text.index('id="print-1-measurement"') :]


def test_dicom_values_are_confirmed_through_the_case_form(people: Platform, dm: Client) -> None:
    http, token = dm
    case_id = _case(people, source_modalities=["mr"], slice_thickness_mm=2.5)
    url = f"/registries/{REG}/cases/{case_id}"
    sent = http.post(
        f"{url}/dicom",
        data={"csrf_token": token},
        files=[("files", ("ct.dcm", clean_ct()))],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    shown = http.get(sent.headers["location"])
    prefill = shown.text[shown.text.index('id="dicom-prefill"') :]
    assert "(differs)" in prefill
    assert f'href="{url}/edit?prefill=dicom"' in shown.text
    form = http.get(f"{url}/edit", params={"prefill": "dicom"})
    assert form.status_code == 200
    assert 'id="prefill-notice"' in form.text
    assert re.search(r'id="f-source_modalities-ct"[^>]*checked', form.text)
    assert not re.search(r'id="f-source_modalities-mr"[^>]*checked', form.text)
    assert re.search(r'id="f-slice_thickness_mm"[^>]*value="5"', form.text)
    # Nothing changed until the person saves the form.
    unchanged = http.get(url)
    assert "PAGE-FILES-1" in unchanged.text


def test_identified_dicom_is_refused_on_the_page_with_tags_only(
    people: Platform, dm: Client
) -> None:
    http, token = dm
    case_id = _case(people)
    refused = http.post(
        f"/registries/{REG}/cases/{case_id}/dicom",
        data={"csrf_token": token},
        files=[("files", ("scan.dcm", IDENTIFIED_CT.read_bytes()))],
    )
    assert refused.status_code == 422
    problem = refused.text[refused.text.index('id="dicom-problem"') :]
    assert "PatientName" in problem
    assert leaks(refused.text) == []


def test_uploads_need_the_csrf_token_and_a_role_that_writes(
    people: Platform, sign_in: Callable[[str], Client]
) -> None:
    case_id = _case(people)
    url = f"/registries/{REG}/cases/{case_id}/prints/1/mesh"
    http, token = sign_in(DATA_MANAGER)
    missing = http.post(url, files={"file": ("box.stl", box_stl())})
    assert missing.status_code == 403
    viewer, viewer_token = sign_in(VIEWER)
    page = viewer.get(f"/registries/{REG}/cases/{case_id}")
    assert 'id="print-1-form"' not in page.text
    refused = viewer.post(
        url, data={"csrf_token": viewer_token}, files={"file": ("box.stl", box_stl())}
    )
    assert refused.status_code == 403
    other = _case(people, OTHER)
    hidden = http.post(
        f"/registries/{REG}/cases/{other}/prints/1/mesh",
        data={"csrf_token": token},
        files={"file": ("box.stl", box_stl())},
    )
    assert hidden.status_code == 404


@pytest.mark.parametrize("with_model", [True, False])
def test_the_case_list_shows_a_thumbnail_when_a_case_has_one(
    people: Platform, dm: Client, with_model: bool
) -> None:
    http, token = dm
    case_id = _case(people)
    if with_model:
        http.post(
            f"/registries/{REG}/cases/{case_id}/prints/1/mesh",
            data={"csrf_token": token},
            files={"file": ("box.stl", box_stl())},
        )
    listed = http.get(f"/registries/{REG}/cases")
    thumbnail = f"/api/v1/registries/{REG}/cases/{case_id}/prints/1/mesh/thumbnail.png"
    assert (thumbnail in listed.text) is with_model
    if with_model:
        image = http.get(thumbnail)
        assert image.status_code == 200
        assert image.content.startswith(b"\x89PNG")
