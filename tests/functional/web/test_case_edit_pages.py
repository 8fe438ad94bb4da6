"""Editing a case on the pages: the status is kept unless asked, a complete case returns to
draft only once confirmed (and is audited so), history shows old → new, a save shows the real
warnings, errors and removals name the row, a refused DICOM upload is answered beside it."""

from __future__ import annotations

import html
import io
import re
import uuid
from typing import Any

import pydicom
from sqlalchemy import select
from tests.functional.web.test_pages import form_fields
from tests.support.files import IDENTIFIED_CT, leaks
from tests.support.pages import (
    HOME,
    REG,
    Client,
    dm,  # noqa: F401 - fixtures shared with the page tests
    new_client,  # noqa: F401
    people,  # noqa: F401
    sign_in,  # noqa: F401
    store,
)
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.dictionary import Definition, GroupElement
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

GENERIC_DRAFT_WARNING = "a draft may leave required fields empty"


def _definition(people: Platform) -> Definition:
    return people.registry(REG).current


def _view(people: Platform, case_id: str) -> Any:
    return CaseService(people, Actor.operator("test")).get(REG, uuid.UUID(case_id))


def _actions(people: Platform, case_id: str) -> list[str]:
    with people.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "case", AuditEntry.entity_id == case_id)
                .order_by(AuditEntry.id)
            )
        )


def _edit(http: Any, case_id: str) -> tuple[str, str]:
    """Return the edit form's page and its row version."""
    page = http.get(f"/registries/{REG}/cases/{case_id}/edit").text
    version = re.search(r'name="row_version" value="(\d+)"', page)
    assert version is not None
    return page, version.group(1)


def _post_edit(
    people: Platform, dm: Client, case_id: str, record: dict[str, Any], **fields: str
) -> Any:
    http, csrf = dm
    _, version = _edit(http, case_id)
    data = {**form_fields(people, record), "csrf_token": csrf, "row_version": version, **fields}
    return http.post(f"/registries/{REG}/cases/{case_id}/edit", data=data, follow_redirects=False)


def _text(page: str) -> str:
    """Return a page's text as read on screen: tags out (inline ones without a space),
    visually hidden text out, entities decoded, spaces collapsed."""
    shown = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", page)
    shown = re.sub(r"</?(span|strong|a)\b[^>]*>", "", shown)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", shown)))


def _section(page: str, ident: str) -> str:
    start = page.index(f'id="{ident}"')
    return page[start : page.index("</section>", start)]


# -- the status is kept unless the person asks ---------------------------------------------------


def test_the_forms_default_button_keeps_the_status(people: Platform, dm: Client) -> None:
    http, _ = dm
    complete = store(people, HOME, records(HOME, 1)[0])
    page, _ = _edit(http, complete)
    form = page[page.index('<form id="case-form"') :]
    first = re.search(r"<button[^>]*>", form)
    assert first is not None
    assert 'value="save"' in first.group(0), "Enter submits the first button: it must keep"
    assert 'id="save-case"' in page
    assert 'id="to-draft"' in page
    assert 'id="save-draft"' not in page, "a complete case offers no plain 'Save draft'"


def test_save_without_an_action_keeps_a_complete_case_complete(
    people: Platform, dm: Client
) -> None:
    record = records(HOME, 1)[0]
    case_id = store(people, HOME, record)
    changed = {**record, "indication_text": "Planning of a corrective osteotomy"}
    for fields in ({"action": "save"}, {}):  # the default button, and a post with no button
        changed["indication_text"] += " again"
        sent = _post_edit(people, dm, case_id, changed, **fields)
        assert sent.status_code == 303, sent.text[:2000]
        assert _view(people, case_id).status == "complete"
    assert _actions(people, case_id) == ["create", "update", "update"]


def test_save_keeps_a_draft_a_draft(people: Platform, dm: Client) -> None:
    record = records(HOME, 1, status="draft")[0]
    case_id = store(people, HOME, record)
    sent = _post_edit(people, dm, case_id, {**record, "indication_text": "A new plan"},
                      action="save")  # fmt: skip
    assert sent.status_code == 303
    assert _view(people, case_id).status == "draft"
    page, _ = _edit(dm[0], case_id)
    assert 'id="save-draft"' in page
    assert 'id="submit-complete"' in page


def test_moving_back_to_draft_asks_first_and_is_audited_so(people: Platform, dm: Client) -> None:
    http, _ = dm
    record = records(HOME, 1)[0]
    case_id = store(people, HOME, record)
    changed = {**record, "indication_text": "Planning of a corrective osteotomy"}

    asked = _post_edit(people, dm, case_id, changed, action="draft")
    assert asked.status_code == 200
    assert 'id="confirm-draft"' in asked.text
    assert 'value="draft-confirmed"' in asked.text
    assert "Planning of a corrective osteotomy" in asked.text, "what was typed is kept"
    assert 'data-unsaved="true"' in asked.text
    assert _view(people, case_id).status == "complete", "nothing is stored before the answer"
    assert _actions(people, case_id) == ["create"]
    # The destructive answer is neither first (Enter) nor the primary button.
    box = _section(asked.text, "confirm-draft")
    buttons = re.findall(r"<button[^>]*>", box)
    assert 'value="save"' in buttons[0]
    assert 'class="secondary"' in buttons[1]

    moved = _post_edit(people, dm, case_id, changed, action="draft-confirmed")
    assert moved.status_code == 303
    assert "saved=to-draft" in moved.headers["location"]
    view = _view(people, case_id)
    assert view.status == "draft"
    assert view.record["indication_text"] == "Planning of a corrective osteotomy"
    assert _actions(people, case_id) == ["create", "back_to_draft"]
    shown = http.get(moved.headers["location"]).text
    assert "moved back to draft" in _section(shown, "outcome")
    history = _text(_section(shown, "history"))
    assert "Moved back to draft" in history
    assert "Status: Complete → Draft" in history


def test_the_service_audits_any_return_to_draft(people: Platform) -> None:
    cases = CaseService(people, Actor.operator("test"))
    record = records(HOME, 1)[0]
    saved = cases.create(REG, HOME, record)
    cases.update(REG, saved.id, {**record, "status": "draft"})
    cases.update(REG, saved.id, {**record, "status": "complete"})
    actions = [h.action for h in cases.history(REG, saved.id)]
    assert actions == ["create", "back_to_draft", "update"]


# -- history: old → new, labelled ---------------------------------------------------------------


def test_history_shows_each_changed_field_old_and_new_with_labels(
    people: Platform, dm: Client
) -> None:
    http, _ = dm
    definition = _definition(people)
    record = records(HOME, 1)[0]
    case_id = store(people, HOME, record)
    organ = definition.elements["organ_system"]
    value_set = definition.value_set_for(organ)  # type: ignore[arg-type]
    new_organ = next(v for v in value_set.values if v.code != record["organ_system"])
    prints = [dict(p) for p in record["prints"]]
    old_scale = prints[0]["scale_pct"]
    prints[0]["scale_pct"] = old_scale + 10
    changed = {**record, "organ_system": new_organ.code, "prints": prints,
               "indication_text": "Planning of a corrective osteotomy"}  # fmt: skip
    sent = _post_edit(people, dm, case_id, changed, action="save")
    assert sent.status_code == 303
    history = _text(_section(http.get(sent.headers["location"]).text, "history"))

    old_label = value_set.label_of(record["organ_system"])
    assert f"{organ.label}: {old_label} → {new_organ.label}" in history
    assert new_organ.code not in history.replace(new_organ.label, ""), "labels, not codes"
    group = definition.elements["prints"]
    assert isinstance(group, GroupElement)
    scale = next(c for c in group.elements if c.name == "scale_pct")
    assert re.search(
        rf"Print 1: {re.escape(scale.label)}: {old_scale}\D[^→]*→ {old_scale + 10}\D", history
    ), history
    assert (
        f"{definition.elements['indication_text'].label}: {record['indication_text']} → "
        "Planning of a corrective osteotomy"
    ) in history
    assert "Changed" in history


# -- feedback after a save ----------------------------------------------------------------------


def test_submit_as_complete_shows_the_real_warning(people: Platform, dm: Client) -> None:
    http, csrf = dm
    record = {**records(HOME, 1)[0], "billed_codes": [{"code": "0561T", "units": 1}]}
    data = {**form_fields(people, record), "csrf_token": csrf, "action": "complete"}
    sent = http.post(
        f"/registries/{REG}/cases/new?facility={HOME}", data=data, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text[:2000]
    shown = http.get(sent.headers["location"]).text
    outcome = _section(shown, "outcome")
    assert shown.count('id="outcome"') == 1, "one message for the outcome"
    warnings = re.findall(r"<li><strong>Warning:</strong> ([^<]+)</li>", outcome)
    assert len(warnings) == 1, outcome
    assert "0561T" in warnings[0]
    assert "billed" in warnings[0]
    assert GENERIC_DRAFT_WARNING not in shown
    assert _view(people, sent.headers["location"].split("/")[-1].split("?")[0]).status == (
        "complete"
    )


def test_a_draft_save_lists_what_is_still_missing(people: Platform, dm: Client) -> None:
    http, csrf = dm
    definition = _definition(people)
    data = {"csrf_token": csrf, "action": "save", "local_case_id": "DRAFT-ONLY-1"}
    sent = http.post(
        f"/registries/{REG}/cases/new?facility={HOME}", data=data, follow_redirects=False
    )
    assert sent.status_code == 303
    outcome = _text(_section(http.get(sent.headers["location"]).text, "outcome"))
    assert "Case saved" in outcome
    age = definition.elements["patient_age_years"].label
    assert f"Warning: {age}: this is required" in outcome
    assert GENERIC_DRAFT_WARNING not in outcome


def test_an_unchanged_save_says_nothing_changed(people: Platform, dm: Client) -> None:
    record = records(HOME, 1)[0]
    case_id = store(people, HOME, record)
    sent = _post_edit(people, dm, case_id, record, action="save")
    assert "saved=unchanged" in sent.headers["location"]
    shown = dm[0].get(sent.headers["location"]).text
    assert "Nothing was changed" in _section(shown, "outcome")
    assert _actions(people, case_id) == ["create"]


# -- repeating rows: which print, and references that follow a removed row ----------------------


def test_a_row_error_in_the_summary_names_the_row(people: Platform, dm: Client) -> None:
    http, csrf = dm
    record = records(HOME, 1)[0]
    record["prints"] = [record["prints"][0], {**record["prints"][0], "scale_pct": -5}]
    data = {**form_fields(people, record), "csrf_token": csrf, "action": "complete"}
    refused = http.post(f"/registries/{REG}/cases/new?facility={HOME}", data=data)
    assert refused.status_code == 422
    summary = _text(_section(refused.text, "form-errors"))
    group = _definition(people).elements["prints"]
    assert isinstance(group, GroupElement)
    scale = next(c for c in group.elements if c.name == "scale_pct")
    assert f"Print 2: {scale.label}: " in summary
    assert f"Print 1: {scale.label}" not in summary
    assert 'data-unsaved="true"' in refused.text


def _model_record() -> dict[str, Any]:
    record = next(r for r in records(HOME, 3) if len(r.get("anatomic_parts") or []) == 3)
    record["prints"] = [{**record["prints"][0], "part_numbers": [1, 2, 3]},
                        {**record["prints"][0], "part_numbers": [3]}]  # fmt: skip
    return record


def _part_numbers(page: str, row: int) -> str:
    found = re.search(rf'<input[^>]*id="f-prints-{row}-part_numbers"[^>]*>', page)
    assert found is not None
    value = re.search(r'value="([^"]*)"', found.group(0))
    assert value is not None
    assert 'data-refers-to="anatomic_parts"' in found.group(0)
    return value.group(1)


def test_removing_a_part_renumbers_the_part_numbers_of_the_prints(
    people: Platform, dm: Client
) -> None:
    http, csrf = dm
    record = _model_record()
    data = {**form_fields(people, record), "csrf_token": csrf}
    url = f"/registries/{REG}/cases/new?facility={HOME}"

    first = http.post(url, data={**data, "action": "remove-anatomic_parts-1"})
    assert first.status_code == 200
    assert 'id="f-anatomic_parts-3-structure"' not in first.text
    assert _part_numbers(first.text, 1) == "1; 2", "parts 2 and 3 are now 1 and 2"
    assert _part_numbers(first.text, 2) == "2"
    notes = _text(first.text[first.text.index('id="notes-anatomic_parts"') :])
    definition = _definition(people)
    part = definition.groups["anatomic_parts"].row_label
    numbers = next(c for c in definition.groups["prints"].elements if c.name == "part_numbers")
    assert f"Print 1: {numbers.label} listed {part} 1, which was removed" in notes
    assert "Print 2:" not in notes.split("Add")[0]

    middle = http.post(url, data={**data, "action": "remove-anatomic_parts-2"})
    assert _part_numbers(middle.text, 1) == "1; 2"
    assert _part_numbers(middle.text, 2) == "2"
    # What the form now holds is valid: each print lists parts that exist.
    again = {**form_fields(people, record), "csrf_token": csrf}
    again = {k: v for k, v in again.items() if not k.startswith("anatomic_parts-2-")}
    again |= {"prints-1-part_numbers": "1, 2", "prints-2-part_numbers": "2", "action": "complete",
              "billed_codes-2-units": "1"}  # fmt: skip
    stored = http.post(url, data=again, follow_redirects=False)
    assert stored.status_code == 303, _text(_section(stored.text, "form-errors"))


def test_adding_and_removing_rows_answers_at_the_group(people: Platform, dm: Client) -> None:
    http, _ = dm
    page = http.get(f"/registries/{REG}/cases/new?facility={HOME}").text
    assert 'id="add-prints"' in page
    add = re.search(r'<button[^>]*id="add-prints"[^>]*>', page)
    assert add is not None
    assert 'formaction="#g-prints"' in add.group(0)


# -- a refused DICOM upload is answered beside its control --------------------------------------


def _identified_with_private_tags(count: int) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(IDENTIFIED_CT.read_bytes()))
    block = ds.private_block(0x0011, "PRINTREG TEST", create=True)
    for offset in range(count):
        block.add_new(0x10 + offset, "LO", f"site text {offset}")
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def test_a_refused_dicom_upload_lists_each_tag_once_beside_the_upload(
    people: Platform, dm: Client
) -> None:
    http, token = dm
    case_id = store(people, HOME, records(HOME, 1)[0])
    base = f"/registries/{REG}/cases/{case_id}"
    page = http.get(base).text
    assert f'action="{base}/dicom#dicom-problem"' in page

    data = _identified_with_private_tags(5)
    refused = http.post(
        f"{base}/dicom",
        data={"csrf_token": token},
        files=[("files", ("a.dcm", data)), ("files", ("b.dcm", data))],
    )
    assert refused.status_code == 422
    text = refused.text
    problem = text[text.index('id="dicom-problem"') : text.index('id="dicom-form"')]
    assert 'tabindex="-1"' in problem
    assert "2 DICOM files" in problem
    items = re.findall(r"<li>([^<]+)</li>", problem)
    assert len(items) == len(set(items)), "each tag once"
    assert "PatientName" in items
    private = [i for i in items if "private" in i]
    assert len(private) == 1, items
    assert re.fullmatch(r"\d+ private tags", private[0])
    assert int(private[0].split()[0]) >= 5
    assert "(0011," not in problem, "private tag numbers are not listed one by one"
    assert "PatientName" not in problem.split("<ul")[0], "the sentence does not repeat the list"
    assert "de-identify on receipt" not in problem.lower(), "no action the person cannot take"
    assert leaks(text) == []
    # The refusal sits right above the upload control, not at the top of the page.
    assert text.index('id="dicom-problem"') > text.index('id="imaging"')
