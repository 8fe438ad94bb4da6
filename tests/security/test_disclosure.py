"""Attack: work out a small count (1-10) that suppression hides, or an age of 90 and over.

Issue 12: funnel points hid n < 11 but gave the exact proportion, so n × p gave another
facility's count; feasibility counts were suppressed per table only, so a researcher asked for
"breast or other" (breast hidden, total 19), then "other" (13), and learned the 6 breast cases;
extracts carried exact ages of 90 and over. Each test attacks as the feasibility-count audit
did, across several requests, and fails if the hole reopens (SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import itertools
import random
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select, update

from printreg.accounts.actor import Actor
from printreg.analytics import benchmark
from printreg.analytics.cellkey import record_key
from printreg.dashboards.service import AnalyticsService
from printreg.demo.synth import load_synthetic
from printreg.domain.facility import CaseStatus
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.research import suppressed_counts
from tests.support.records import SYNTH_SEED
from tests.support.tasks import job_done
from tests.support.web import (
    DATA_MANAGER,
    HOME,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    UserClient,
)

THRESHOLD = 11
ClientFor = Callable[[str], UserClient]
ELIGIBLE = (CaseStatus.COMPLETE.value, CaseStatus.LOCKED.value)


@pytest.fixture
def registry(api_platform: Platform) -> Platform:
    """Add 300 synthetic cases at six facilities (F0001 is the data manager's)."""
    load_synthetic(api_platform, Actor.operator("test"), registry=REG, seed=SYNTH_SEED,
                   facilities=6, cases=300)  # fmt: skip
    return api_platform


def _cases(platform: Platform) -> list[dict[str, Any]]:
    """Return the reportable cases (complete or locked, not deleted) as the registry holds them."""
    main = platform.registry(REG).tables.main
    query = select(main.c.id, main.c.facility_id, main.c.organ_system, main.c.object_type,
                   main.c.request_date, main.c.patient_age_years).where(
        main.c.deleted_at.is_(None), main.c.status.in_(ELIGIBLE))  # fmt: skip
    with platform.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _ints(value: Any, path: str = "") -> list[tuple[str, int]]:
    """Return every integer of a JSON document with its path (booleans are not counts)."""
    if isinstance(value, dict):
        return [i for k, v in value.items() for i in _ints(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [i for n, v in enumerate(value) for i in _ints(v, f"{path}[{n}]")]
    if isinstance(value, int) and not isinstance(value, bool):
        return [(path, value)]
    return []


def _feasibility(researcher: UserClient, **changes: Any) -> dict[str, Any]:
    body = {"title": "Feasibility", "aims": "How many cases.", "elements": ["organ_system"],
            **changes}  # fmt: skip
    created = researcher.post(f"/api/v1/registries/{REG}/requests", json=body)
    assert created.status_code == 201, created.text
    found = researcher.get(f"/api/v1/requests/{created.json()['id']}/feasibility")
    assert found.status_code == 200, found.text
    result: dict[str, Any] = found.json()
    return result


# -- differencing feasibility requests --------------------------------------------------------


def test_differencing_feasibility_requests_does_not_give_a_hidden_count(
    client_for: ClientFor, registry: Platform
) -> None:
    cases = _cases(registry)
    by_organ = Counter(c["organ_system"] for c in cases)
    small = sorted(o for o, n in by_organ.items() if 1 <= n < THRESHOLD)
    large = sorted(o for o, n in by_organ.items() if n >= THRESHOLD)
    assert small, f"the synthetic registry needs a small organ system: {dict(by_organ)}"
    assert len(large) >= 3, dict(by_organ)
    researcher = client_for(RESEARCHER)
    # the attack of the issue, with every small organ system as "breast" and many sets of large
    # ones as "other": ask A ∪ B, then B alone, and subtract the totals
    others = [list(c) for k in (1, 2, 3) for c in itertools.combinations(large, k)][:12]
    differences: list[tuple[str, int]] = []
    for hidden in small[:3]:
        for other in others:
            both = _feasibility(researcher, strata={"organ_system": [hidden, *other]})
            alone = _feasibility(researcher, strata={"organ_system": other})
            line = both["cells"][0]
            assert line[both["columns"]["codes"].index(hidden)] is None
            for released in (both, alone):
                assert [v for _, v in _ints(released["cells"]) if 1 <= v < THRESHOLD] == []
                assert released["total"] is None or released["total"] >= THRESHOLD
                assert "perturbed" in released["note"]
            if both["total"] is not None and alone["total"] is not None:
                differences.append((hidden, both["total"] - alone["total"]))
    assert len(differences) >= 15, "too few pairs to attack with"
    exact = [d for hidden, d in differences if d == by_organ[hidden]]
    # each difference is the hidden count plus the difference of two independent offsets of
    # -2..2 (exact with probability about 0.22); before the fix every difference was exact
    assert len(exact) <= len(differences) // 2, (len(exact), len(differences))
    for hidden in small[:3]:
        found = {d for h, d in differences if h == hidden}
        assert len(found) > 1 or found != {by_organ[hidden]}, "one hidden count always recovered"


def test_asking_again_gives_the_same_numbers_so_repeating_averages_nothing(
    client_for: ClientFor, registry: Platform
) -> None:
    researcher = client_for(RESEARCHER)
    strata = {"object_type": [], "organ_system": []}
    first = _feasibility(researcher, strata=strata)
    again = [_feasibility(researcher, strata=strata) for _ in range(3)]
    assert all(r["cells"] == first["cells"] and r["total"] == first["total"] for r in again)
    # the same cases publish the same count whatever query selects them: every organ system
    # asked for explicitly is the same set as the whole registry here
    everything = _feasibility(researcher, strata={"organ_system": []})
    assert everything["total"] == first["total"]


def test_a_feasibility_count_and_the_public_page_publish_the_same_value(
    client_for: ClientFor, anon: Any, registry: Platform
) -> None:
    cases = _cases(registry)
    cardiac = sum(c["organ_system"] == "cardiac" for c in cases)
    assert cardiac >= THRESHOLD
    public = anon.get(f"/api/v1/registries/{REG}/public")
    assert public.status_code == 200
    mix = {r["category"]: r["count"] for r in public.json()["mix"]["organ_system_mix"]["rows"]}
    asked = _feasibility(client_for(RESEARCHER), strata={"organ_system": ["cardiac"]})
    # differencing the public page against a request gives nothing: the same cases, one value
    assert asked["total"] == mix["cardiac"]
    assert abs(mix["cardiac"] - cardiac) <= 2


def test_many_random_differences_never_systematically_recover_a_small_count() -> None:
    """The cell-key tables themselves, at scale: 400 random cases, 3000 pairs of queries whose
    case sets differ by 1-10 cases; the difference of their published totals is never
    systematically the hidden count, and any one pair is exact about 1 time in 5."""
    rng = random.Random(12)  # noqa: S311 - reproducible test draws, not secrets
    secret = b"attack test secret"
    keys = [record_key(secret, uuid.UUID(int=rng.getrandbits(128))) for _ in range(400)]
    attributes = [(rng.randrange(12), rng.randrange(8)) for _ in keys]
    exact = pairs = 0
    for _ in range(3000):
        organs = set(rng.sample(range(12), rng.randrange(2, 12)))
        quarters = set(rng.sample(range(8), rng.randrange(2, 8)))
        inside = [i for i, (o, q) in enumerate(attributes) if o in organs and q in quarters]
        dropped_organ = rng.choice(sorted(organs))
        smaller = [i for i in inside if attributes[i][0] != dropped_organ]
        hidden = len(inside) - len(smaller)
        if not 1 <= hidden < THRESHOLD or len(smaller) < THRESHOLD:
            continue
        big = suppressed_counts({(): [keys[i] for i in inside]}, [], THRESHOLD)["total"]
        small_total = suppressed_counts({(): [keys[i] for i in smaller]}, [], THRESHOLD)["total"]
        pairs += 1
        exact += big - small_total == hidden
    assert pairs > 500
    assert exact / pairs < 0.3, exact / pairs


# -- funnel points and registry proportions ---------------------------------------------------


def test_other_facilities_funnel_points_never_give_a_small_count(
    client_for: ClientFor, registry: Platform
) -> None:
    with registry.sessions() as session:
        home = session.scalar(select(Facility.id).where(Facility.code == HOME))
    # the raw points hold other facilities whose n × p is a small count: the hole of the issue
    _, spec, aggregates = AnalyticsService(registry, Actor.operator("t")).aggregates(REG)
    proportions = [m.name for m in spec.measures if m.kind == "proportion"]
    raw = [p for m in proportions for p in benchmark.funnel_points(aggregates, m)
           if p["facility_id"] != home and p["n"] >= THRESHOLD]  # fmt: skip
    assert [p for p in raw if 1 <= p["x"] < THRESHOLD or 1 <= p["n"] - p["x"] < THRESHOLD]
    manager = client_for(DATA_MANAGER)
    others = 0
    for query in ({}, {"object_type": "anatomic_model"},
                  {"object_type": "anatomic_model", "organ_system": "cardiac"}):  # fmt: skip
        response = manager.get(f"/api/v1/registries/{REG}/facilities/{HOME}/dashboard",
                               params=query)  # fmt: skip
        assert response.status_code == 200, response.text
        dashboard = response.json()
        own = {m["measure"]: m["facility"] for m in dashboard["measures"]}
        for measure, points in dashboard["funnel"].items():
            for point in points:
                if point["this_facility"]:
                    assert point["n"] == own[measure]["n"]  # the facility's own point is exact
                    continue
                others += 1
                successes = point["n"] * point["p"]
                assert point["n"] >= THRESHOLD
                for derived in (successes, point["n"] - successes):
                    assert not 0.5 <= derived < THRESHOLD - 0.5, (measure, point)
        for item in dashboard["measures"]:
            if item["kind"] != "proportion":
                continue
            mine = item["facility"]
            for side in ("registry", "peers"):
                figure = item[side]
                if figure.get("p") is None or "x" not in mine:
                    continue
                # the group less the facility's own cases: the other facilities' counts
                rest_n, rest_x = figure["n"] - mine["n"], figure["x"] - mine["x"]
                for derived in (rest_n, rest_x, rest_n - rest_x):
                    assert not 1 <= derived < THRESHOLD, (item["measure"], side, figure)
    assert others, "no other facility's point was released: the test attacked nothing"


# -- ages of 90 and over ----------------------------------------------------------------------


def test_extracts_and_feasibility_never_hold_an_age_of_90_or_over(
    client_for: ClientFor, registry: Platform
) -> None:
    main = registry.registry(REG).tables.main
    ids = [c["id"] for c in _cases(registry)]
    old = {ids[0]: 90, ids[1]: 95.5, ids[2]: 104, ids[3]: 120}
    with registry.engine.begin() as connection:
        for case_id, age in old.items():
            connection.execute(
                update(main).where(main.c.id == case_id).values(patient_age_years=age)
            )
    truth = [c["patient_age_years"] for c in _cases(registry)]
    assert sum(a >= 90 for a in truth) >= len(old)
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    body = {"title": "Ages", "aims": "Age at modelling.", "elements": ["patient_age_years",
            "organ_system"], "strata": {"organ_system": []}}  # fmt: skip
    created = researcher.post(f"/api/v1/registries/{REG}/requests", json=body).json()
    feasibility = researcher.get(f"/api/v1/requests/{created['id']}/feasibility").json()
    assert feasibility["columns"]["element"] == "organ_system"
    decided = admin.post(f"/api/v1/requests/{created['id']}/decision", json={"approve": True})
    assert decided.status_code == 200, decided.text
    assert job_done(researcher, decided.json()["extract_job"]["id"])["status"] == "done"
    download = researcher.get(f"/api/v1/requests/{created['id']}/extract.parquet")
    table = pq.read_table(io.BytesIO(download.content))
    ages = table.column("patient_age_years").to_pylist()
    flags = table.column("patient_age_years_90_or_older").to_pylist()
    assert not [a for a in ages if a is not None and a >= 90]
    assert sum(f is True for f in flags) == sum(a >= 90 for a in truth)
    assert sorted(a for a in ages if a is not None) == sorted(a for a in truth if a < 90)
    codebook = researcher.get(f"/api/v1/requests/{created['id']}/codebook.json").json()
    assert "90 or older" in codebook["deidentification"]["ages"]


def test_the_facility_keeps_its_exact_ages(client_for: ClientFor, registry: Platform) -> None:
    main = registry.registry(REG).tables.main
    with registry.sessions() as session:
        home = session.scalar(select(Facility.id).where(Facility.code == HOME))
    mine = next(c for c in _cases(registry) if c["facility_id"] == home)
    with registry.engine.begin() as connection:
        connection.execute(update(main).where(main.c.id == mine["id"]).values(patient_age_years=97))
    case = client_for(DATA_MANAGER).get(f"/api/v1/registries/{REG}/cases/{mine['id']}")
    assert case.status_code == 200, case.text
    assert case.json()["record"]["patient_age_years"] == 97


# -- the public page and API ------------------------------------------------------------------


def test_public_figures_hold_no_small_count_and_say_they_are_perturbed(
    anon: Any, registry: Platform
) -> None:
    public = anon.get(f"/api/v1/registries/{REG}/public")
    assert public.status_code == 200, public.text
    summary = public.json()
    released = {k: summary[k] for k in ("cases_by_stratum", "mix", "facilities")}
    assert [(p, v) for p, v in _ints(released) if 1 <= v < THRESHOLD] == []
    assert "perturbed" in summary["disclosure"]
    table = summary["cases_by_stratum"]
    cells = np.array([[np.nan if v is None else v for v in line] for line in table["cells"]])
    truth = Counter((c["object_type"], c["organ_system"]) for c in _cases(registry))
    rows, cols = table["rows"]["codes"], table["columns"]["codes"]
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            if not np.isnan(cells[i, j]):
                assert abs(cells[i, j] - truth[(row, col)]) <= 2
    page = anon.get(f"/public/{REG}")
    assert page.status_code == 200
    assert "perturbed for confidentiality" in page.text


def test_no_hidden_set_is_given_away_by_the_mode_of_many_differences() -> None:
    """For one hidden set A (1-10 cases) differenced against 300 sets B of every size, the most
    common difference is not reliably |A|: the rows of the p-table for n and n + |A| read the
    cell key each its own way, so a cell key of A near 0 does not make the offsets agree."""
    rng = random.Random(34)  # noqa: S311 - reproducible test draws, not secrets
    secret = b"mode attack secret"
    worst = 0.0
    for size in range(1, THRESHOLD):
        hidden = [record_key(secret, uuid.UUID(int=rng.getrandbits(128))) for _ in range(size)]
        exact = 0
        for _ in range(300):
            others = [record_key(secret, uuid.UUID(int=rng.getrandbits(128)))
                      for _ in range(rng.randrange(THRESHOLD + 2, 120))]  # fmt: skip
            both = suppressed_counts({(): hidden + others}, [], THRESHOLD)["total"]
            alone = suppressed_counts({(): others}, [], THRESHOLD)["total"]
            exact += both - alone == size
        worst = max(worst, exact / 300)
    assert worst < 0.35, worst
