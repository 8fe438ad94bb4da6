"""A research data request in a real browser: the researcher asks, the administrator approves,
the researcher downloads the extract; a sponsor finds nothing to open."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import pyarrow.parquet as pq  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect
from tests.support.browser import nav, sign_in, sign_out
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

RESEARCHER = "researcher@demo.printreg.org"
REGISTRY_ADMIN = "registry.admin@demo.printreg.org"
SPONSOR = "sponsor@demo.printreg.org"


def test_a_data_request_from_form_to_download(page: Page, live_server: LiveServer) -> None:
    service = CaseService(live_server.platform, Actor.operator("test"))
    service.create_many("3dp", [("F0001", r) for r in records("F0001", 30)])
    sign_in(page, live_server, RESEARCHER)
    page.goto(live_server.at("/registries/3dp/home"))
    nav(page, "Requests")
    page.locator("#new-request").click()
    page.locator("#request-title").fill("Models by organ system")
    page.locator("#request-aims").fill("How often each organ system is modelled.")
    page.locator('input[name="elements"][value="organ_system"]').check()
    page.locator('input[name="elements"][value="request_date"]').check()
    page.locator('input[name="stratum"][value="object_type"]').check()
    expect(page.locator('input[name="elements"][value="indication_text"]')).to_have_count(0)
    page.locator("#submit-request").click()
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]+\?done=submitted"))
    expect(page.locator("#request-status")).to_have_text("submitted")
    expect(page.locator("#feasibility")).to_be_visible()
    request_url = page.url.split("?")[0]
    sign_out(page)

    sign_in(page, live_server, REGISTRY_ADMIN)
    page.goto(request_url)
    page.locator("#approve").click()
    expect(page.locator("#request-status")).to_have_text("extract ready")
    sign_out(page)

    sign_in(page, live_server, RESEARCHER)
    page.goto(request_url)
    with page.expect_download() as info:
        page.locator("#download-extract").click()
    path = info.value.path()
    table = pq.read_table(io.BytesIO(path.read_bytes()))
    assert table.column_names == ["row_id", "facility", "request_date", "organ_system"]
    assert table.num_rows == 31  # and the seed's one case of F0002
    assert len(set(table.column("facility").to_pylist())) == 2
    assert all(re.fullmatch(r"\d{4}-Q[1-4]", v) for v in table.column("request_date").to_pylist())
    sign_out(page)

    sign_in(page, live_server, SPONSOR)
    page.goto(request_url)
    expect(page.locator("main")).to_contain_text("no such data request")
    expect(page.locator("main")).not_to_contain_text("Models by organ system")
