"""A throwaway Orthanc PACS with its DICOMweb plugin, for the PACS tests.

`start_orthanc()` writes a JSON configuration into a fresh temporary directory (storage and
index there, HTTP on a free loopback port, no DICOM listener, remote access refused, HTTP Basic
authentication with one user) and starts Debian's ``Orthanc`` with the ``orthanc-dicomweb``
plugin. It is the test run's own: never the Debian service, and `OrthancServer.stop()` ends it
and deletes its directory. ``scripts/ensure-system-deps.sh orthanc`` installs the packages.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
import requests
from dicomweb_client import DICOMwebClient
from pydicom.data import get_testdata_file

ORTHANC = Path("/usr/sbin/Orthanc")
PLUGINS = Path("/usr/share/orthanc/plugins")
PLUGIN = "libOrthancDicomWeb.so"
HOST = "127.0.0.1"
USER = "printreg-pacs"
PASSWORD = "orthanc-test-password"  # noqa: S105 - the throwaway server's own test user
_START_SECONDS = 30.0


class OrthancUnavailable(Exception):  # noqa: N818 - named for what the tests skip on
    """No Orthanc can be had here; ``reason`` says why (the tests skip with it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class OrthancServer:
    """A running Orthanc: its DICOMweb root, credentials, process and directory."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def dicomweb_url(self) -> str:
        """Return the DICOMweb base URL (QIDO-RS, WADO-RS and STOW-RS live under it)."""
        return f"http://{HOST}:{self.port}/dicom-web"

    def stop(self) -> None:
        """End the server and delete its storage."""
        if self.process.poll() is None:
            # Killed, not asked to stop: its storage is thrown away next (a clean stop takes ~2 s).
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self) -> str:
        """Return the end of the server's log (for a failure message)."""
        path = self.directory / "orthanc.log"
        with contextlib.suppress(OSError):
            return "\n".join(path.read_text(errors="replace").splitlines()[-30:])
        return ""


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    request = urllib.request.Request(url)  # noqa: S310 - a loopback http URL built here
    request.add_header("Authorization", "Basic " + _basic())
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - as above
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _basic() -> str:
    return base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def start_orthanc() -> OrthancServer:
    """Start Orthanc on a free loopback port; OrthancUnavailable when it cannot run here."""
    plugin = PLUGINS / PLUGIN
    if not ORTHANC.is_file() or not plugin.exists():
        raise OrthancUnavailable(
            f"{ORTHANC} or {plugin} is missing: run `scripts/ensure-system-deps.sh orthanc` "
            "(Debian packages orthanc and orthanc-dicomweb)"
        )
    directory = Path(tempfile.mkdtemp(prefix="printreg-orthanc-"))
    port = free_port()
    config = {
        "Name": "printreg-test",
        "StorageDirectory": str(directory / "storage"),
        "IndexDirectory": str(directory / "index"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "DicomPort": free_port(),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [str(plugin)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "StudiesMetadata": "Full"},
        "StorageCompression": False,
        "HttpDescribeErrors": False,
        "ConcurrentJobs": 1,
        "HttpThreadsCount": 4,
    }
    (directory / "orthanc.json").write_text(json.dumps(config))
    log = (directory / "orthanc.log").open("wb")
    try:
        process = subprocess.Popen(
            [str(ORTHANC), str(directory / "orthanc.json")],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    except OSError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise OrthancUnavailable(f"Orthanc cannot start: {exc}") from None
    finally:
        log.close()
    server = OrthancServer(port, directory, process)
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise OrthancUnavailable(f"Orthanc exited at start:\n{tail}")
        if _ready(f"{server.dicomweb_url}/studies"):
            return server
        time.sleep(0.1)
    tail = server.log_tail()
    server.stop()
    raise OrthancUnavailable(f"Orthanc did not answer within {_START_SECONDS:g} s:\n{tail}")


# -- the session's server, loaded with pydicom's sample files ------------------------------------

#: the accession numbers given to pydicom's CT and MR samples (theirs are empty) before storing
CT_ACCESSION = "A7781CT"
MR_ACCESSION = "A7781MR"
SAMPLES = {"CT_small.dcm": CT_ACCESSION, "MR_small.dcm": MR_ACCESSION}
orthanc_problem = pytest.StashKey[str]()


@dataclass(frozen=True)
class LoadedPacs:
    """The session's Orthanc and what it holds: the samples' identifying values by file."""

    server: OrthancServer
    studies: dict[str, dict[str, str]]  # sample name -> accession, study UID, patient name, ID

    @property
    def url(self) -> str:
        return self.server.dicomweb_url


def _load(server: OrthancServer) -> dict[str, dict[str, str]]:
    """Store pydicom's CT and MR samples in Orthanc over STOW-RS (dicomweb-client)."""
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    client = DICOMwebClient(server.dicomweb_url, session=session, timeout=10)
    studies: dict[str, dict[str, str]] = {}
    datasets = []
    for name, accession in SAMPLES.items():
        path = get_testdata_file(name, download=False)
        if path is None:
            raise OrthancUnavailable(f"pydicom's sample {name} is missing")
        ds = pydicom.dcmread(path)
        ds.AccessionNumber = accession
        datasets.append(ds)
        studies[name] = {
            "accession": accession,
            "study_uid": str(ds.StudyInstanceUID),
            "patient_name": str(ds.PatientName),
            "patient_id": str(ds.PatientID),
        }
    answer = client.store_instances(datasets)
    if answer.get("FailedSOPSequence"):
        raise OrthancUnavailable("Orthanc refused pydicom's sample files over STOW-RS")
    return studies


@pytest.fixture(scope="session")
def orthanc(request: pytest.FixtureRequest) -> Iterator[LoadedPacs]:
    """Yield the session's Orthanc (started on first use, stopped at the end), loaded with
    pydicom's CT and MR samples; skip loudly when Orthanc cannot run here."""
    try:
        server = start_orthanc()
    except OrthancUnavailable as exc:
        request.config.stash[orthanc_problem] = exc.reason
        pytest.skip(f"ORTHANC UNAVAILABLE, PACS tests skipped: {exc.reason}")
    try:
        try:
            studies = _load(server)
        except Exception as exc:  # noqa: BLE001 - any failure to load is the reason to skip
            request.config.stash[orthanc_problem] = f"{exc}\n{server.log_tail()}"
            pytest.skip(f"ORTHANC UNAVAILABLE, PACS tests skipped: {exc}")
        yield LoadedPacs(server, studies)
    finally:
        server.stop()
