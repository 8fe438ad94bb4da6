"""Attack: a filter the handler does not know is silently dropped, so the figures shown for
"guides only" are those of every case (issue 13: the gsae dashboard filter bug, seen from 3dp).

A dashboard, its charts and its PDF, and the case list, take the filters of the registry's own
definition and analytics spec; a name the registry does not have answers 400 naming the ones it
has, never a page of unfiltered figures.
"""

from __future__ import annotations

from tests.support.web import API, HOME, UserClient


def test_a_dashboard_filter_of_another_registry_is_refused_not_dropped(dm: UserClient) -> None:
    for endpoint in ("dashboard", "charts", "report.pdf"):
        url = f"{API}/facilities/{HOME}/{endpoint}"
        for name in ("guide_type", "anatomic_region", "patient_sex"):
            response = dm.get(url, params={name: "cutting"})
            assert response.status_code == 400, (endpoint, name)
            detail = response.json()["detail"]
            assert f"cannot filter by '{name}'" in detail
            assert "object_type, organ_system, intended_uses, period_from, period_to" in detail
    teapot = dm.get(f"{API}/facilities/{HOME}/dashboard", params={"object_type": "teapot"})
    assert teapot.status_code == 400
    page = dm.get(f"/registries/3dp/dashboard?facility={HOME}&guide_type=cutting")
    assert page.status_code == 400
    assert "cannot filter by" in page.text


def test_a_case_list_filter_of_another_registry_is_refused_not_dropped(dm: UserClient) -> None:
    listed = dm.get(f"{API}/cases", params={"sterilization_method": "steam"})  # a gsae element
    assert listed.status_code == 400
    assert "cannot filter by 'sterilization_method'" in listed.json()["detail"]
    assert dm.get(f"{API}/cases", params={"organ_system": "cardiac"}).status_code == 200
    assert dm.get(f"{API}/cases", params={"organ_system": "teapot"}).status_code == 400
