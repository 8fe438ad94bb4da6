"""A small, hand-built registry for the analytics tests: four facilities, 34 reportable cases.

Every case is written out in :data:`CASES` with the few values the measures read, so a test can
compute its expected figures from these tuples (with numpy or by hand) without calling the code
under test. :func:`load` stores them through the ordinary services: facilities and printers with
``FacilityService``, cases with ``CaseService`` (one case locked, plus a draft and a soft-deleted
case with outlandish values that no figure may include).

Facilities: FA and FB are academic / metropolitan / northeast, FC and FD community / rural /
south; every facility has fewer than 25 cases in the last four quarters, so all four are in the
"low" volume band and there are two peer groups, {FA, FB} and {FC, FD}.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.facilities.models import Facility
from printreg.facilities.schemas import FacilityProfile, PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.settings import Settings
from tests.support.pgserver import PostgresServer, create_database, drop_database

if TYPE_CHECKING:
    import polars as pl

REG = "3dp"
TEMPLATE = "printreg_template"  # the migrated template database of tests/conftest.py
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
MODEL, GUIDE = "anatomic_model", "anatomic_guide"

FACILITIES = {
    "FA": FacilityProfile("FA", "Alder Hospital", "academic", "metropolitan", "northeast", "radiology"),
    "FB": FacilityProfile("FB", "Birch Medical Center", "academic", "metropolitan", "northeast", "surgery"),
    "FC": FacilityProfile("FC", "Cedar Community Hospital", "community", "rural", "south", "radiology"),
    "FD": FacilityProfile("FD", "Dogwood Clinic", "community", "rural", "south", "other"),
}  # fmt: skip
PRINTERS = (
    PrinterInfo("FA", "FA-P1", "Formlabs", "Form 3B", "vat_photopolymerization"),
    PrinterInfo("FA", "FA-P2", "Stratasys", "J750", "material_jetting"),
    PrinterInfo("FB", "FB-P1", "Ultimaker", "S5", "material_extrusion"),
    PrinterInfo("FC", "FC-P1", "Formlabs", "Form 3B", "vat_photopolymerization"),
    PrinterInfo("FD", "FD-P1", "Prusa", "MK4", "material_extrusion"),
)
EFFORT_ELEMENTS = (
    "effort_consultation_clinician_min",
    "effort_segmentation_clinician_min",
    "effort_cad_clinician_min",
    "effort_prep_post_clinician_min",
    "effort_consultation_nonclinician_min",
    "effort_segmentation_nonclinician_min",
    "effort_cad_nonclinician_min",
    "effort_prep_post_nonclinician_min",
)


@dataclass(frozen=True)
class Case:
    """One case as the tests see it; :meth:`record` turns it into a valid 3dp record.

    ``clinician`` and ``nonclinician`` are the effort totals (None: one clinician activity is
    'unknown', so the totals are missing); they are split as clinician = (c − 10) + 5 + 5 + 0
    and non-clinician = 10 + (n − 40) + 20 + 10 over consultation, segmentation, CAD, prep.
    ``units`` is the count of anatomic parts (models) or of guides (guides, which also get one
    anatomic part). ``assessment`` is (plan altered, time saved, confidence before, after) or
    None. ``billed`` is "match", "mismatch" or None (no billed codes).
    """

    facility: str
    local_id: str
    request: dt.date
    turnaround: int | None
    object_type: str
    organ: str
    units: int
    clinician: int | None
    nonclinician: int
    modalities: tuple[str, ...] = ("ct",)
    assessment: tuple[int, int, int, int] | None = None
    billed: str | None = "match"
    uses: tuple[str, ...] = ("surgical_planning",)
    scenario: str | None = None
    printers: tuple[str, ...] = ()
    status: str = "complete"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def parts(self) -> int:
        """Rows of the anatomic parts group."""
        return self.units if self.object_type == MODEL else 1

    @property
    def effort_total(self) -> int | None:
        """Clinician + non-clinician minutes (None when one activity is unknown)."""
        return None if self.clinician is None else self.clinician + self.nonclinician

    @property
    def suggested(self) -> dict[str, int]:
        """The suggested CPT units by code."""
        first, more = ("0559T", "0560T") if self.object_type == MODEL else ("0561T", "0562T")
        return {first: 1, more: self.units - 1} if self.units > 1 else {first: 1}

    def record(self) -> dict[str, Any]:
        """Return the case as a record for CaseService."""
        printers = self.printers or (f"{self.facility}-P1",)
        c, n = self.clinician, self.nonclinician
        effort: list[int | str] = [
            *((c - 10, 5, 5, 0) if c is not None else (20, "unknown", 5, 0)),
            *(10, n - 40, 20, 10),
        ]
        record: dict[str, Any] = {
            "facility": self.facility,
            "status": self.status,
            "local_case_id": self.local_id,
            "patient_age_years": 50,
            "patient_sex": "female",
            "request_date": self.request.isoformat(),
            "source_modalities": list(self.modalities),
            "organ_system": self.organ,
            "indication_text": "Planning of a complex repair",
            "object_type": self.object_type,
            "intended_uses": list(self.uses),
            "ordering_service": "cardiac_surgery",
            "segmentation_tool": "slicer_3d",
            "anatomic_parts": [
                {"region": "chest", "structure": "heart", "laterality": "not_applicable"}
                for _ in range(self.parts)
            ],
            "prints": [
                {
                    "printer": label,
                    "material_family": "pla" if label.endswith("P1") else "clear_photopolymer",
                    "scale_pct": 100,
                    "copies": 1,
                    "optical": "opaque",
                    "part_numbers": list(range(1, self.parts + 1)),
                }
                for label in printers
            ],
            "procedure_performed": "no",
            **dict(zip(EFFORT_ELEMENTS, effort, strict=True)),
        }
        if self.turnaround is not None:
            delivery = self.request + dt.timedelta(days=self.turnaround)
            record["delivery_date"] = delivery.isoformat()
        if self.object_type == GUIDE:
            record["guide_type"] = "cutting"
            record["guide_count"] = self.units
        if self.scenario:
            record["appropriateness_scenario"] = self.scenario
        if self.billed is not None:
            units = dict(self.suggested)
            if self.billed == "mismatch":
                first = next(iter(units))
                units = {first: 1}  # the add-on left out
            record["billed_codes"] = [{"code": k, "units": v} for k, v in units.items()]
        if self.assessment is not None:
            plan, saved, before, after = self.assessment
            record |= {
                "respondent_role": "attending",
                "easy_to_use": 4,
                "compatible_with_approach": 4,
                "plan_altered": plan,
                "important_for_case": 4,
                "quality_adequate": 4,
                "confidence_before": before,
                "confidence_after": after,
                "time_saved_min": saved,
            }
        return record | self.extra


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _cases(facility: str, rows: Iterable[tuple[Any, ...]]) -> list[Case]:
    out = []
    for k, (request, turnaround, kind, organ, units, c, n, *rest) in enumerate(rows, start=1):
        options: dict[str, Any] = rest[0] if rest else {}
        local_id = f"{facility}-{k:02d}"
        out.append(Case(facility, local_id, _d(request), turnaround, kind, organ, units, c, n,
                        **options))  # fmt: skip
    return out


CARD, VASC, MSK = "cardiac", "vascular", "musculoskeletal"
M, G = MODEL, GUIDE
CTMR = ("ct", "mr")

# fmt: off
# (request, turnaround days, object type, organ, parts/guides, clinician, non-clinician, options)
CASES: list[Case] = [
    *_cases("FA", [
        ("2024-01-10", 3, M, CARD, 1, 60, 200, {"assessment": (5, 30, 2, 4), "scenario": "cardiac_dorv"}),
        ("2024-01-20", 5, M, CARD, 2, 40, 160, {"modalities": CTMR, "assessment": (4, 20, 3, 4),
                                                 "printers": ("FA-P1", "FA-P2")}),
        ("2024-02-05", 2, M, VASC, 3, 90, 300, {"modalities": ("cta",), "assessment": (2, 10, 3, 3),
                                                 "billed": "mismatch", "scenario": "vascular_acute_pe"}),
        ("2024-02-15", 7, M, CARD, 1, 30, 120, {"billed": None}),
        ("2024-03-01", 4, M, MSK, 2, 70, 250, {"assessment": (3, -5, 4, 4)}),
        ("2024-04-02", 6, M, CARD, 1, 50, 180, {"modalities": CTMR, "assessment": (4, 25, 2, 5),
                                                 "uses": ("surgical_planning", "patient_education")}),
        ("2024-04-20", 3, G, MSK, 2, 80, 140, {"assessment": (5, 40, 1, 4)}),
        ("2024-05-11", None, M, CARD, 4, 100, 400, {}),
        ("2024-06-01", 10, M, VASC, 2, 20, 90, {"modalities": ("cta", "mr"), "assessment": (1, 0, 3, 2),
                                                 "billed": None}),
        ("2024-07-03", 5, G, MSK, 1, 45, 100, {"assessment": (4, 15, 2, 3)}),
        ("2024-08-08", 8, M, CARD, 1, None, 220, {"assessment": (5, 35, 1, 5)}),
        ("2024-09-09", 1, M, CARD, 3, 65, 330, {"uses": ("surgical_planning", "patient_education")}),
    ]),
    *_cases("FB", [
        ("2024-01-15", 4, M, CARD, 1, 50, 150, {"assessment": (4, 20, 3, 4)}),
        ("2024-02-10", 6, M, CARD, 2, 60, 170, {"assessment": (2, 5, 3, 3)}),
        ("2024-02-25", 3, M, CARD, 1, 35, 110, {"modalities": CTMR, "assessment": (5, 45, 2, 5)}),
        ("2024-03-20", 9, M, VASC, 2, 55, 190, {"modalities": ("cta",)}),
        ("2024-04-05", 2, M, CARD, 1, 25, 95, {"assessment": (3, 10, 3, 4), "billed": None}),
        ("2024-05-15", 5, M, VASC, 3, 80, 260, {"modalities": ("cta",), "assessment": (4, 15, 2, 4)}),
        ("2024-06-20", 7, M, CARD, 2, 45, 140, {"billed": "mismatch"}),
        ("2024-07-25", 4, G, MSK, 1, 30, 80, {"assessment": (4, 12, 3, 4)}),
        ("2024-08-30", 6, M, CARD, 1, 40, 120, {"modalities": ("mr",), "assessment": (5, 25, 2, 4)}),
        ("2024-09-15", 3, M, CARD, 2, 70, 210, {"assessment": (2, -10, 4, 3)}),
    ]),
    *_cases("FC", [
        ("2024-01-05", 10, M, CARD, 1, 120, 400, {"assessment": (3, 5, 3, 3)}),
        ("2024-02-14", 12, M, CARD, 2, 150, 450, {"assessment": (4, 10, 3, 4)}),
        ("2024-03-03", 8, M, VASC, 1, 90, 300, {"modalities": ("cta",)}),
        ("2024-04-12", 15, M, CARD, 3, 200, 600, {"modalities": CTMR, "assessment": (5, 30, 2, 4)}),
        ("2024-05-22", 9, M, CARD, 1, 110, 350, {"assessment": (2, 0, 3, 3)}),
        ("2024-06-30", 11, M, MSK, 2, 130, 420, {"billed": None}),
        ("2024-07-07", 14, M, CARD, 1, 100, 380, {"assessment": (4, 20, 2, 4)}),
        ("2024-08-18", 10, M, CARD, 2, 140, 500, {"assessment": (1, -15, 4, 2)}),
    ]),
    *_cases("FD", [
        ("2024-02-02", 5, M, CARD, 1, 50, 150, {"assessment": (4, 10, 3, 4)}),
        ("2024-04-04", 6, M, CARD, 1, 60, 160, {}),
        ("2024-06-06", 7, M, VASC, 2, 70, 170, {"modalities": ("cta",), "assessment": (5, 20, 2, 4)}),
        ("2024-08-08", 8, M, CARD, 1, 80, 180, {"assessment": (3, 5, 3, 3)}),
    ]),
]
# fmt: on

#: Cases stored but never reportable: a draft and (deleted after saving) a complete case, both
#: with values far outside everything above, so that counting either one moves some figure.
DRAFT = Case("FA", "FA-DRAFT", _d("2024-09-20"), 400, M, CARD, 20, 5000, 9000,
             assessment=(5, 500, 1, 5), status="draft")  # fmt: skip
DELETED = Case("FA", "FA-GONE", _d("2024-09-21"), 300, M, CARD, 20, 4000, 8000,
               modalities=("ct", "mr", "us"), assessment=(5, 400, 1, 5))  # fmt: skip
#: The FA case that is locked after saving (locked cases count like complete ones).
LOCKED = "FA-05"


def of(facility: str) -> list[Case]:
    """Return the reportable cases of one facility."""
    return [c for c in CASES if c.facility == facility]


@dataclass
class Loaded:
    """What :func:`load` stored: facility ids and case ids by local case ID."""

    facility_ids: dict[str, int]
    case_ids: dict[str, uuid.UUID]


def load(platform: Platform, actor: Actor | None = None) -> Loaded:
    """Store the four facilities, their printers and every case; return their ids."""
    actor = actor or Actor.operator("analytics-tests")
    facilities = FacilityService(platform, actor)
    for profile in FACILITIES.values():
        facilities.add(profile, (REG,))
    for printer in PRINTERS:
        facilities.add_printer(printer)
    cases = CaseService(platform, actor)
    result = cases.create_many(REG, [(c.facility, c.record()) for c in CASES])
    assert not result.rejected, result.rejected
    case_ids = {c.local_id: cases.find(REG, c.facility, c.local_id).id for c in CASES}
    case_ids[DRAFT.local_id] = cases.create(REG, "FA", DRAFT.record()).id
    case_ids[DELETED.local_id] = cases.create(REG, "FA", DELETED.record()).id
    cases.delete(REG, case_ids[DELETED.local_id])
    cases.lock(REG, case_ids[LOCKED])
    return Loaded(facility_ids(platform), case_ids)


def facility_ids(platform: Platform) -> dict[str, int]:
    """Return the ids of the four facilities by code."""
    with platform.sessions() as session:
        rows = session.execute(
            select(Facility.code, Facility.id).where(Facility.code.in_(FACILITIES))
        )
        return {str(code): int(i) for code, i in rows}


@dataclass
class Stored:
    """The hand-built registry stored once in a database shared by a test module (read-only)."""

    url: str
    folder: Path
    loaded: Loaded

    def platform(self, folder: Path, **settings: Any) -> Platform:
        """Return a new platform on the database, with its own analytics folder and settings."""
        return Platform.from_settings(
            Settings(database_url=self.url, data_dir=str(folder / "data"), **settings)
        )


def stored_registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stored]:
    """Yield the registry loaded into a fresh database of the kind in ``request.param``.

    For module-scoped fixtures parametrised with :data:`DATABASES`: loading takes a second or
    two, so tests that only read share one load; tests that change cases load their own."""
    wanted = request.config.getoption("--db")
    folder = tmp_path_factory.mktemp("analytics")
    server: PostgresServer | None = None
    name = f"a_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        if wanted == "postgresql":
            pytest.skip("--db postgresql")
        path = folder / "printreg.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        if wanted == "sqlite":
            pytest.skip("--db sqlite")
        server = request.getfixturevalue("pg_server")
        if server is None:
            pytest.skip("PostgreSQL unavailable")
        create_database(server, name, template=TEMPLATE)
        url = server.url(name)
    try:
        platform = Platform.from_settings(Settings(database_url=url, data_dir=str(folder / "d")))
        try:
            loaded = load(platform)
        finally:
            platform.close()
        yield Stored(url, folder, loaded)
    finally:
        if server is not None:
            drop_database(server, name)


def facilities_frame(ids: dict[str, int]) -> pl.DataFrame:
    """The facility profiles that compute() expects, one row per facility."""
    import polars as pl  # noqa: PLC0415 - only the analytics tests need polars

    return pl.DataFrame(
        [
            {
                "facility_id": ids[code],
                "code": code,
                "facility_type": p.facility_type,
                "location": p.location,
                "census_region": p.census_region,
            }
            for code, p in FACILITIES.items()
        ]
    )
