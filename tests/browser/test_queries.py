"""Queries in a real browser: the coordinator raises one from the case page (another comes from
a bulk raise); the facility's data manager finds them on the home page, in the case list and
beside the fields of the case form, confirms one with a reason and answers the other by fixing
the value; the coordinator then sees both answered on the queries page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import DATA_MANAGER, sign_in, sign_out
from tests.support.records import records
from tests.support.web import REGISTRY_ADMIN

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.queries.schemas import QueryTarget
from printreg.queries.service import QueryService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

REG = "3dp"


def test_a_data_manager_answers_one_query_by_fixing_and_one_by_confirming(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    operator = Actor.operator("test")
    case = CaseService(server.platform, operator).create(REG, "F0001", records("F0001", 1)[0])
    base = f"/registries/{REG}/cases/{case.id}"
    # a bulk raise (as a quality rule would) on the scale of the first print
    (bulk,) = QueryService(server.platform, operator).raise_many(
        REG, [QueryTarget(case.id, "prints[1].scale_pct")], "Scale outside the usual range"
    )

    sign_in(page, server, REGISTRY_ADMIN)
    page.goto(server.at(base))
    page.locator("#query-path").select_option("time_saved_min")
    page.locator("#query-text").fill("Time saved looks high: please check")
    page.locator("#raise-query-button").click()
    expect(page.locator("#case-queries tbody tr")).to_have_count(2)
    sign_out(page)

    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"/registries/{REG}/home"))
    expect(page.locator("#open-query-count")).to_have_attribute("data-open-queries", "2")
    page.goto(server.at(f"/registries/{REG}/cases"))
    badge = page.locator(f'a.badge[href="{base}#queries"]')
    expect(badge).to_have_text("2 open queries")
    page.goto(server.at(f"{base}/edit"))
    scale_box = page.locator(f"#query-{bulk.id}")
    expect(scale_box).to_contain_text("Scale outside the usual range")
    time_box = page.locator('[data-field="time_saved_min"] .query-box')
    expect(time_box).to_contain_text("Time saved looks high")

    # confirm the scale with a reason: no "unsaved changes" warning, back on the form
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    scale_box.locator("textarea").fill("The surgeon asked for a half-size model")
    scale_box.get_by_role("button", name="Confirm the value").click()
    expect(page).to_have_url(server.at(f"{base}/edit"))
    expect(page.locator(f"#query-{bulk.id}")).to_have_attribute("data-query-status", "answered")
    assert dialogs == []

    # fix the time saved in the form and save the case: that answers the other query
    field = page.locator("#f-time_saved_min")
    old = field.input_value()
    field.fill(str(int(old) + 1) if old else "5")
    page.locator("#save-case").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")
    statuses = {q.path: q.status for q in QueryService(server.platform, operator).list(REG)}
    assert statuses == {"prints[1].scale_pct": "answered", "time_saved_min": "answered"}
    history = {q.path: [e.action for e in q.history]
               for q in QueryService(server.platform, operator).for_case(REG, case.id)}  # fmt: skip
    assert history == {"prints[1].scale_pct": ["raise", "confirm"],
                       "time_saved_min": ["raise", "change"]}  # fmt: skip
    page.goto(server.at(f"/registries/{REG}/home"))
    expect(page.locator("#open-query-count")).to_have_attribute("data-open-queries", "0")
    sign_out(page)

    sign_in(page, server, REGISTRY_ADMIN)
    page.goto(server.at(f"/registries/{REG}/queries?status=answered"))
    expect(page.locator('#query-list tbody tr[data-query-status="answered"]')).to_have_count(2)
