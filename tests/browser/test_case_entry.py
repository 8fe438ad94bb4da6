"""Case entry in a real browser: sign in, fill a guide case, fix an error, isolation, keyboard."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import DATA_MANAGER, OTHER_SITE, nav, set_value, sign_in, sign_out

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

LOCAL_ID = "BRW-GUIDE-001"
EFFORT_ACTIVITIES = ("consultation", "segmentation", "cad", "prep_post")
EFFORT_STAFF = ("clinician", "nonclinician")


def first_real_option(page: Page, selector: str) -> str:
    """Return the value of the first option of a select that is not the empty placeholder."""
    values = page.locator(f"{selector} option").evaluate_all("os => os.map(o => o.value)")
    real = [v for v in values if v.strip()]
    assert real, f"{selector} offers no printer"
    return str(real[0])


def fill_print(page: Page, row: int, material: str, scale: str, copies: str, optical: str) -> None:
    """Fill the fields of print row ``row`` (1-based)."""
    prefix = f"#f-prints-{row}-"
    printer = prefix + "printer"
    page.locator(printer).select_option(value=first_real_option(page, printer))
    set_value(page, prefix + "material_family", material)
    set_value(page, prefix + "scale_pct", scale)
    set_value(page, prefix + "copies", copies)
    set_value(page, prefix + "optical", optical)


def fill_guide_case(page: Page, bad_scale: str) -> None:
    """Fill a complete anatomic-guide case with two prints; print 2 gets ``bad_scale``."""
    set_value(page, "#f-local_case_id", LOCAL_ID)
    set_value(page, "#f-patient_age_years", "47")
    set_value(page, "#f-request_date", "2025-03-10")
    page.locator("#f-source_modalities-ct").check()
    page.locator("#f-organ_system").select_option(value="musculoskeletal")
    set_value(page, "#f-indication_text", "Planning of a corrective osteotomy")

    # Guide-only fields are hidden until the object type says "anatomic guide".
    expect(page.locator("#f-guide_type")).to_be_hidden()
    expect(page.locator("#f-guide_count")).to_be_hidden()
    set_value(page, "#f-object_type", "anatomic_guide")
    expect(page.locator("#f-guide_type")).to_be_visible()
    expect(page.locator("#f-guide_count")).to_be_visible()
    set_value(page, "#f-guide_type", "cutting")
    set_value(page, "#f-guide_count", "2")
    page.locator("#f-intended_uses-surgical_planning").check()
    set_value(page, "#f-ordering_service", "orthopaedics")
    # The specify-text of "other" software is shown only when "other" is chosen.
    expect(page.locator("#f-segmentation_tool_other_text")).to_be_hidden()
    set_value(page, "#f-segmentation_tool", "other")
    expect(page.locator("#f-segmentation_tool_other_text")).to_be_visible()
    set_value(page, "#f-segmentation_tool_other_text", "Segmenter 4.2")

    fill_print(page, 1, "pa12", "100", "1", "opaque")
    expect(page.locator("#f-prints-2-material_family")).to_have_count(0)
    page.locator("#add-prints").click()
    expect(page.locator("#f-prints-2-material_family")).to_be_visible()
    fill_print(page, 2, "clear_photopolymer", bad_scale, "2", "transparent")

    set_value(page, "#f-procedure_performed", "no")
    for n, activity in enumerate(EFFORT_ACTIVITIES, start=1):
        for m, staff in enumerate(EFFORT_STAFF, start=1):
            set_value(page, f"#f-effort_{activity}_{staff}_min", str(10 * n + m))


def not_found(page: Page, url: str, hidden: str) -> None:
    """Open ``url`` and check it says "Case not found" (an HTML 404) and shows nothing of it."""
    response = page.goto(url)
    assert response is not None
    assert response.status == 404, f"{url}: HTTP {response.status}, wanted 404"
    content_type = response.header_value("content-type") or ""
    assert content_type.startswith("text/html"), f"{url}: {content_type}, wanted an HTML page"
    expect(page.locator("body")).to_contain_text("Case not found")
    expect(page.locator("body")).not_to_contain_text(hidden)


def test_guide_case_entry_error_fix_and_facility_isolation(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    sign_in(page, server, DATA_MANAGER)
    expect(page.locator("h1")).to_have_text(server.facility_names["F0001"])

    nav(page, "New case")
    expect(page).to_have_url(re.compile(r"/registries/3dp/cases/new(\?facility=F0001)?$"))

    fill_guide_case(page, bad_scale="-5")

    # A bad scale: the form comes back with the error next to the field and the values kept.
    page.locator("#submit-complete").click()
    error = page.locator("#err-prints-2-scale_pct")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("scale", re.IGNORECASE))
    expect(page.locator("#f-local_case_id")).to_have_value(LOCAL_ID)
    expect(page.locator("#f-prints-2-material_family")).to_have_value("clear_photopolymer")
    expect(page.locator("#f-indication_text")).to_have_value("Planning of a corrective osteotomy")
    expect(page.locator("#f-effort_prep_post_nonclinician_min")).to_have_value("42")
    expect(page.locator("#f-guide_type")).to_be_visible()

    page.locator("#f-prints-2-scale_pct").fill("100")
    page.locator("#submit-complete").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")
    expect(page.locator("h1")).to_have_text(LOCAL_ID)
    detail_url = page.url.split("?", 1)[0].split("#", 1)[0]  # the detail page may flash by ?saved=1
    assert re.search(r"/registries/3dp/cases/[^/]+$", detail_url), page.url

    nav(page, "Cases")
    case_list = page.locator("#case-list")
    expect(case_list).to_contain_text(LOCAL_ID)
    expect(case_list).not_to_contain_text(server.other_case_local_id)

    # F0001's data manager cannot open F0002's case by URL either.
    other_url = detail_url.rsplit("/", 1)[0] + f"/{server.other_case_id}"
    not_found(page, other_url, server.other_case_local_id)

    # The data manager of F0002 sees F0002's case (so the URL scheme is right) but not F0001's.
    sign_out(page)
    sign_in(page, server, OTHER_SITE)
    expect(page.locator("h1")).to_have_text(server.facility_names["F0002"])
    page.goto(other_url)
    expect(page.locator("h1")).to_have_text(server.other_case_local_id)
    not_found(page, detail_url, LOCAL_ID)
    not_found(page, f"{detail_url}/edit", LOCAL_ID)
    nav(page, "Cases")
    expect(page.locator("#case-list")).to_contain_text(server.other_case_local_id)
    expect(page.locator("#case-list")).not_to_contain_text(LOCAL_ID)


def test_sign_in_form_is_keyboard_operable_and_labelled(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.at("/login"))
    email = page.locator("#email")
    email.focus()
    expect(email).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_focused()

    expect(page.get_by_label("E-mail", exact=True)).to_have_attribute("id", "email")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("id", "password")

    # Enter in the form signs in, without the mouse.
    email.fill(DATA_MANAGER)
    page.locator("#password").fill(live_server.password)
    page.locator("#password").press("Enter")
    expect(page.locator("h1")).to_have_text(live_server.facility_names["F0001"])
