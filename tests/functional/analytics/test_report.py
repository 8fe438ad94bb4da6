"""The facility feedback report (PDF) holds the facility's own figures (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from tests.support import analytics as data
from tests.support.analytics import REG

from printreg.accounts.actor import Actor
from printreg.dashboards.charts import dashboard_charts
from printreg.dashboards.pdf import render_report
from printreg.dashboards.service import AnalyticsService


@pytest.fixture(scope="module", params=data.DATABASES)
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[data.Stored]:
    """The hand-built registry, stored once per database."""
    yield from data.stored_registry(request, tmp_path_factory)


def test_pdf_opens_and_holds_the_facility_figures(stored: data.Stored, tmp_path: Path) -> None:
    # the hand-built registry has a handful of small facilities: at the default threshold the
    # registry proportions (other facilities' parts are small) and so the funnels are withheld;
    # this test is about the report's rendering, so it releases at the lowest threshold
    platform = stored.platform(tmp_path, min_cases=5, min_facilities=2, suppression_threshold=2)
    try:
        dashboard = AnalyticsService(platform, Actor.operator("report")).facility_dashboard(
            REG, "FA"
        )
    finally:
        platform.close()
    pdf = render_report(dashboard)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Facility feedback report: Alder Hospital" in flat
    assert "Facility code FA - registry 3dp" in flat
    assert "Reportable cases (complete or locked): 12." in flat
    # FA's total effort: median 230 (IQR 175-355); registry quartiles of facility medians
    assert "Effort per case, total (min) 11 230.0 (175.0-355.0) 211.2 / 230.0 / 382.5 50 2" in flat
    # plan altered in 6 of FA's 9 assessed cases
    assert "Plan altered (agree or strongly agree) 9 66.7%" in flat
    # time saved, its dollars and the assumption beside them
    assert "Procedure time saved (min) 9 20.0 (10.0-30.0)" in flat
    assert "Cost at $36/min" in flat
    assert "External (published)" in flat
    assert "type 7 (linear interpolation)" in flat
    assert "perturbed for confidentiality" in flat
    # one page of text, then one page per chart of the report that has data
    charts = [name for name in dashboard.report if name in dashboard_charts(dashboard)]
    assert len(charts) == 9
    assert sum(len(page.images) for page in reader.pages) == len(charts)
    assert len(reader.pages) >= 1 + len(charts)
