"""Quality rules end to end on both databases: seeded cases that trigger each rule kind, the
stored results, the scheduled job and "re-evaluate now", the API, the pages and the CLI; and no
free text or local case identifier in anything they show."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.quality import MARKER, Seeded, seed_quality_cases
from tests.support.web import API, DATA_MANAGER, HOME, OTHER, REG, REGISTRY_ADMIN, UserClient
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cli.app import app as cli_app
from printreg.dictionary.loader import shipped_definition_paths
from printreg.jobs import queue
from printreg.jobs.models import QueuedJob
from printreg.jobs.worker import Worker
from printreg.platform import Platform
from printreg.quality.models import QualityFinding, QualityRun
from printreg.quality.service import JOB_KIND, QualityService
from printreg.queries.models import Query
from printreg.storage.base import utcnow

QUALITY = f"{API}/quality"


@pytest.fixture
def seeded_cases(api_platform: Platform) -> Seeded:
    """Store the cases of each rule and move the clock 90 days on (the draft is then old)."""
    seeded = seed_quality_cases(api_platform)
    api_platform.clock = lambda: utcnow() + dt.timedelta(days=90)
    return seeded


def _evaluate(platform: Platform) -> None:
    QualityService(platform, Actor.operator("test")).evaluate(REG)


def _found(platform: Platform, rule: str) -> set[str]:
    with platform.sessions() as session:
        rows = session.scalars(select(QualityFinding.case_id).where(QualityFinding.rule_id == rule))
        return {str(r) for r in rows}


@pytest.mark.parametrize(
    "rule",
    ["age_plausible", "effort_outlier", "cardiac_from_unlikely_service", "assessment_missing",
     "likely_duplicate", "stale_draft"],
)  # fmt: skip
def test_each_rule_kind_finds_its_seeded_case(
    api_platform: Platform, seeded_cases: Seeded, rule: str
) -> None:
    _evaluate(api_platform)
    found = _found(api_platform, rule)
    assert seeded_cases.by_rule[rule] <= found
    assert seeded_cases.assessed not in found
    if rule in {"age_plausible", "likely_duplicate", "stale_draft"}:  # nothing else is odd so
        assert found - {seeded_cases.other_facility} == seeded_cases.by_rule[rule]


def test_a_draft_is_stale_only_once_its_days_are_past(
    api_platform: Platform, seeded_cases: Seeded
) -> None:
    api_platform.clock = utcnow
    _evaluate(api_platform)
    assert _found(api_platform, "stale_draft") == set()
    api_platform.clock = lambda: utcnow() + dt.timedelta(days=90)
    _evaluate(api_platform)
    assert _found(api_platform, "stale_draft") == seeded_cases.by_rule["stale_draft"]


def test_an_evaluation_replaces_the_stored_results(
    api_platform: Platform, seeded_cases: Seeded
) -> None:
    _evaluate(api_platform)
    _evaluate(api_platform)
    with api_platform.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(QualityFinding))
        run = session.get(QualityRun, REG)
    assert run is not None
    assert stored == run.findings
    assert run.cases == 19  # 16 + twin + draft at F0001, one at F0002
    assert seeded_cases.other_facility in _found(api_platform, "age_plausible")


def test_the_facility_answer_has_scores_trend_and_findings_by_rule(
    api_platform: Platform, seeded_cases: Seeded, dm: UserClient
) -> None:
    _evaluate(api_platform)
    answer = dm.get(f"{QUALITY}/facilities/{HOME}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["overall"]["cases"] == 18
    flagged = {f["case_id"] for g in body["findings"] for f in g["findings"]}
    assert body["overall"]["flagged"] == len(flagged)
    assert body["overall"]["score"] == round(1 - len(flagged) / 18, 4)
    assert sum(q["cases"] for q in body["trend"]) == 18
    assert [q["quarter"] for q in body["trend"]] == sorted(q["quarter"] for q in body["trend"])
    groups = {g["rule_id"]: g for g in body["findings"]}
    duplicates = {f["case_id"] for f in groups["likely_duplicate"]["findings"]}
    assert duplicates == seeded_cases.by_rule["likely_duplicate"]
    assert {f["field_path"] for f in groups["likely_duplicate"]["findings"]} == {"request_date"}
    per_rule = {s["rule_id"]: s for s in body["rules"]}
    assert per_rule["likely_duplicate"]["flagged"] == 2
    assert seeded_cases.other_facility not in answer.text


def test_nothing_shown_carries_free_text_or_a_local_case_id(
    api_platform: Platform, seeded_cases: Seeded, client_for: Callable[[str], UserClient]
) -> None:
    _evaluate(api_platform)
    admin = client_for(REGISTRY_ADMIN)
    shown = [
        admin.get(QUALITY).text,
        admin.get(f"{QUALITY}/facilities/{HOME}").text,
        admin.get(f"/registries/{REG}/quality").text,
        admin.get(f"/registries/{REG}/quality/facilities/{HOME}").text,
    ]
    with api_platform.sessions() as session:
        shown += list(session.scalars(select(QualityFinding.message)))
    runner = CliRunner()
    shown.append(runner.invoke(cli_app, ["quality", "show", "-f", HOME, "--json"]).stdout)
    for text in shown:
        assert MARKER not in text
        assert not [i for i in seeded_cases.local_ids if i in text]
    assert len(shown) > 10


def test_re_evaluate_now_queues_the_job_that_a_worker_runs(
    api_platform: Platform, seeded_cases: Seeded, dm: UserClient
) -> None:
    assert dm.get(f"{QUALITY}/facilities/{HOME}").json()["evaluated"] is None
    queued = dm.post(f"{QUALITY}/evaluate")
    assert queued.status_code == 202, queued.text
    with api_platform.sessions() as session:
        job = session.get(QueuedJob, uuid.UUID(queued.json()["job_id"]))
        assert job is not None
        assert (job.kind, job.payload) == (JOB_KIND, {"registry": REG})
    assert Worker(api_platform, once=True).run() == 1
    body = dm.get(f"{QUALITY}/facilities/{HOME}").json()
    assert body["evaluated"]["rules_version"] == "1.0.0"
    assert {g["rule_id"] for g in body["findings"]} >= set(seeded_cases.by_rule)


def test_the_workers_evaluate_every_registry_on_a_schedule(
    api_platform: Platform, seeded_cases: Seeded
) -> None:
    Worker(api_platform, once=True).run()  # registers the job kinds of this printreg
    assert JOB_KIND in queue.PERIODIC
    assert queue.queue_periodic(api_platform, 3) >= 1
    assert Worker(api_platform, once=True).run() >= 1
    with api_platform.sessions() as session:
        assert session.get(QualityRun, REG) is not None
    assert seeded_cases.by_rule["age_plausible"] <= _found(api_platform, "age_plausible")


def test_the_pages_show_own_facilities_and_staff_every_one(
    api_platform: Platform, seeded_cases: Seeded, client_for: Callable[[str], UserClient]
) -> None:
    _evaluate(api_platform)
    del seeded_cases
    admin = client_for(REGISTRY_ADMIN).get(f"/registries/{REG}/quality")
    assert admin.status_code == 200
    assert f"/quality/facilities/{HOME}" in admin.text
    assert f"/quality/facilities/{OTHER}" in admin.text
    assert 'id="quality-rules"' in admin.text  # the registry-wide summary
    own = client_for(DATA_MANAGER)
    page = own.get(f"/registries/{REG}/quality")
    assert f"/quality/facilities/{HOME}" in page.text
    assert f"/quality/facilities/{OTHER}" not in page.text
    assert 'id="quality-rules"' not in page.text
    facility = own.get(f"/registries/{REG}/quality/facilities/{HOME}")
    assert facility.status_code == 200
    assert 'id="findings-likely_duplicate"' in facility.text
    done = own.post(
        f"/registries/{REG}/quality/evaluate",
        data={"csrf_token": own.csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with api_platform.sessions() as session:
        kinds = list(session.scalars(select(QueuedJob.kind)))
    assert kinds == [JOB_KIND]


def test_the_cli_evaluates_and_shows(api_platform: Platform, seeded_cases: Seeded) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["quality", "evaluate", "--json"])
    assert result.exit_code == 0, result.output
    evaluated = json.loads(result.stdout)
    assert evaluated["cases"] == 19
    shown = runner.invoke(cli_app, ["quality", "show", "-f", HOME, "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    groups = {g["rule_id"]: {f["case_id"] for f in g["findings"]} for g in body["findings"]}
    assert seeded_cases.by_rule["age_plausible"] <= groups["age_plausible"]
    text = runner.invoke(cli_app, ["quality", "show"])
    assert text.exit_code == 0
    assert HOME in text.stdout
    assert OTHER in text.stdout


def test_check_definition_refuses_rules_that_name_an_unknown_element(
    platform: Platform, tmp_path: Path
) -> None:
    shipped = next(p for p in shipped_definition_paths() if p.name == "definition-1.1.0.yaml")
    for name in ("definition-1.1.0.yaml", "sig_scenarios.yaml", "quality.yaml"):
        (tmp_path / name).write_text((shipped.parent / name).read_text("utf-8"), "utf-8")
    runner = CliRunner()
    fine = runner.invoke(cli_app, ["registry", "check-definition", str(tmp_path / shipped.name)])
    assert fine.exit_code == 0, fine.output
    rules = tmp_path / "quality.yaml"
    rules.write_text(rules.read_text("utf-8").replace("element: guide_count", "element: guides"))
    refused = runner.invoke(cli_app, ["registry", "check-definition", str(tmp_path / shipped.name)])
    assert refused.exit_code == 1
    assert "rule 'guides_plausible': 'guides' is not an element or derived value of 3dp 1.1.0" in (
        refused.stderr
    )


def _queries(platform: Platform) -> set[tuple[str, str, str]]:
    """Return (case id, path, text) of every stored query."""
    with platform.sessions() as session:
        return {(str(q.case_id), q.path, q.text) for q in session.scalars(select(Query))}


def test_the_findings_of_a_rule_are_raised_as_queries_in_one_action(
    api_platform: Platform, seeded_cases: Seeded, client_for: Callable[[str], UserClient]
) -> None:
    _evaluate(api_platform)
    admin = client_for(REGISTRY_ADMIN)
    url = f"{QUALITY}/facilities/{HOME}/rules/assessment_missing/queries"
    found = _found(api_platform, "assessment_missing")
    home = found - {seeded_cases.other_facility}
    raised = admin.post(url, json={"text": "Please ask the surgeon for the assessment"})
    assert raised.status_code == 201, raised.text
    assert raised.json() == {"raised": len(home), "skipped": 0}
    text = "Please ask the surgeon for the assessment"
    assert _queries(api_platform) == {(c, "respondent_role", text) for c in home}
    again = admin.post(url, json={"text": "Once more"})
    assert again.status_code == 400  # every field already has an open query
    assert len(_queries(api_platform)) == len(home)
    twin = sorted(seeded_cases.by_rule["likely_duplicate"])[0]
    chosen = client_for(DATA_MANAGER).post(
        f"{QUALITY}/facilities/{HOME}/rules/likely_duplicate/queries",
        json={"text": "Is this the same case twice?", "case_ids": [twin]},
    )
    assert chosen.status_code == 201, chosen.text
    assert (twin, "request_date", "Is this the same case twice?") in _queries(api_platform)
    assert len(_queries(api_platform)) == len(home) + 1


def test_the_facility_page_raises_the_selected_findings(
    api_platform: Platform, seeded_cases: Seeded, dm: UserClient
) -> None:
    _evaluate(api_platform)
    page = dm.get(f"/registries/{REG}/quality/facilities/{HOME}")
    assert 'id="raise-likely_duplicate"' in page.text
    url = f"/registries/{REG}/quality/facilities/{HOME}/rules/likely_duplicate/queries"
    twins = sorted(seeded_cases.by_rule["likely_duplicate"])
    refused = dm.post(url, data={"csrf_token": dm.csrf, "case_ids": twins,
                                 "text": "Is MRN 12345678 the same patient?"})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="raise-error"' in refused.text
    assert "12345678" not in refused.text
    assert _queries(api_platform) == set()
    done = dm.post(url, data={"csrf_token": dm.csrf, "case_ids": twins,
                              "text": "Same case twice?"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert _queries(api_platform) == {(c, "request_date", "Same case twice?") for c in twins}
