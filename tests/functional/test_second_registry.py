"""A second shipped registry (gsae) works end to end with no code of its own, on both databases.

The 3D-Printed Guide Safety and Adverse Event Registry is only a definition file and an analytics
file; these tests walk it through the same paths as the 3D Printing Registry: `db upgrade`, the
case service, the REST API, CSV import and export, the case form and facility isolation.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from tests.support.dashboards import as_json
from tests.support.records import gsae_record, records
from tests.support.web import UserClient, app_for, post_login, session_csrf
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.cases.exports import export_cases
from printreg.cases.service import CaseQuery, CaseService
from printreg.cli.app import app as cli_app
from printreg.dashboards.service import AnalyticsService
from printreg.demo.service import DEMO_PASSWORD, ensure_demo_accounts
from printreg.dictionary import CodesElement, GroupElement
from printreg.dictionary.analytics import shipped_spec
from printreg.domain.errors import NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.imports.service import Importer
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.registries.service import RegistryService
from printreg.settings import Settings

REG = "gsae"
API = f"/api/v1/registries/{REG}"
HOME, OTHER = "F0001", "F0002"
DATA_MANAGER = "data.manager@demo.printreg.org"
OTHER_SITE = "other.site@demo.printreg.org"


# -- the registry exists after db upgrade -------------------------------------------------------


def test_db_upgrade_registers_gsae_with_its_case_tables(platform: Platform) -> None:
    result = CliRunner().invoke(cli_app, ["db", "upgrade"])
    assert result.exit_code == 0, result.stderr
    assert "0 change(s)" in result.stdout  # the template database was upgraded the same way
    registries = {r.code: r for r in RegistryService(platform, Actor.operator()).registries()}
    assert {"3dp", REG} <= set(registries)
    assert registries[REG].versions == ["1.0.0"]
    assert registries[REG].name == "3D-Printed Guide Safety and Adverse Event Registry"
    tables = set(inspect(platform.engine).get_table_names())
    assert {"reg_gsae_case", "reg_gsae_case__guides", "reg_gsae_case__event_types"} <= tables
    main = {c["name"] for c in inspect(platform.engine).get_columns("reg_gsae_case")}
    assert {"facility_id", "procedure_date", "guide_fit", "guide_count"} <= main
    definition = platform.registry(REG).current
    assert definition.case_date == "procedure_date"
    assert shipped_spec(definition).registry == REG  # the analytics file fits the definition


# -- the case service ---------------------------------------------------------------------------


def test_cases_are_created_validated_and_listed(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    plain = service.create(REG, HOME, gsae_record(1))
    with_event = service.create(REG, HOME, gsae_record(2, event=True))
    view = service.get(REG, with_event.id)
    assert view.registry == REG
    assert view.record["event_types"] == ["misfit", "delay"]
    assert view.record["guides"] == [{"material": "pa12", "sterilization_cycles": 1}]
    assert view.derived == {"guide_count": 1, "report_delay_days": 10}
    assert service.get(REG, plain.id).derived["guide_count"] == 2

    listed = service.list_cases(REG, CaseQuery(limit=10), columns=("procedure_date",))
    assert {c.local_case_id for c in listed.items} == {"GS-0001", "GS-0002"}
    assert service.list_cases(REG, CaseQuery(where={"guide_type": "drilling"})).items[0].id == (
        plain.id
    )
    # the 3dp registry is untouched
    assert service.list_cases("3dp", CaseQuery(limit=10)).items == []


def test_conditions_and_rules_of_gsae_are_enforced(seeded: Platform, operator: Actor) -> None:
    bad = gsae_record(3)
    bad |= {"guide_event": True, "report_date": "2024-01-01", "guide_fit": 6}
    bad["guide_fracture"] = True
    bad["guides"][0]["material"] = "wood"
    with pytest.raises(ValidationFailed) as failure:
        CaseService(seeded, operator).create(REG, HOME, bad)
    found = {(i.path, i.rule) for i in failure.value.issues if i.severity == "error"}
    assert {
        ("event_types", "required"),
        ("event_severity", "required"),
        ("fragments_retrieved", "required"),
        ("guide_fit", "range"),
        ("guides[1].material", "value_set"),
        ("report_date", "report_after_procedure"),
    } <= found
    # an element that does not apply (no event) must stay empty
    stray = gsae_record(4) | {"event_types": ["debris"]}
    with pytest.raises(ValidationFailed) as failure:
        CaseService(seeded, operator).create(REG, HOME, stray)
    assert [i.path for i in failure.value.issues] == ["event_types"]


def test_facility_users_see_only_their_own_gsae_cases(seeded: Platform, operator: Actor) -> None:
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    saved = CaseService(seeded, operator).create(REG, HOME, gsae_record(5))
    accounts = AccountService(seeded)
    other = accounts.actor_for(accounts.authenticate(OTHER_SITE, DEMO_PASSWORD).id)
    home = accounts.actor_for(accounts.authenticate(DATA_MANAGER, DEMO_PASSWORD).id)
    assert CaseService(seeded, home).get(REG, saved.id).facility == HOME
    with pytest.raises(NotFound):
        CaseService(seeded, other).get(REG, saved.id)
    assert CaseService(seeded, other).list_cases(REG, CaseQuery()).items == []
    with pytest.raises(NotFound):
        CaseService(seeded, other).create(REG, HOME, gsae_record(6))


# -- the REST API and the pages -----------------------------------------------------------------


@pytest.fixture
def sign_in(settings: Settings, seeded: Platform) -> Iterator[Callable[[str], UserClient]]:
    """Return a function signing a demo person in to the web application."""
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    web = app_for(settings, seeded)
    with ExitStack() as stack:

        def make(email: str) -> UserClient:
            http = stack.enter_context(TestClient(web, base_url="http://testserver"))
            assert post_login(http, email, DEMO_PASSWORD).status_code == 303
            return UserClient(http, email, session_csrf(seeded, http))

        yield make


def test_the_api_creates_reads_and_isolates_gsae_cases(
    sign_in: Callable[[str], UserClient],
) -> None:
    dm = sign_in(DATA_MANAGER)
    created = dm.post(f"{API}/cases", params={"facility": HOME}, json=gsae_record(7, event=True))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    case = dm.get(f"{API}/cases/{case_id}")
    assert case.status_code == 200
    body = case.json()
    assert (body["registry"], body["facility"]) == (REG, HOME)
    assert body["record"]["event_severity"] == "moderate"
    assert body["derived"]["guide_count"] == 2
    invalid = dm.post(
        f"{API}/cases", params={"facility": HOME}, json=gsae_record(8) | {"guide_fit": 0}
    )
    assert invalid.status_code == 422
    assert [i["path"] for i in invalid.json()["issues"]] == ["guide_fit"]
    definition = dm.get(f"{API}/definition")
    assert definition.status_code == 200
    assert definition.json()["registry"]["code"] == REG

    other = sign_in(OTHER_SITE)
    assert other.get(f"{API}/cases/{case_id}").status_code == 404
    assert other.get(f"{API}/cases").json()["items"] == []
    assert [c["id"] for c in dm.get(f"{API}/cases").json()["items"]] == [case_id]


def _form_data(record: dict[str, Any], definition: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}

    def text(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    for name, element in definition.elements.items():
        if name not in record:
            continue
        if isinstance(element, GroupElement):
            for i, row in enumerate(record[name], start=1):
                data |= {f"{name}-{i}-{k}": text(v) for k, v in row.items()}
        elif isinstance(element, CodesElement):
            data[name] = list(record[name])
        else:
            data[name] = text(record[name])
    return data


def test_the_case_form_renders_and_saves_a_gsae_case(
    sign_in: Callable[[str], UserClient], seeded: Platform
) -> None:
    dm = sign_in(DATA_MANAGER)
    definition = seeded.registry(REG).current
    page = dm.get(f"/registries/{REG}/cases/new?facility={HOME}")
    assert page.status_code == 200
    for section in definition.sections:
        assert f"<legend>{section.label}</legend>" in page.text
    for name in ("f-guide_fit", "f-guides-1-material", "f-event_severity", "f-event_types-"):
        assert f'id="{name}' in page.text, name
    assert "organ" not in page.text.lower()  # nothing of the 3dp form leaks in

    data = _form_data(gsae_record(9, event=True), definition)
    posted = dm.http.post(
        f"/registries/{REG}/cases/new?facility={HOME}",
        data={**data, "csrf_token": dm.csrf, "action": "complete"},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[:2000]
    detail = dm.get(posted.headers["location"])
    assert detail.status_code == 200
    assert "<h1>GS-0009</h1>" in detail.text
    assert "Misfit needing a free-hand technique" in detail.text
    home = dm.get(f"/registries/{REG}/home")
    assert home.status_code == 200
    assert "GS-0009" in home.text


def test_the_case_list_page_lists_gsae_cases(
    sign_in: Callable[[str], UserClient], seeded: Platform, operator: Actor
) -> None:
    CaseService(seeded, operator).create(REG, HOME, gsae_record(10))  # a drilling guide
    CaseService(seeded, operator).create(REG, HOME, gsae_record(12, event=True))  # cutting
    dm = sign_in(DATA_MANAGER)
    listing = dm.get(f"/registries/{REG}/cases")
    assert listing.status_code == 200
    assert "GS-0010" in listing.text
    assert "Organ system" not in listing.text
    # gsae's reporting strata are its columns and filters; any other coded element filters too.
    assert 'id="filter-guide-type"' in listing.text
    assert 'id="filter-anatomic-region"' in listing.text
    cutting = dm.get(f"/registries/{REG}/cases", params={"guide_type": "cutting"}).text
    assert "GS-0012" in cutting
    assert "GS-0010" not in cutting
    severe = dm.get(f"/registries/{REG}/cases", params={"event_severity": "moderate"})
    assert 'id="filter-event-severity"' in severe.text
    assert "GS-0012" in severe.text
    assert "GS-0010" not in severe.text
    by_label = dm.get(f"/registries/{REG}/cases", params={"where": "guide_type=Cutting guide"})
    assert "GS-0012" in by_label.text
    assert "GS-0010" not in by_label.text
    bad = dm.get(f"/registries/{REG}/cases", params={"guide_type": "laser"})
    assert bad.status_code == 400
    assert "not one of its codes or labels" in bad.text
    api = dm.get(f"{API}/cases", params={"where": "guide_type=cutting"}).json()["items"]
    assert [c["local_case_id"] for c in api] == ["GS-0012"]
    assert dm.get(f"{API}/cases", params={"where": "organ_system=cardiac"}).status_code == 400


# -- facility roles are per registry ------------------------------------------------------------


def _same_as_unknown(client: UserClient, response: Any, case_id: str) -> None:
    """Check that asking for an id that exists nowhere answers the very same status and bytes."""
    nowhere = str(uuid.uuid4())
    ghost = client.get(str(response.request.url).replace(case_id, nowhere))
    assert response.status_code == ghost.status_code == 404
    assert response.content.replace(case_id.encode(), b"<id>") == ghost.content.replace(
        nowhere.encode(), b"<id>"
    )


def test_a_3dp_role_at_a_facility_reaches_its_gsae_cases_only_with_a_gsae_role(
    sign_in: Callable[[str], UserClient], seeded: Platform, operator: Actor
) -> None:
    accounts = AccountService(seeded)
    email = "only.3dp@example.org"
    person = accounts.create_user(
        operator, email, "Only 3dp", DEMO_PASSWORD, {"3dp": {HOME: Role.DATA_MANAGER}}
    )
    gsae_case = str(CaseService(seeded, operator).create(REG, HOME, gsae_record(30)).id)
    three_case = str(CaseService(seeded, operator).create("3dp", HOME, records(HOME, 1)[0]).id)
    client = sign_in(email)
    assert client.get(f"/api/v1/registries/3dp/cases/{three_case}").status_code == 200

    # Without a gsae role, F0001's gsae cases answer as cases that exist nowhere.
    _same_as_unknown(client, client.get(f"{API}/cases/{gsae_case}"), gsae_case)
    _same_as_unknown(client, client.get(f"{API}/cases/{gsae_case}/history"), gsae_case)
    _same_as_unknown(client, client.get(f"/registries/{REG}/cases/{gsae_case}"), gsae_case)
    _same_as_unknown(client, client.get(f"/registries/{REG}/cases/{gsae_case}/edit"), gsae_case)
    assert client.get(f"{API}/cases").json()["items"] == []
    hidden = client.get(f"{API}/cases", params={"facility": HOME})
    unknown = client.get(f"{API}/cases", params={"facility": "F9999"})
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("F9999", HOME)
    refused = client.post(f"{API}/cases", params={"facility": HOME}, json=gsae_record(31))
    assert refused.status_code == 404
    assert "You hold no role in registry gsae" in client.get(f"/registries/{REG}/cases").text
    home = client.get(f"/registries/{REG}/home").text
    assert "You hold no role in registry gsae" in home
    assert f"/facilities/{HOME}/enrollment" in home  # the facility's own pages stay at hand
    assert f"/registries/{REG}/dashboard" not in home

    # A gsae role at the facility opens them, through the API and the pages.
    accounts.set_membership(operator, person.id, REG, HOME, Role.DATA_MANAGER)
    assert client.get(f"{API}/cases/{gsae_case}").json()["facility"] == HOME
    assert "<h1>GS-0030</h1>" in client.get(f"/registries/{REG}/cases/{gsae_case}").text
    assert "GS-0030" in client.get(f"/registries/{REG}/cases").text
    created = client.post(f"{API}/cases", params={"facility": HOME}, json=gsae_record(31))
    assert created.status_code == 201, created.text


# -- import, export, dashboards -----------------------------------------------------------------


def _write_csv(path: Path, layout: FlatLayout, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, layout.columns)
        writer.writeheader()
        writer.writerows(layout.to_row(r) for r in rows)
    return path


def test_csv_import_and_export_round_trip(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    assert "guide_2_sterilization_cycles" in layout.columns
    rows = [gsae_record(n, event=n % 3 == 0) for n in range(10, 22)]
    source = _write_csv(tmp_path / "gsae.csv", layout, rows)
    dry = Importer(seeded, operator, REG, HOME, batch_rows=100).run(source)
    assert (dry.rows, dry.new, dry.rejected, dry.committed) == (12, 12, 0, False)
    done = Importer(seeded, operator, REG, HOME, batch_rows=100).run(source, commit=True)
    assert (done.new, done.rejected) == (12, 0)
    bulk = CaseService(seeded, operator).find(REG, HOME, "GS-0012")
    assert bulk.record["event_types"] == ["misfit", "delay"]
    assert bulk.derived["guide_count"] == 1

    out = tmp_path / "export.csv"
    count, _ = export_cases(seeded, operator, REG, "csv", out, HOME)
    assert count == 12
    exported = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert {r["local_case_id"] for r in exported} == {r["local_case_id"] for r in rows}
    again = Importer(seeded, operator, REG, HOME, batch_rows=100).run(out, commit=True)
    assert (again.unchanged, again.new, again.updated, again.rejected) == (12, 0, 0, 0)


def test_the_facility_dashboard_reports_gsae_measures(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    for n in range(30, 42):
        service.create(REG, HOME if n % 2 else OTHER, gsae_record(n, event=n % 4 == 0))
    dashboard = as_json(AnalyticsService(seeded, operator).facility_dashboard(REG, HOME))
    assert dashboard["registry"] == REG
    names = {m["measure"] for m in dashboard["measures"]}
    assert {"event_rate", "guide_fit", "fracture_rate"} <= names
    assert {"guide_type_mix", "material_mix", "event_type_mix"} <= set(dashboard["mix"])


# -- the dashboard filters by gsae's own strata (issue 13) --------------------------------------

GUIDE_TYPES = ("cutting", "drilling", "positioning")
REGIONS = ("knee", "spine", "craniomaxillofacial")


def _stratified(n: int) -> dict[str, Any]:
    """Return a gsae record whose guide type and region vary independently of each other."""
    return gsae_record(n) | {
        "guide_type": GUIDE_TYPES[n % 3],
        "anatomic_region": REGIONS[(n // 3) % 3],
    }


@pytest.fixture
def stratified(seeded: Platform, operator: Actor) -> list[dict[str, Any]]:
    """Return the records of 36 gsae cases stored at the two facilities (home: odd numbers)."""
    service = CaseService(seeded, operator)
    records_ = [_stratified(n) for n in range(100, 136)]
    for n, record in enumerate(records_):
        service.create(REG, HOME if n % 2 else OTHER, record)
    return [r for n, r in enumerate(records_) if n % 2]


def _own(dashboard: dict[str, Any], mix: str) -> dict[str, int]:
    """Return the facility's own counts of a mix, by category, leaving out empty ones."""
    return {r["category"]: r["count"] for r in dashboard["mix"][mix]["rows"] if r["count"]}


def test_the_gsae_dashboard_api_filters_by_guide_type_and_region(
    sign_in: Callable[[str], UserClient], stratified: list[dict[str, Any]]
) -> None:
    dm = sign_in(DATA_MANAGER)
    url = f"{API}/facilities/{HOME}/dashboard"
    everything = dm.get(url)
    assert everything.status_code == 200, everything.text
    assert everything.json()["cases"] == len(stratified) == 18
    assert [s["name"] for s in everything.json()["strata"]] == ["guide_type", "anatomic_region"]

    drilling = dm.get(url, params={"guide_type": "drilling"})
    assert drilling.status_code == 200, drilling.text
    data = drilling.json()
    want = [r for r in stratified if r["guide_type"] == "drilling"]
    assert data["stratum"] == {"guide_type": "drilling"}
    assert data["cases"] == len(want) == 6
    assert _own(data, "guide_type_mix") == {"drilling": 6}
    regions = {c: sum(r["anatomic_region"] == c for r in want) for c in REGIONS}
    assert _own(data, "anatomic_region_mix") == {c: n for c, n in regions.items() if n}

    # a label works like its code, and the second stratum narrows further
    both = dm.get(url, params={"guide_type": "Drilling", "anatomic_region": "spine"}).json()
    assert both["stratum"] == {"guide_type": "drilling", "anatomic_region": "spine"}
    assert both["cases"] == regions["spine"] == 2
    assert _own(both, "anatomic_region_mix") == {"spine": 2}

    charts = dm.get(f"{API}/facilities/{HOME}/charts", params={"guide_type": "drilling"})
    assert charts.status_code == 200
    assert "mix_guide_type_mix" in charts.json()
    report = dm.get(f"{API}/facilities/{HOME}/report.pdf", params={"guide_type": "drilling"})
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF-")


def test_the_gsae_dashboard_refuses_filters_it_does_not_have(
    sign_in: Callable[[str], UserClient], stratified: list[dict[str, Any]]
) -> None:
    assert stratified
    dm = sign_in(DATA_MANAGER)
    for endpoint in ("dashboard", "charts", "report.pdf"):
        url = f"{API}/facilities/{HOME}/{endpoint}"
        wrong = dm.get(url, params={"organ_system": "cardiac"})  # a 3dp stratum
        assert wrong.status_code == 400, endpoint
        detail = wrong.json()["detail"]
        assert "'organ_system'" in detail
        assert "guide_type, anatomic_region, period_from, period_to" in detail
    teapot = dm.get(f"{API}/facilities/{HOME}/dashboard", params={"guide_type": "teapot"})
    assert teapot.status_code == 400
    assert "guide_type: 'teapot' is not a code of this registry" in teapot.json()["detail"]


def test_the_gsae_dashboard_page_filters_by_guide_type(
    sign_in: Callable[[str], UserClient], stratified: list[dict[str, Any]]
) -> None:
    dm = sign_in(DATA_MANAGER)
    want = sum(r["guide_type"] == "positioning" for r in stratified)
    page = dm.get(f"/registries/{REG}/dashboard?facility={HOME}&guide_type=positioning")
    assert page.status_code == 200, page.text
    assert f"{want} reportable cases" in page.text
    # the chosen filter in the definition's words, not its codes (issue 14, point 4)
    assert "Guide type: Positioning or reduction guide" in page.text
    assert "guide_type = positioning" not in page.text
    assert '<option value="positioning" selected>' in page.text
    assert "report.pdf?guide_type=positioning" in page.text
    unfiltered = dm.get(f"/registries/{REG}/dashboard?facility={HOME}")
    assert f"{len(stratified)} reportable cases" in unfiltered.text
    wrong = dm.get(f"/registries/{REG}/dashboard?facility={HOME}&organ_system=cardiac")
    assert wrong.status_code == 400
    assert "cannot filter by" in wrong.text
