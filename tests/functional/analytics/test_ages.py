"""Figures never show an age above 90: a measure on an age element is top-coded at 90 ("90 or
older"), as the generic spec of a registry without analytics.yaml would publish ages."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from sqlalchemy import update
from tests.support import analytics as data
from tests.support.analytics import REG, facilities_frame

from printreg.analytics.facts import FactBuilder
from printreg.analytics.measures import compute
from printreg.dictionary.analytics import default_spec


@pytest.fixture(scope="module", params=data.DATABASES)
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[data.Stored]:
    """The hand-built registry, stored once per database for this module."""
    yield from data.stored_registry(request, tmp_path_factory)


def test_a_measure_on_an_age_is_top_coded_at_90(stored: data.Stored) -> None:
    platform = stored.platform(stored.folder)
    try:
        runtime = platform.registry(REG)
        main = runtime.tables.main
        aged = list(stored.loaded.case_ids.values())[:6]
        with platform.engine.begin() as connection:
            connection.execute(
                update(main).where(main.c.id.in_(aged)).values(patient_age_years=104)
            )
        spec = default_spec(runtime.current)
        assert "patient_age_years" in {m.name for m in spec.measures}
        with platform.engine.connect() as connection:
            facts = FactBuilder(runtime.tables, runtime.current, spec).build(connection)
    finally:
        platform.close()
    ages = facts["m_patient_age_years"].drop_nulls()
    assert ages.max() == 90  # at least one of the six is reportable; none shows 104
    assert (ages <= 90).all()
    aggregates = compute(facts, spec, facilities_frame(stored.loaded.facility_ids), min_cases=1)
    medians = aggregates.facility.select(pl.col("patient_age_years__median")).drop_nulls()
    assert medians.max().item() <= 90
