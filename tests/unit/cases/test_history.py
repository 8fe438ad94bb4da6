"""The case history as people read it, and the form's row handling: labels for codes and rows,
old → new for each changed field, row numbers that follow a removed row, refusals that list
each DICOM attribute once."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from printreg.cases.history import EMPTY, history_lines
from printreg.cases.schemas import CaseHistoryEntry
from printreg.dictionary import Definition, GroupElement
from printreg.dictionary.loader import load_shipped
from printreg.domain.issues import Issue
from printreg.files.pages import identifiers_refusal
from printreg.ingest.dicom import DicomIdentifiersFound
from printreg.privacy.dicom import DicomFinding
from printreg.web import forms

AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


@cache
def _definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


def _entry(action: str, before: dict[str, Any] | None, after: dict[str, Any]) -> CaseHistoryEntry:
    return CaseHistoryEntry(
        at=AT, actor="someone@example.org", action=action, changed=[], before=before, after=after
    )


def _changes(before: dict[str, Any] | None, after: dict[str, Any], action: str = "update") -> Any:
    [line] = history_lines([_entry(action, before, after)], lambda _version: _definition())
    return line


def test_a_coded_value_shows_its_labels_not_its_codes() -> None:
    d = _definition()
    organ = d.elements["organ_system"]
    codes = list(d.value_set_for(organ).values)[:2]  # type: ignore[arg-type]
    base = {"status": "complete", "definition_version": d.version, "local_case_id": "C-1"}
    line = _changes(
        {**base, "organ_system": codes[0].code}, {**base, "organ_system": codes[1].code}
    )
    assert [(c.label, c.old, c.new) for c in line.changes] == [
        (organ.label, codes[0].label, codes[1].label)
    ]
    assert line.label == "Changed"


def test_a_row_field_is_named_by_its_row_and_a_removed_row_is_said() -> None:
    d = _definition()
    prints = d.elements["prints"]
    assert isinstance(prints, GroupElement)
    scale = next(c for c in prints.elements if c.name == "scale_pct")
    base = {"status": "complete", "definition_version": d.version}
    one = {"printer": "P-1", "scale_pct": 100}
    line = _changes(
        {**base, "prints": [one, {**one, "scale_pct": 80}]},
        {**base, "prints": [one, {**one, "scale_pct": 50}, one]},
    )
    labels = [c.label for c in line.changes]
    assert labels == [f"Print 2: {scale.label}", "Print 3"]
    assert line.changes[0].old.startswith("80")
    assert line.changes[0].new.startswith("50")
    assert line.changes[1].old == EMPTY
    assert "P-1" in line.changes[1].new
    gone = _changes({**base, "prints": [one, one]}, {**base, "prints": [one]})
    assert [(c.label, c.new) for c in gone.changes] == [("Print 2", "removed")]


def test_status_and_deletion_are_shown_as_words() -> None:
    line = _changes(
        {"status": "complete", "deleted_at": None},
        {"status": "complete", "deleted_at": "2026-12-01T09:30:00+00:00"},
        action="delete",
    )
    assert [(c.label, c.old, c.new) for c in line.changes] == [("Deleted", "No", "Yes")]
    assert line.label == "Deleted"
    back = _changes({"status": "complete"}, {"status": "draft"}, action="back_to_draft")
    assert back.label == "Moved back to draft"
    assert [(c.label, c.old, c.new) for c in back.changes] == [("Status", "Complete", "Draft")]
    created = _changes(None, {"status": "draft", "local_case_id": "C-1"}, action="create")
    assert [(c.label, c.new) for c in created.changes] == [("Status", "Draft")]


def test_an_issue_in_a_row_is_named_by_its_row_and_field() -> None:
    d = _definition()
    issue = Issue("error", "C-1", "prints[2].scale_pct", "range", "Scale (%): must be > 0")
    assert forms.issue_text(d, issue) == "Print 2: Scale (%): must be > 0"
    rule = Issue("error", "C-1", "prints[1].part_numbers[2]", "print_parts_exist", "no row 4")
    assert forms.issue_text(d, rule).startswith("Print 1: ")
    assert forms.issue_text(d, rule).endswith(": no row 4")
    whole = Issue("error", "C-1", "", "x", "something about the case")
    assert forms.issue_text(d, whole) == "something about the case"


def test_removing_a_row_renumbers_the_rows_that_refer_to_it() -> None:
    d = _definition()
    refs = forms.referring_fields(d, "anatomic_parts")
    assert [(r.group, r.field) for r in refs] == [("prints", "part_numbers")]
    data = {
        "anatomic_parts-1-structure": ["bone"],
        "anatomic_parts-2-structure": ["vessel"],
        "anatomic_parts-3-structure": ["heart"],
        "prints-1-part_numbers": ["1, 2, 3"],
        "prints-2-part_numbers": ["3, x"],
    }
    done = forms.apply_row_action(d, data, "remove-anatomic_parts-2")
    # the form's old ',' is read; the list is written back with the one separator, ';'
    assert done.data["prints-1-part_numbers"] == ["1; 2"]
    assert done.data["prints-2-part_numbers"] == ["2; x"], "what is not a number is kept"
    assert "anatomic_parts-2-structure" not in done.data
    assert len(done.notes) == 1
    assert done.notes[0].startswith("Print 1: ")
    assert done.removed_from == "anatomic_parts"
    untouched = forms.apply_row_action(d, data, "remove-prints-1")
    assert untouched.notes == []
    assert untouched.data["prints-2-part_numbers"] == ["3, x"]


def test_a_dicom_refusal_lists_each_attribute_once_and_private_ones_as_a_count() -> None:
    findings = [
        DicomFinding("(0010,0010)", "PatientName"),
        DicomFinding("(0010,0020)", "PatientID"),
        DicomFinding("(0009,1001)", ""),
        DicomFinding("(0009,1002)", ""),
        DicomFinding("(0010,0010)", "PatientName"),
    ]
    problem, items = identifiers_refusal(DicomIdentifiersFound(findings, 3))
    assert items == ["PatientID", "PatientName", "2 private tags"]
    assert "3 DICOM files" in problem
    assert "PatientName" not in problem
    assert "on receipt" not in problem
