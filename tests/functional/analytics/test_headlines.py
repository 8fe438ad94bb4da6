"""The dashboard's headline sentences on the hand-built registry (SQLite and PostgreSQL).

Expected sentences are written from the cases of ``tests/support/analytics.py``: facility
medians with :func:`statistics.median`, the mid-rank percentile rank by its formula, never from
the code under test.
"""

from __future__ import annotations

import io
import json
import re
import statistics
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from tests.support import analytics as data
from tests.support.analytics import REG
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cli.app import app as cli_app
from printreg.dashboards.pdf import render_report
from printreg.dashboards.schemas import FacilityDashboard, Suppressed
from printreg.dashboards.service import AnalyticsService
from printreg.platform import Platform

MIN_CASES = 5


@pytest.fixture(scope="module", params=data.DATABASES)
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[data.Stored]:
    """The hand-built registry, stored once per database."""
    yield from data.stored_registry(request, tmp_path_factory)


@pytest.fixture(scope="module")
def platform(stored: data.Stored, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform with min_cases 5 and min_facilities 2, so registry quartiles are released."""
    instance = stored.platform(
        tmp_path_factory.mktemp("headlines"), min_cases=MIN_CASES, min_facilities=2
    )
    yield instance
    instance.close()


def dashboard(platform: Platform, facility: str) -> FacilityDashboard:
    return AnalyticsService(platform, Actor.operator("headlines")).facility_dashboard(REG, facility)


def sentence(board: FacilityDashboard, measure: str) -> str:
    return next(h.sentence for h in board.headlines if h.measure == measure)


def turnaround_medians() -> dict[str, float]:
    """Return each facility's median turnaround over its cases with one (facilities with at
    least MIN_CASES of them)."""
    out = {}
    for code in data.FACILITIES:
        days = [c.turnaround for c in data.of(code) if c.turnaround is not None]
        if len(days) >= MIN_CASES:
            out[code] = statistics.median(days)
    return out


def mid_rank(value: float, values: list[float]) -> float:
    below = sum(v < value for v in values)
    equal = sum(v == value for v in values)
    return 100 * (below + 0.5 * equal) / len(values)


def plain(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


@pytest.mark.parametrize("facility", ["FA", "FB", "FC"])
def test_turnaround_headline_says_slower_or_faster_than_the_facilities(
    platform: Platform, facility: str
) -> None:
    medians = turnaround_medians()
    assert len(medians) == 3  # FD has 4 cases: below min_cases
    mine = medians[facility]
    rank = mid_rank(mine, list(medians.values()))
    registry = statistics.median(medians.values())
    # the 3dp analytics spec: shorter is better, said as slower / faster; ranks from 40 to 60
    # are the middle of the facilities
    if 40 <= rank <= 60:
        comparison, verdict = "about the middle of the facilities", "typical"
    elif rank > 60:
        comparison, verdict = f"slower than {rank:.0f} % of facilities", "worse"
    else:
        comparison, verdict = f"faster than {100 - rank:.0f} % of facilities", "better"
    board = dashboard(platform, facility)
    assert sentence(board, "turnaround") == (
        f"Turnaround {plain(mine)} days — {comparison}; registry median {plain(registry)}"
    )
    assert next(h.verdict for h in board.headlines if h.measure == "turnaround") == verdict


def test_a_measure_without_direction_is_only_higher_or_lower(platform: Platform) -> None:
    # effort per case at FC: medians 192.5 (FB), 230 (FA), 535 (FC); no direction declared
    efforts = {
        code: statistics.median(c.effort_total for c in data.of(code) if c.effort_total)
        for code in ("FA", "FB", "FC")
    }
    rank = mid_rank(efforts["FC"], list(efforts.values()))
    board = dashboard(platform, "FC")
    assert sentence(board, "effort_total") == (
        f"Effort per case, total {plain(efforts['FC'])} min — higher than {rank:.0f} % of "
        f"facilities; registry median {plain(statistics.median(efforts.values()))}"
    )
    assert "better" not in sentence(board, "effort_total")


def test_too_few_cases_says_why_and_shows_no_figure(platform: Platform) -> None:
    board = dashboard(platform, "FD")  # 4 reportable cases
    for headline in board.headlines:
        assert headline.verdict is None, headline.measure
        assert headline.withheld is not None, headline.measure
        assert f"fewer than {MIN_CASES} cases with a value" in headline.sentence
    assert sentence(board, "turnaround") == (
        f"Turnaround: not shown here — fewer than {MIN_CASES} cases with a value (4 so far)"
    )


def test_headlines_repeat_only_released_figures(platform: Platform) -> None:
    """Every number in a headline is one of the measure's released figures (or a count the
    dashboard shows beside it): nothing the suppression rules withhold."""
    for facility in data.FACILITIES:
        board = dashboard(platform, facility)
        items = {m.measure: m for m in board.measures}
        for headline in board.headlines:
            item = items[headline.measure]
            shown: set[str] = {str(board.min_cases)}
            for figure in (item.facility, item.registry):
                if isinstance(figure, Suppressed):
                    shown |= {str(figure.n)} if figure.n is not None else set()
                    continue
                for value in figure.model_dump(exclude_none=True).values():
                    if isinstance(value, int | float):
                        shown |= {plain(value), f"{value:.0f}", f"{value * 100:.0f}"}
            rank = item.placement.percentile_rank
            if rank is not None:
                shown |= {f"{rank:.0f}", f"{100 - rank:.0f}"}
            label_numbers = set(re.findall(r"\d+(?:\.\d+)?", headline.label))
            for number in re.findall(r"\d+(?:\.\d+)?", headline.sentence.replace(",", "")):
                assert number in shown | label_numbers, (facility, headline.sentence, number)


def test_pdf_opens_with_the_headline_summary(platform: Platform, tmp_path: Path) -> None:
    board = dashboard(platform, "FA")
    reader = pypdf.PdfReader(io.BytesIO(render_report(board)))
    first = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert "At a glance" in first
    assert re.sub(r"\s+", " ", sentence(board, "turnaround").replace("—", "-")) in first
    # the peer group in words, never its internal names
    assert "academic medical centres, metropolitan, Northeast census region" in first
    assert "census_region" not in first
    assert "Continuous measures" not in first  # the tables follow on the next pages


def test_report_command_prints_the_typed_answer_and_writes_the_pdf(
    stored: data.Stored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATABASE_URL": stored.url,
        "DATA_DIR": str(tmp_path / "data"),
        "MIN_CASES": str(MIN_CASES),
        "MIN_FACILITIES": "2",
    }.items():
        monkeypatch.setenv(f"PRINTREG_{name}", value)
    out = tmp_path / "fc.pdf"
    result = CliRunner().invoke(
        cli_app, ["report", "--facility", "FC", "--registry", REG, "--json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout[: result.stdout.rindex("}") + 1])
    # the JSON is the API's: a withheld figure has its reason and no number keys
    effort = next(m for m in answer["measures"] if m["measure"] == "effort_total")
    assert effort["peers"] == {"facilities": 1, "status": "too few facilities"}
    medians = turnaround_medians()
    rank = mid_rank(medians["FC"], list(medians.values()))
    headline = next(h for h in answer["headlines"] if h["measure"] == "turnaround")
    assert headline["sentence"].startswith(
        f"Turnaround {plain(medians['FC'])} days — slower than {rank:.0f} % of facilities"
    )
    first = pypdf.PdfReader(out).pages[0].extract_text()
    assert "At a glance" in first
    assert "Cedar Community Hospital" in first
