"""A case pre-filled from a real PACS over DICOMweb, and a printed model archived in it.

The PACS is the session's Orthanc with its DICOMweb plugin (tests/support/orthanc.py), loaded
over STOW-RS with pydicom's CT and MR samples. These tests run on SQLite only: what they check
is the talk with the PACS, which no database changes (tests/security/test_pacs.py checks the
endpoint's settings and who may use them on both databases).
"""

from __future__ import annotations

import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pydicom
import pytest
from pydicom.data import get_testdata_file
from tests.support.files import BRAIN_STL, clean_ct, database_text
from tests.support.orthanc import PASSWORD, USER, LoadedPacs, free_port, orthanc  # noqa: F401
from tests.support.web import API, DATA_MANAGER, FACILITY_ADMIN, HOME, UserClient
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cli.app import app as cli
from printreg.dictionary.loader import imaging_targets
from printreg.files.service import CaseFileService
from printreg.ingest.dicom import inspect_upload
from printreg.ingest.mesh import load_mesh, measure
from printreg.pacs import client
from printreg.pacs.service import PacsService
from printreg.platform import Platform
from printreg.privacy.dicom import find_identifiers

REG = "3dp"
CT, MR = "CT_small.dcm", "MR_small.dcm"
WRONG = "wrong-password"


def _configure(admin: UserClient, url: str, password: str = PASSWORD) -> httpx.Response:
    body = {"base_url": url, "username": USER, "password": password}
    return admin.put(f"/api/v1/facilities/{HOME}/pacs", json=body)


def _secrets(pacs: LoadedPacs) -> list[str]:
    """Return what must never be kept, logged or echoed: the searched values, the samples'
    patient identifiers and the PACS password."""
    found = [PASSWORD]
    for study in pacs.studies.values():
        found += [study["accession"], study["study_uid"], study["patient_name"]]
    return found


def _search_from_the_case_page(dm: UserClient, case: str, accession: str) -> list[str]:
    """Search from the case page's box; check the values to confirm; return the pages."""
    page = f"/registries/{REG}/cases/{case}"
    shown_page = dm.get(page)
    assert 'id="pacs-search-form"' in shown_page.text
    posted = dm.post(
        page + "/pacs",
        data={"csrf_token": dm.csrf, "search_by": "accession", "identifier": accession},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == f"{page}?attached=pacs#imaging"
    after = dm.get(posted.headers["location"])
    assert 'id="pacs-attached"' in after.text
    assert 'id="dicom-prefill"' in after.text
    return [shown_page.text, after.text, posted.text]


def test_a_case_is_prefilled_from_the_pacs_and_the_search_leaves_no_trace(
    orthanc: LoadedPacs,
    client_for: Callable[[str], UserClient],
    case_ids: dict[str, str],
    api_platform: Platform,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    admin = client_for(FACILITY_ADMIN)
    configured = _configure(admin, orthanc.url + "/")
    assert configured.status_code == 200, configured.text
    shown = {"facility": HOME, "configured": True, "base_url": orthanc.url, "username": USER,
             "password": "set"}  # fmt: skip
    assert configured.json() == shown
    assert admin.get(f"/api/v1/facilities/{HOME}/pacs").json() == shown

    dm = client_for(DATA_MANAGER)
    case = case_ids[HOME]
    ct, mr = orthanc.studies[CT], orthanc.studies[MR]
    by_accession = dm.post(f"{API}/cases/{case}/pacs", json={"accession_number": ct["accession"]})
    assert by_accession.status_code == 201, by_accession.text
    answers.append(by_accession.text)
    got = by_accession.json()
    # the same imaging fields as an upload of the same file, de-identified on receipt
    path = get_testdata_file(CT, download=False)
    assert path is not None
    upload = inspect_upload(
        [(CT, Path(path).read_bytes())],
        uid_salt=api_platform.settings.dicom_uid_key(),
        deidentify=True,
    )
    assert got["prefill"] == upload.prefill(imaging_targets(REG))
    assert ["ct"] in got["prefill"].values()
    assert 5.0 in got["prefill"].values()  # the CT sample's slice thickness
    assert got["deidentified"] is True
    assert {"PatientName", "PatientID"} <= set(got["removed"])
    assert got["studies"][0]["study_uid_hash"] == upload.studies[0].uid_hash

    by_uid = dm.post(f"{API}/cases/{case}/pacs", json={"study_instance_uid": mr["study_uid"]})
    assert by_uid.status_code == 201, by_uid.text
    answers.append(by_uid.text)
    assert ["mr"] in by_uid.json()["prefill"].values()
    imaging = dm.get(f"{API}/cases/{case}/imaging")
    assert sorted(s["study"]["modalities"][0] for s in imaging.json()) == ["CT", "MR"]
    answers.append(imaging.text)

    answers += _search_from_the_case_page(dm, case, ct["accession"])

    # a search that matches nothing, or is a wildcard, is refused without echoing it
    missing = dm.post(f"{API}/cases/{case}/pacs", json={"accession_number": "NOPE4242"})
    assert missing.status_code == 502
    assert "no study on the PACS matches" in missing.json()["detail"]
    wildcard = dm.post(f"{API}/cases/{case}/pacs", json={"accession_number": "A77*"})
    assert wildcard.status_code == 400
    assert "wildcard" in wildcard.json()["detail"]
    both = dm.post(
        f"{API}/cases/{case}/pacs",
        json={"accession_number": ct["accession"], "study_instance_uid": mr["study_uid"]},
    )
    assert both.status_code == 400
    answers += [missing.text, wildcard.text, both.text]

    stored = database_text(api_platform.engine)
    for secret in [*_secrets(orthanc), "NOPE4242", "A77*"]:
        assert secret not in caplog.text, "a searched value or identifier was logged"
        assert secret not in stored, "a searched value or identifier was stored"
        for answer in answers:
            assert secret not in answer, "a searched value or identifier was echoed"
    assert "pacs" in stored  # the search was audited, by source only


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Yield a loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_an_unreachable_slow_or_refusing_pacs_gets_a_clear_message_and_the_form_still_works(
    orthanc: LoadedPacs,
    client_for: Callable[[str], UserClient],
    case_ids: dict[str, str],
    api_platform: Platform,
    silent_port: int,
) -> None:
    admin, dm = client_for(FACILITY_ADMIN), client_for(DATA_MANAGER)
    case = case_ids[HOME]
    search = {"accession_number": orthanc.studies[CT]["accession"]}
    url = f"{API}/cases/{case}/pacs"

    assert dm.post(url, json=search).json()["detail"].startswith("this facility has no PACS")
    assert _configure(admin, orthanc.url, password=WRONG).status_code == 200
    refused = dm.post(url, json=search)
    assert refused.status_code == 502
    assert "refused printreg's credentials (HTTP 401)" in refused.json()["detail"]

    assert _configure(admin, f"http://127.0.0.1:{free_port()}/dicom-web").status_code == 200
    unreachable = dm.post(url, json=search)
    assert unreachable.status_code == 502
    assert "cannot be reached" in unreachable.json()["detail"]
    # the page says so beside the search, and the case can still be filled in by hand
    page = f"/registries/{REG}/cases/{case}"
    form = {
        "csrf_token": dm.csrf,
        "search_by": "accession",
        "identifier": search["accession_number"],
    }
    shown = dm.post(page + "/pacs", data=form)
    assert shown.status_code == 502
    assert 'id="dicom-problem"' in shown.text
    assert "cannot be reached" in shown.text
    assert search["accession_number"] not in shown.text
    assert dm.get(page + "/edit").status_code == 200

    assert _configure(admin, f"http://127.0.0.1:{silent_port}/dicom-web").status_code == 200
    api_platform.settings = api_platform.settings.model_copy(update={"pacs_timeout_seconds": 0.5})
    started = time.monotonic()
    slow = dm.post(url, json=search)
    assert time.monotonic() - started < 5, "the timeout did not bound the wait"
    assert slow.status_code == 502
    assert "did not answer within 0.5 seconds" in slow.json()["detail"]
    for answer in (refused, unreachable, slow):
        assert search["accession_number"] not in answer.text
    assert dm.get(f"{API}/cases/{case}/imaging").json() == []


def test_a_printed_model_goes_to_the_pacs_and_comes_back_the_same(
    orthanc: LoadedPacs,
    api_platform: Platform,
    case_ids: dict[str, str],
    tmp_path: Path,
) -> None:
    operator = Actor.operator("test")
    PacsService(api_platform, operator).configure(HOME, orthanc.url, USER, PASSWORD)
    case = uuid.UUID(case_ids[HOME])
    files = CaseFileService(api_platform, operator)
    files.attach_dicom(REG, case, [("ct.dcm", clean_ct(api_platform.settings.dicom_uid_key()))])
    out = tmp_path / "model.dcm"
    result = CliRunner().invoke(cli, ["mesh", "export-dicom", str(BRAIN_STL), "-o", str(out),
                                      "--case", str(case), "-r", REG, "--send-to-pacs", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sent_to_pacs"] is True
    sent = pydicom.dcmread(out)

    connection = client.PacsConnection(orthanc.url, USER, PASSWORD, 10.0)
    data = client.retrieve(connection, sent.StudyInstanceUID, sent.SeriesInstanceUID,
                           sent.SOPInstanceUID)  # fmt: skip
    back = pydicom.dcmread(io.BytesIO(data))
    assert back.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.3"  # Encapsulated STL Storage
    assert back.StudyInstanceUID == sent.StudyInstanceUID  # the case's de-identified study
    assert str(back.PatientName) in ("", "REMOVED")
    assert str(back.PatientID) in ("", "REMOVED")
    assert not back.get("PatientBirthDate")
    assert find_identifiers(back) == []

    mesh = files.attach_mesh(REG, case, 1, "from-pacs.dcm", data)
    original = measure(load_mesh(BRAIN_STL.read_bytes(), BRAIN_STL.name))
    expected = original.to_dict()
    for key in ("volume_ml", "surface_area_cm2", "triangles", "bodies", "watertight"):
        assert mesh.measurement[key] == expected[key], key

    # a PACS that refuses: the CLI says so (after writing the file) and exits 1
    PacsService(api_platform, operator).configure(HOME, orthanc.url, USER, WRONG)
    refused = CliRunner().invoke(cli, ["mesh", "export-dicom", str(BRAIN_STL), "-o", str(out),
                                       "--case", str(case), "-r", REG, "--send-to-pacs"])  # fmt: skip
    assert refused.exit_code == 1
    assert "refused printreg's credentials" in refused.stderr
