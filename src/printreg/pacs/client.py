"""Talk to a PACS over DICOMweb with ``dicomweb-client``: metadata searches and STOW-RS stores.

Only metadata is asked for (QIDO-RS searches, WADO-RS metadata of one instance per series),
never pixel data. What a person searched for is an identifier: it goes into that one query and
nowhere else. The HTTP libraries' own loggers are silenced during each call (their debug lines
quote request URLs, which hold it), and their exceptions (which quote URLs too) are replaced by a
message that says what went wrong with the PACS and names no value.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any, TypeVar

from printreg.domain.errors import InvalidRequest, RegistryError

if TYPE_CHECKING:
    from dicomweb_client import DICOMwebClient
    from pydicom.dataset import Dataset

T = TypeVar("T")

#: loggers that quote request URLs (and so a searched identifier) at debug level
HTTP_LOGGERS = ("dicomweb_client", "dicomweb_client.web", "urllib3", "urllib3.connectionpool")
UID = re.compile(r"[0-9]+(?:\.[0-9]+)*")
#: characters an accession number may not hold: QIDO-RS wildcards (a search would match other
#: patients' studies), DICOM's value separator, and control characters
NOT_IN_ACCESSION = re.compile(r"[*?\\\x00-\x1f\x7f]")
ACCESSION_MAX = 16  # VR SH
STUDY_UID = "0020000D"
SERIES_UID = "0020000E"
SOP_UID = "00080018"
SERIES_INSTANCES = "00201209"
#: a whole search (one request per study, two per series) may take this many timeouts
TOTAL_TIMEOUTS = 3


class PacsError(RegistryError):
    """The PACS cannot be used right now; the message says why and names no searched value."""


@dataclass(frozen=True)
class PacsConnection:
    """Where a facility's DICOMweb service is, how to sign in, and how long to wait (seconds)."""

    url: str
    username: str | None
    password: str | None
    timeout: float


@dataclass(frozen=True)
class StudyQuery:
    """One search: by accession number or by study instance UID (exactly one is set)."""

    accession_number: str | None = None
    study_instance_uid: str | None = None

    @classmethod
    def of(cls, accession_number: str | None, study_instance_uid: str | None) -> StudyQuery:
        """Return the query checked; InvalidRequest (quoting no value) when malformed."""
        accession = (accession_number or "").strip()
        uid = (study_instance_uid or "").strip()
        if bool(accession) == bool(uid):
            raise InvalidRequest("give an accession number or a study instance UID (one of them)")
        if uid and (len(uid) > 64 or not UID.fullmatch(uid)):
            raise InvalidRequest(
                "a study instance UID is digits and dots, at most 64 characters: check it"
            )
        if accession and (len(accession) > ACCESSION_MAX or NOT_IN_ACCESSION.search(accession)):
            raise InvalidRequest(
                f"an accession number has at most {ACCESSION_MAX} characters and no wildcard "
                "(* or ?): check it"
            )
        return cls(accession or None, uid or None)

    def filters(self) -> dict[str, str]:
        """Return the QIDO-RS matching attributes of the search."""
        if self.accession_number:
            return {"AccessionNumber": self.accession_number}
        return {"StudyInstanceUID": self.study_instance_uid or ""}


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:  # noqa: ARG002 - drops every record
        return False


@contextlib.contextmanager
def _quiet_http() -> Iterator[None]:
    """Silence the HTTP loggers for the call: their debug lines quote the request URL."""
    dropper = _DropAll()
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(dropper)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(dropper)


def _client(connection: PacsConnection) -> DICOMwebClient:
    import requests
    from dicomweb_client import DICOMwebClient

    session = requests.Session()
    if connection.username:
        session.auth = (connection.username, connection.password or "")
    with _quiet_http():
        client = DICOMwebClient(
            connection.url, session=session, timeout=(connection.timeout, connection.timeout)
        )
    # One attempt per request: the person waits at most the timeout for each.
    client.set_http_retry_params(retry=False)
    return client


def _call(connection: PacsConnection, work: Callable[[DICOMwebClient], T]) -> T:
    """Return ``work``'s result on a client of the PACS; PacsError saying what went wrong."""
    import requests

    try:
        with _quiet_http():
            return work(_client(connection))
    except requests.exceptions.Timeout:
        raise PacsError(
            f"the PACS did not answer within {connection.timeout:g} seconds: try again later, "
            "or fill in the imaging fields by hand"
        ) from None
    except requests.exceptions.ConnectionError:
        raise PacsError(
            "the PACS cannot be reached (connection refused or no such host): ask your facility "
            "administrator to check its address, or fill in the imaging fields by hand"
        ) from None
    except requests.exceptions.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        raise _http_error(status) from None
    except PacsError:
        raise
    except (requests.RequestException, ValueError, KeyError, TypeError, IndexError):
        raise PacsError(
            "the PACS sent an answer that cannot be read (is it a DICOMweb service?)"
        ) from None


def _http_error(status: int) -> PacsError:
    if status in (401, 403):
        return PacsError(
            f"the PACS refused printreg's credentials (HTTP {status}): ask your facility "
            "administrator to check the user name and password"
        )
    if status == 404:
        return PacsError(
            "the PACS has no DICOMweb service at the configured address (HTTP 404): ask your "
            "facility administrator to check it"
        )
    return PacsError(f"the PACS answered with an error (HTTP {status}): try again later")


def _value(item: dict[str, Any], tag: str) -> Any:
    values = (item.get(tag) or {}).get("Value") or [None]
    return values[0]


def _dataset(metadata: dict[str, Any]) -> Dataset:
    from pydicom.dataset import Dataset

    from printreg.ingest.dicom import _quiet_pydicom

    with _quiet_pydicom():
        # Bulk data (pixels, large binaries) stays on the PACS: with no handler, pydicom leaves
        # those values empty instead of fetching them.
        return Dataset.from_json(metadata)


def study_headers(
    connection: PacsConnection, query: StudyQuery, *, max_studies: int, max_series: int
) -> list[tuple[str, Dataset, int]]:
    """Return one header per series of the studies that match ``query``, each with the number
    of images of its series, as (name for messages, header, images).

    Each request waits at most the connection's timeout, and the whole search at most
    ``TOTAL_TIMEOUTS`` of them. Raises PacsError when none matches, more than ``max_studies``
    do, the search takes too long, or the PACS fails.
    """

    budget = connection.timeout * TOTAL_TIMEOUTS
    deadline = monotonic() + budget

    def in_time() -> None:
        if monotonic() > deadline:
            raise PacsError(
                f"the PACS took more than {budget:g} seconds to describe the study: try again "
                "later, or fill in the imaging fields by hand"
            )

    def work(client: DICOMwebClient) -> list[tuple[str, Dataset, int]]:
        studies = client.search_for_studies(search_filters=query.filters(), limit=max_studies + 1)
        if not studies:
            raise PacsError(
                "no study on the PACS matches: check what you typed, or fill in the imaging "
                "fields by hand"
            )
        if len(studies) > max_studies:
            raise PacsError(
                f"more than {max_studies} studies match: search by study instance UID instead"
            )
        headers = []
        for s, study in enumerate(studies, 1):
            study_uid = str(_value(study, STUDY_UID) or "")
            series = client.search_for_series(study_uid, limit=max_series + 1)
            if len(series) > max_series:
                raise PacsError(f"a matching study has more than {max_series} series: refused")
            for n, item in enumerate(series, 1):
                in_time()
                series_uid = str(_value(item, SERIES_UID) or "")
                first = client.search_for_instances(study_uid, series_uid, limit=1)
                if not first:
                    continue
                sop_uid = str(_value(first[0], SOP_UID) or "")
                metadata = client.retrieve_instance_metadata(study_uid, series_uid, sop_uid)
                count = int(_value(item, SERIES_INSTANCES) or 1)
                headers.append((f"PACS study {s} series {n}", _dataset(metadata), count))
        if not headers:
            raise PacsError("the matching studies hold no instance on the PACS")
        return headers

    return _call(connection, work)


def store(connection: PacsConnection, data: bytes) -> None:
    """Send one DICOM object (a file's bytes) to the PACS over STOW-RS; PacsError when the PACS
    fails or refuses it."""
    import pydicom

    dataset = pydicom.dcmread(io.BytesIO(data))

    def work(client: DICOMwebClient) -> None:
        answer = client.store_instances([dataset])
        failed = answer.get("FailedSOPSequence") if answer is not None else None
        if failed:
            raise PacsError("the PACS refused to store the object")

    _call(connection, work)


def retrieve(connection: PacsConnection, study: str, series: str, instance: str) -> bytes:
    """Return one stored object as a DICOM file's bytes (WADO-RS); PacsError when it fails."""

    def work(client: DICOMwebClient) -> bytes:
        dataset = client.retrieve_instance(study, series, instance)
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
        return out.getvalue()

    return _call(connection, work)
