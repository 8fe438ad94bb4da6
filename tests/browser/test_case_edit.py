"""Editing a case in a real browser: Enter keeps the status, a complete case goes back to draft
only once confirmed, leaving unsaved changes warns, history shows old → new, removing a part
renumbers the parts a print lists."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from playwright.sync_api import Dialog, Page, expect
from tests.support.browser import DATA_MANAGER, nav, sign_in
from tests.support.files import IDENTIFIED_CT
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

if TYPE_CHECKING:
    from tests.support.browser import LiveServer

REG = "3dp"
NEW_INDICATION = "Planning of a corrective osteotomy"


def _case(server: LiveServer, *, status: str = "complete", parts: int = 0) -> str:
    """Store an F0001 case (with ``parts`` anatomic parts when asked) and return its page path."""
    found = records("F0001", 6, status=status)
    record = next(r for r in found if len(r.get("anatomic_parts") or []) >= parts)
    saved = CaseService(server.platform, Actor.operator("test")).create(REG, "F0001", record)
    return f"/registries/{REG}/cases/{saved.id}"


def _status(server: LiveServer, path: str) -> str:
    case_id = path.rsplit("/", 1)[-1]
    view = CaseService(server.platform, Actor.operator("test")).get(REG, uuid.UUID(case_id))
    return view.status


def test_enter_in_a_text_field_saves_and_keeps_the_case_complete(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    path = _case(server)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"{path}/edit"))
    expect(page.locator("#status-note")).to_contain_text("complete")
    field = page.locator("#f-indication_text")
    field.fill(NEW_INDICATION)
    page.locator("#f-local_case_id").press("Enter")  # a one-line text field: Enter submits

    expect(page.locator("#flash")).to_contain_text("Case saved")
    expect(page.locator("#case-status")).to_have_text("complete")
    assert _status(server, path) == "complete"
    history = page.locator("#history tbody tr").last
    expect(history).to_contain_text("Changed")
    expect(history).to_contain_text(f"→ {NEW_INDICATION}")


def test_moving_a_complete_case_back_to_draft_asks_first(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    path = _case(server)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"{path}/edit"))
    page.locator("#f-indication_text").fill(NEW_INDICATION)

    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("#to-draft").click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    assert asked == ["confirm"]
    assert _status(server, path) == "complete", "cancelled: nothing is saved"

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#to-draft").click()
    expect(page.locator("#outcome")).to_contain_text("moved back to draft")
    expect(page.locator("#case-status")).to_have_text("draft")
    last = page.locator("#history tbody tr").last
    expect(last).to_contain_text("Moved back to draft")
    expect(last).to_contain_text("Status: Complete → Draft")
    assert _status(server, path) == "draft"


def test_leaving_the_form_with_unsaved_changes_warns(live_server: LiveServer, page: Page) -> None:
    server = live_server
    path = _case(server)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"{path}/edit"))
    seen: list[str] = []

    def stay(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    # Nothing typed yet: leaving is silent.
    nav(page, "Cases")
    expect(page.locator("#case-list")).to_be_visible()
    assert seen == []

    page.goto(server.at(f"{path}/edit"))
    page.locator("#f-indication_text").fill(NEW_INDICATION)
    nav(page, "Cases")
    page.wait_for_timeout(300)
    assert seen == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/edit$"))
    expect(page.locator("#f-indication_text")).to_have_value(NEW_INDICATION)

    # Saving is not leaving: the warning is cleared on submit.
    page.locator("#save-case").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")
    assert seen == ["beforeunload"]


def test_history_shows_old_and_new_values_with_labels(live_server: LiveServer, page: Page) -> None:
    server = live_server
    path = _case(server)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"{path}/edit"))
    organ = page.locator("#f-organ_system")
    old_label = organ.locator("option:checked").inner_text()
    values = organ.locator("option").evaluate_all("os => os.map(o => [o.value, o.text])")
    current = organ.input_value()
    code, label = next((v, t) for v, t in values if v and v != current)
    organ.select_option(value=code)
    page.locator("#save-case").click()

    last = page.locator("#history tbody tr").last
    expect(last).to_contain_text(f"Organ system: {old_label} → {label}")
    assert code not in last.inner_text().replace(label, ""), "labels, not codes"


def test_removing_part_1_renumbers_the_part_numbers_of_a_print(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    path = _case(server, parts=3)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(f"{path}/edit"))
    numbers = page.locator("#f-prints-1-part_numbers")
    numbers.fill("1; 2; 3")  # the one separator, as the form says
    page.locator("#row-anatomic_parts-1 .remove-row").click()

    expect(page.locator("#row-anatomic_parts-3")).to_have_count(0)
    expect(numbers).to_have_value("1; 2")
    expect(page.locator("#notes-anatomic_parts")).to_contain_text(
        "Print 1: Anatomic part numbers listed part 1, which was removed"
    )
    page.locator("#save-case").click()
    expect(page.locator("#flash")).to_contain_text("Case saved")
    assert _status(server, path) == "complete"


def test_a_refused_dicom_upload_answers_beside_the_upload(
    live_server: LiveServer, page: Page
) -> None:
    server = live_server
    path = _case(server)
    sign_in(page, server, DATA_MANAGER)
    page.goto(server.at(path))
    page.locator("#dicom-files").set_input_files(str(IDENTIFIED_CT))
    page.locator("#dicom-upload").click()

    problem = page.locator("#dicom-problem")
    expect(problem).to_be_focused()
    expect(problem).to_be_in_viewport()
    expect(problem).to_contain_text("Refused, nothing was kept")
    expect(problem).not_to_contain_text("on receipt")
    tags = problem.locator("li").all_inner_texts()
    assert "PatientName" in tags
    assert len(tags) == len(set(tags))
    assert sum("private" in t for t in tags) <= 1
