"""Differences between definition versions and the semantic-version bump they call for."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from printreg.dictionary import Change, Definition, diff_definitions, parse_definition
from printreg.dictionary.diff import coded_elements

Data = dict[str, Any]


def base_data() -> Data:
    return {
        "registry": {"code": "mini", "name": "Mini registry"},
        "version": "1.0.0",
        "value_sets": {
            "colour": {
                "label": "Colour",
                "values": [{"code": "red", "label": "Red"}, {"code": "blue", "label": "Blue"}],
            }
        },
        "sections": [
            {
                "code": "main",
                "label": "Main",
                "elements": [
                    {"name": "note", "label": "Note", "type": "text", "max_length": 40},
                    {"name": "count", "label": "Count", "type": "integer", "min": 0},
                    {"name": "colour", "label": "Colour", "type": "code", "value_set": "colour"},
                    {"name": "seen_on", "label": "Seen on", "type": "date"},
                    {"name": "later_on", "label": "Later on", "type": "date"},
                    {
                        "name": "parts",
                        "label": "Parts",
                        "type": "group",
                        "elements": [
                            {"name": "size", "label": "Size", "type": "decimal"},
                        ],
                    },
                ],
            }
        ],
        "rules": [
            {
                "code": "later_after_seen",
                "function": "date_order",
                "params": {"earlier": "seen_on", "later": "later_on"},
                "description": "later is later",
            }
        ],
        "derived": [
            {
                "name": "part_count",
                "label": "Parts",
                "type": "integer",
                "function": "row_count",
                "params": {"group": "parts"},
            }
        ],
    }


def build(data: Data) -> Definition:
    return parse_definition(data, "test")


def elements(data: Data) -> list[Data]:
    result: list[Data] = data["sections"][0]["elements"]
    return result


def element(data: Data, name: str) -> Data:
    return next(e for e in elements(data) if e["name"] == name)


def changed(mutate: Callable[[Data], None], version: str = "9.0.0") -> list[Change]:
    old = base_data()
    new = copy.deepcopy(old)
    mutate(new)
    new["version"] = version
    return diff_definitions(build(old), build(new)).changes


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


# --- changes and their bumps ---------------------------------------------------------------------


def test_identical_definitions_have_no_changes() -> None:
    diff = diff_definitions(build(base_data()), build(base_data()))
    assert diff.changes == []
    assert diff.required_bump == "none"
    assert diff.actual_bump == "none"
    assert diff.version_problem is None


def test_optional_element_added_is_minor() -> None:
    change = only(changed(lambda d: elements(d).append(
        {"name": "extra", "label": "Extra", "type": "boolean"})))  # fmt: skip
    assert (change.kind, change.path, change.bump) == ("element_added", "extra", "minor")
    assert "optional" in change.detail


def test_required_element_added_is_major() -> None:
    change = only(changed(lambda d: elements(d).append(
        {"name": "extra", "label": "Extra", "type": "boolean", "required": True})))  # fmt: skip
    assert (change.kind, change.path, change.bump) == ("element_added", "extra", "major")
    assert "required" in change.detail


def test_conditionally_required_element_added_is_major() -> None:
    change = only(changed(lambda d: elements(d).append({
        "name": "extra", "label": "Extra", "type": "boolean",
        "required_when": {"field": "colour", "equals": "red"},
    })))  # fmt: skip
    assert (change.kind, change.path, change.bump) == ("element_added", "extra", "major")


def test_optional_group_element_added_is_minor_and_named_with_its_group() -> None:
    change = only(changed(lambda d: element(d, "parts")["elements"].append(
        {"name": "shape", "label": "Shape", "type": "text"})))  # fmt: skip
    assert (change.kind, change.path, change.bump) == ("element_added", "parts.shape", "minor")


def test_element_removed_is_major() -> None:
    change = only(changed(lambda d: elements(d).remove(element(d, "count"))))
    assert (change.kind, change.path, change.bump) == ("element_removed", "count", "major")


def test_group_element_removed_is_major() -> None:
    def mutate(d: Data) -> None:
        element(d, "parts")["elements"].append({"name": "shape", "label": "Shape", "type": "text"})

    old = base_data()
    mutate(old)
    new = base_data()
    new["version"] = "2.0.0"
    change = only(diff_definitions(build(old), build(new)).changes)
    assert (change.kind, change.path, change.bump) == ("element_removed", "parts.shape", "major")


@pytest.mark.parametrize(
    ("name", "attr", "value"),
    [
        ("note", "max_length", 20),
        ("count", "min", 1),
        ("count", "max", 10),
        ("count", "required", True),
        ("count", "unknown_allowed", True),
        ("seen_on", "not_future", True),
        ("note", "pattern", "^[a-z]+$"),
        ("count", "applies_when", {"field": "colour", "equals": "red"}),
        ("note", "required_when", {"field": "colour", "equals": "blue"}),
    ],
)
def test_changed_constraint_is_major(name: str, attr: str, value: object) -> None:
    change = only(changed(lambda d: element(d, name).__setitem__(attr, value)))
    assert (change.kind, change.path, change.bump) == ("element_changed", name, "major")
    assert attr in change.detail


def test_changed_type_is_major() -> None:
    def mutate(d: Data) -> None:
        element(d, "count")["type"] = "decimal"

    changes = changed(mutate)
    assert any(c.path == "count" and "type" in c.detail and c.bump == "major" for c in changes)


def test_changed_group_row_constraint_is_major() -> None:
    change = only(changed(lambda d: element(d, "parts")["elements"][0].__setitem__("min", 0)))
    assert (change.kind, change.path, change.bump) == ("element_changed", "parts.size", "major")


def test_changed_group_bounds_are_major() -> None:
    change = only(changed(lambda d: element(d, "parts").__setitem__("max_rows", 5)))
    assert (change.path, change.bump) == ("parts", "major")
    assert "max_rows" in change.detail


@pytest.mark.parametrize(("attr", "value"), [("label", "A note"), ("help", "Say something.")])
def test_label_or_help_change_is_patch(attr: str, value: str) -> None:
    change = only(changed(lambda d: element(d, "note").__setitem__(attr, value)))
    assert (change.kind, change.path, change.bump) == ("element_changed", "note", "patch")
    assert attr in change.detail


def test_code_added_is_minor() -> None:
    change = only(changed(lambda d: d["value_sets"]["colour"]["values"].append(
        {"code": "green", "label": "Green"})))  # fmt: skip
    assert (change.kind, change.path, change.bump) == ("code_added", "colour:green", "minor")


def test_code_removed_is_major() -> None:
    change = only(changed(lambda d: d["value_sets"]["colour"]["values"].pop()))
    assert (change.kind, change.path, change.bump) == ("code_removed", "colour:blue", "major")


def test_new_value_set_lists_its_codes_as_added() -> None:
    def mutate(d: Data) -> None:
        d["value_sets"]["size"] = {"label": "Size", "values": [{"code": "s", "label": "S"}]}

    change = only(changed(mutate))
    assert (change.kind, change.path, change.bump) == ("code_added", "size:s", "minor")


@pytest.mark.parametrize(("severity", "bump"), [("error", "major"), ("warning", "minor")])
def test_rule_added(severity: str, bump: str) -> None:
    def mutate(d: Data) -> None:
        d["rules"].append({
            "code": "note_once", "function": "unique_in_group",
            "params": {"group": "parts", "field": "size"}, "severity": severity,
            "description": "each size once",
        })  # fmt: skip

    change = only(changed(mutate))
    assert (change.kind, change.path, change.bump) == ("rule_added", "note_once", bump)
    assert severity in change.detail


def test_rule_removed_is_minor() -> None:
    change = only(changed(lambda d: d["rules"].clear()))
    assert (change.kind, change.path, change.bump) == ("rule_removed", "later_after_seen", "minor")


def test_rule_changed_is_major() -> None:
    change = only(changed(lambda d: d["rules"][0].__setitem__("severity", "warning")))
    assert (change.kind, change.path, change.bump) == ("rule_changed", "later_after_seen", "major")


@pytest.mark.parametrize(("kind", "mutate"), [
    ("derived_removed", lambda d: d["derived"].clear()),
    ("derived_added", lambda d: d["derived"].append({
        "name": "turnaround", "label": "Turnaround", "type": "integer",
        "function": "date_difference", "params": {"start": "seen_on", "end": "later_on"}})),
])  # fmt: skip
def test_derived_added_or_removed_is_minor(kind: str, mutate: Callable[[Data], None]) -> None:
    change = only(changed(mutate))
    assert (change.kind, change.bump) == (kind, "minor")


def test_several_changes_are_sorted_and_the_biggest_bump_wins() -> None:
    def mutate(d: Data) -> None:
        element(d, "note")["label"] = "A note"
        elements(d).append({"name": "extra", "label": "Extra", "type": "boolean"})
        d["value_sets"]["colour"]["values"].pop()

    old = base_data()
    new = copy.deepcopy(old)
    mutate(new)
    new["version"] = "2.0.0"
    diff = diff_definitions(build(old), build(new))
    assert [(c.kind, c.path) for c in diff.changes] == [
        ("code_removed", "colour:blue"),
        ("element_added", "extra"),
        ("element_changed", "note"),
    ]
    assert diff.required_bump == "major"
    assert diff.version_problem is None


def test_coded_elements_lists_code_elements() -> None:
    assert coded_elements(build(base_data())) == ["colour"]


# --- version numbers -----------------------------------------------------------------------------


def add_required(d: Data) -> None:
    elements(d).append({"name": "extra", "label": "Extra", "type": "boolean", "required": True})


def add_optional(d: Data) -> None:
    elements(d).append({"name": "extra", "label": "Extra", "type": "boolean"})


def relabel(d: Data) -> None:
    element(d, "note")["label"] = "A note"


def diff_to(mutate: Callable[[Data], None], version: str, old_version: str = "1.0.0") -> Any:
    old = base_data()
    old["version"] = old_version
    new = copy.deepcopy(old)
    mutate(new)
    new["version"] = version
    return diff_definitions(build(old), build(new))


@pytest.mark.parametrize(
    ("mutate", "version", "needed", "shown"),
    [
        (add_required, "1.0.1", "major", "patch"),
        (add_required, "1.1.0", "major", "minor"),
        (add_required, "1.0.0", "major", "none"),
        (add_optional, "1.0.1", "minor", "patch"),
        (add_optional, "1.0.0", "minor", "none"),
        (relabel, "1.0.0", "patch", "none"),
    ],
)
def test_version_problem_when_the_bump_is_too_small(
    mutate: Callable[[Data], None], version: str, needed: str, shown: str
) -> None:
    diff = diff_to(mutate, version)
    assert diff.required_bump == needed
    assert diff.actual_bump == shown
    assert diff.version_problem is not None
    assert f"need a {needed} version bump" in diff.version_problem
    assert f"shows {shown}" in diff.version_problem


@pytest.mark.parametrize(
    ("mutate", "version"),
    [
        (add_required, "2.0.0"),
        (add_optional, "1.1.0"),
        (add_optional, "2.0.0"),
        (relabel, "1.0.1"),
        (relabel, "1.1.0"),
        (relabel, "2.0.0"),
    ],
)
def test_no_version_problem_when_the_bump_is_big_enough(
    mutate: Callable[[Data], None], version: str
) -> None:
    assert diff_to(mutate, version).version_problem is None


def test_actual_bump_reads_each_part_of_the_version() -> None:
    assert diff_to(relabel, "1.2.3", "1.2.2").actual_bump == "patch"
    assert diff_to(relabel, "1.3.0", "1.2.9").actual_bump == "minor"
    assert diff_to(relabel, "10.0.0", "9.9.9").actual_bump == "major"


@pytest.mark.parametrize(
    ("mutate", "old_version", "version"),
    [
        (add_required, "1.2.0", "0.9.0"),
        (add_optional, "1.2.0", "1.1.0"),
        (relabel, "1.0.5", "1.0.4"),
    ],
)
def test_a_lower_version_number_is_a_version_problem(
    mutate: Callable[[Data], None], old_version: str, version: str
) -> None:
    problem = diff_to(mutate, version, old_version).version_problem
    assert problem is not None
    assert "higher" in problem or "need a" in problem


def test_a_lower_version_number_without_changes_is_a_version_problem_naming_both() -> None:
    # An unchanged copy relabelled lower must not pass for a new version (issue 12, point 8).
    problem = diff_to(lambda _: None, "0.9.0", "1.2.0").version_problem
    assert problem is not None
    assert "0.9.0" in problem
    assert "1.2.0" in problem
    assert "lower" in problem


def test_the_same_version_without_changes_is_no_version_problem() -> None:
    assert diff_to(lambda _: None, "1.2.0", "1.2.0").version_problem is None


def test_a_reason_for_missing_data_added_is_minor_and_one_taken_away_is_major() -> None:
    added = only(
        changed(lambda d: element(d, "count").__setitem__("missing_reasons", ["declined"]))
    )
    assert (added.path, added.bump) == ("count", "minor")
    assert "missing_reasons" in added.detail

    def fewer(d: Data) -> None:
        element(d, "count")["missing_reasons"] = ["declined"]

    old = base_data()
    element(old, "count")["missing_reasons"] = ["declined", "not_asked"]
    new = base_data()
    new["version"] = "2.0.0"
    fewer(new)
    removed = only(diff_definitions(build(old), build(new)).changes)
    assert (removed.path, removed.bump) == ("count", "major")
