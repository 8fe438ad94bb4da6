"""A facility's PACS: its DICOMweb endpoint, case pre-fill from its metadata, models sent to it.

The facility's administrators configure the endpoint; the password is sealed at rest
(``accounts.sealed``) and never shown back, only whether it is set. A case is pre-filled from
the PACS of the case's own facility, by that facility's own people who may change the case:
the metadata is read in memory, always de-identified on receipt (a PACS holds identified
studies by nature) with the same code as DICOM uploads, and kept as an upload's summary is.
What was searched for is used for that one query and never stored, logged, audited or echoed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.sealed import open_sealed, seal
from printreg.audit import audit
from printreg.cases.service import locate_case
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.facilities.models import Facility
from printreg.files.service import CaseFileService, DicomAttached
from printreg.ingest.dicom import inspect_datasets
from printreg.pacs import client
from printreg.pacs.client import PacsConnection, PacsError, StudyQuery
from printreg.pacs.models import PacsEndpoint
from printreg.platform import Platform
from printreg.storage.base import utcnow

SEAL_PURPOSE = "pacs"
MAX_STUDIES = 5  # an accession number names one study, rarely a few; more is a wrong search
MAX_SERIES = 200
URL_MAX = 500
SET, UNSET = "set", "not set"  # all that is ever shown of a stored password


@dataclass(frozen=True)
class PacsSettings:
    """A facility's endpoint as its administrators see it: never the password, only whether
    one is set."""

    facility: str
    configured: bool
    base_url: str | None
    username: str | None
    password: str  # "set" or "not set"


def check_url(url: str) -> str:
    """Return a DICOMweb base URL cleaned (no trailing slash); InvalidRequest when it is not an
    http(s) URL with a host, or carries credentials, a query or a fragment."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or len(text) > URL_MAX
        or any(c.isspace() for c in text)
    ):
        raise InvalidRequest(
            "base_url: give the DICOMweb base URL (http:// or https://, a host, a path such as "
            f"/dicom-web, at most {URL_MAX} characters, credentials in their own fields)"
        )
    return text


class PacsService:
    """Configure a facility's DICOMweb endpoint, pre-fill cases from it, store models in it."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- the endpoint ---------------------------------------------------------------------------

    def _managed(self, session: Session, code: str) -> Facility:
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            raise NotFound.no_such("facility")
        self.actor.require_facility_admin(facility.id)
        if not (self.actor.system or self.actor.belongs_to(facility.id)):
            # Searches send identifiers to this address: only the facility's own
            # administrators choose it, not registry-wide roles.
            raise Forbidden("only the facility's own administrators may set up its PACS")
        return facility

    @staticmethod
    def _view(code: str, row: PacsEndpoint | None) -> PacsSettings:
        if row is None:
            return PacsSettings(
                code, configured=False, base_url=None, username=None, password=UNSET
            )
        password = SET if row.password_sealed else UNSET
        return PacsSettings(
            code, configured=True, base_url=row.base_url, username=row.username, password=password
        )

    def settings(self, code: str) -> PacsSettings:
        """Return a facility's endpoint (facility administrators); NotFound/Forbidden else."""
        with self.platform.sessions() as session:
            facility = self._managed(session, code)
            return self._view(code, session.get(PacsEndpoint, facility.id))

    def configure(
        self,
        code: str,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        clear_password: bool = False,
    ) -> PacsSettings:
        """Set a facility's endpoint (facility administrators) and return it.

        ``password`` None keeps the one stored (unless ``clear_password``); a new one is sealed.
        An empty user name means no credentials at all.
        """
        url = check_url(base_url)
        user = (username or "").strip() or None
        if user is not None and (len(user) > 200 or ":" in user):
            raise InvalidRequest("username: at most 200 characters, without a colon")
        with self.platform.sessions() as session, session.begin():
            facility = self._managed(session, code)
            row = session.get(PacsEndpoint, facility.id)
            before = self._view(code, row)
            if row is None:
                row = PacsEndpoint(facility_id=facility.id, base_url=url, updated_by="")
                session.add(row)
            row.base_url = url
            row.username = user
            if user is None or clear_password:
                row.password_sealed = None
            elif password:
                row.password_sealed = seal(
                    self.platform.settings.secret_key, SEAL_PURPOSE, password
                )
            row.updated_at = utcnow()
            row.updated_by = self.actor.name
            after = self._view(code, row)
            audit(session, self.actor, "update", "pacs_endpoint", code, facility_id=facility.id,
                  before=_audited(before), after=_audited(after))  # fmt: skip
            return after

    def remove(self, code: str) -> None:
        """Forget a facility's endpoint and its credentials (facility administrators)."""
        with self.platform.sessions() as session, session.begin():
            facility = self._managed(session, code)
            row = session.get(PacsEndpoint, facility.id)
            if row is None:
                return
            before = self._view(code, row)
            session.delete(row)
            audit(session, self.actor, "delete", "pacs_endpoint", code, facility_id=facility.id,
                  before=_audited(before))  # fmt: skip

    def _connection(self, session: Session, facility_id: int) -> PacsConnection:
        row = session.get(PacsEndpoint, facility_id)
        if row is None:
            raise PacsError(
                "this facility has no PACS configured: its administrator can set one up on the "
                "facility's PACS page; fill in the imaging fields by hand meanwhile"
            )
        password = None
        if row.password_sealed:
            password = open_sealed(
                self.platform.settings.secret_key, SEAL_PURPOSE, row.password_sealed
            )
            if password is None:
                raise PacsError(
                    "the stored PACS password cannot be read (the installation's secret key "
                    "changed): ask your facility administrator to enter it again"
                )
        return PacsConnection(
            row.base_url, row.username, password, self.platform.settings.pacs_timeout_seconds
        )

    def available(self, registry: str, case_id: uuid.UUID) -> bool:
        """Return whether the actor may pre-fill the case from its facility's PACS now (one is
        configured and the actor belongs to the facility and may change the case)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = locate_case(session, runtime, self.actor, case_id)
            if not (
                self.actor.belongs_to(case.facility_id)
                and self.actor.may_write_cases(runtime.code, case.facility_id)
            ):
                return False
            return session.get(PacsEndpoint, case.facility_id) is not None

    # -- use ------------------------------------------------------------------------------------

    def prefill(
        self,
        registry: str,
        case_id: uuid.UUID,
        *,
        accession_number: str | None = None,
        study_instance_uid: str | None = None,
    ) -> DicomAttached:
        """Read the matching study's metadata from the case facility's PACS, de-identify it in
        memory and keep its summary with the case as an upload's is; return the pre-fill.

        InvalidRequest for a malformed search, PacsError when the PACS cannot be used or has no
        match, NotFound/Forbidden/Conflict as an upload to the case would answer.
        """
        files = CaseFileService(self.platform, self.actor)
        files.check_attach(registry, case_id)
        query = StudyQuery.of(accession_number, study_instance_uid)
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = locate_case(session, runtime, self.actor, case_id)
            if not self.actor.belongs_to(case.facility_id):
                # Only the facility's own people use its PACS (not registry-wide roles).
                raise NotFound.no_such("case")
            connection = self._connection(session, case.facility_id)
        headers = client.study_headers(
            connection, query, max_studies=MAX_STUDIES, max_series=MAX_SERIES
        )
        summary = inspect_datasets(
            headers, uid_salt=self.platform.settings.dicom_uid_key(), deidentify=True
        )
        return files.keep_summary(registry, case_id, summary, source="pacs")

    def send(self, facility_id: int, data: bytes) -> None:
        """Store one DICOM object (an Encapsulated STL) in the facility's PACS over STOW-RS.

        Only the operator and the facility's administrators may; PacsError when the PACS
        refuses or cannot be reached, or none is configured.
        """
        if not self.actor.system:
            self.actor.require_facility_admin(facility_id)
        with self.platform.sessions() as session:
            connection = self._connection(session, facility_id)
        client.store(connection, data)


def _audited(view: PacsSettings) -> dict[str, object]:
    return {
        "configured": view.configured,
        "base_url": view.base_url,
        "username": view.username,
        "password": view.password,
    }
