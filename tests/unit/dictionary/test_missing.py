"""Reasons for missing data in the definition: declared per element, checked at load time."""

from __future__ import annotations

import copy
import pickle

import pytest

from printreg.dictionary import (
    REASON_CODES,
    UNKNOWN,
    DefinitionError,
    MissingReason,
    load_definition_text,
    load_shipped,
    reason_named,
)
from printreg.dictionary.missing import REDCAP_CODES, column_of, reason_from_redcap
from printreg.dictionary.redcap import export_dictionary, from_redcap_dictionary, to_redcap_records
from printreg.storage.schema import checksum

HEAD = """\
registry: {code: mr, name: Missing reasons}
version: 1.0.0
value_sets:
  side: {label: Side, values: [{code: left, label: Left}, {code: right, label: Right}]}
sections:
  - code: main
    label: Main
    elements:
      - {name: local_case_id, label: Case, type: text, required: true}
"""
DEFINITION = (
    HEAD
    + """\
      - {name: minutes, label: Minutes, type: integer, min: 0, max: 600,
         missing_reasons: [declined, not_asked]}
      - {name: legacy, label: Legacy, type: decimal, unknown_allowed: true,
         missing_reasons: [not_applicable]}
      - {name: side, label: Side, type: code, value_set: side, missing_reasons: [unknown]}
      - {name: seen_on, label: Seen on, type: date, missing_reasons: [not_asked]}
      - {name: note, label: Note, type: text}
"""
)


def test_an_element_lists_its_reasons_in_the_one_order() -> None:
    definition = load_definition_text(DEFINITION, "mr.yaml")
    elements = definition.elements
    assert elements["minutes"].reasons == ("not_asked", "declined")
    # the older unknown_allowed is the reason 'unknown', beside the declared ones
    assert elements["legacy"].reasons == ("unknown", "not_applicable")
    assert elements["side"].reasons == ("unknown",)
    assert elements["note"].reasons == ()
    assert "not asked" in elements["seen_on"].type_words()
    assert "reason" not in elements["note"].type_words()


@pytest.mark.parametrize(
    ("element", "said"),
    [
        ("{name: x, label: X, type: integer, missing_reasons: [forgot]}", "missing_reasons"),
        ("{name: x, label: X, type: integer, missing_reasons: [unknown, unknown]}", "once"),
        ("{name: x, label: X, type: integer, multiple: true, missing_reasons: [unknown]}", "one"),
        ("{name: x, label: X, type: codes, value_set: side, missing_reasons: [unknown]}", "one"),
    ],
)
def test_a_reason_that_cannot_be_is_refused_at_load_time(element: str, said: str) -> None:
    with pytest.raises(DefinitionError, match=said):
        load_definition_text(HEAD + f"      - {element}\n", "bad.yaml")


def test_a_group_takes_no_reason_itself() -> None:
    group = """\
      - name: rows
        label: Rows
        type: group
        missing_reasons: [unknown]
        elements:
          - {name: size, label: Size, type: decimal, missing_reasons: [declined]}
"""
    with pytest.raises(DefinitionError, match="missing_reasons"):
        load_definition_text(HEAD + group, "bad.yaml")
    fine = load_definition_text(HEAD + group.replace("        missing_reasons: [unknown]\n", ""))
    assert fine.groups["rows"].elements[0].reasons == ("declined",)


#: the checksums the shipped versions were published with, before reasons existed
PUBLISHED = {
    "3dp 1.0.0": "e9e0a793f6e50ee9e1c44369b319a903add5f570468e3e5f7f3373ad6eb89763",
    "3dp 1.1.0": "1bc1a09c58a6bffbc56a57884b5f87e399c9815953dfbc1fb7c3594ead17e566",
    "gsae 1.0.0": "cdc190ae06f1effd5fb9175f28cc6189a2cbfb55cf1a1b9279e74a4d991b85cc",
}


def test_published_definitions_keep_their_checksums() -> None:
    """The new attribute has a default: definitions that do not use it dump as before."""
    shipped = {f"{d.registry.code} {d.version}": checksum(d) for d in load_shipped()}
    assert {k: v for k, v in shipped.items() if k in PUBLISHED} == PUBLISHED


def test_a_reason_is_one_object_per_code() -> None:
    assert MissingReason("unknown") is UNKNOWN
    assert reason_named(" Not asked ") is MissingReason("not_asked")
    assert reason_named("soon") is None
    assert reason_named(3) is None
    assert copy.deepcopy(UNKNOWN) is UNKNOWN
    assert pickle.loads(pickle.dumps(MissingReason("declined"))) is MissingReason("declined")  # noqa: S301 - our own bytes
    assert set(REDCAP_CODES) == set(REASON_CODES)
    assert {reason_from_redcap(c) for c in ("UNK", "nask", " NA ", "ASKU")} == {
        MissingReason(r) for r in REASON_CODES
    }
    assert reason_from_redcap("NAVU") is None
    assert column_of("print_1_size") == "print_1_size__missing"
    with pytest.raises(ValueError, match="reason"):
        MissingReason("later")


def test_redcap_writes_each_reason_as_its_missing_data_code() -> None:
    definition = load_definition_text(DEFINITION, "mr.yaml")
    records = [
        {"local_case_id": "A", "minutes": {"missing": "declined"}, "legacy": "unknown",
         "side": MissingReason("unknown"), "seen_on": {"missing": "not_asked"}},
        {"local_case_id": "B", "minutes": 12, "legacy": 1.5, "side": "left"},
    ]  # fmt: skip
    lines = to_redcap_records(definition, records).splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(","), strict=True))
    second = dict(zip(header, lines[2].split(","), strict=True))
    assert (first["minutes"], first["legacy"], first["side"], first["seen_on"]) == (
        "ASKU", "UNK", "UNK", "NASK",
    )  # fmt: skip
    assert (second["minutes"], second["legacy"], second["side"]) == ("12", "1.5", "left")


def test_reasons_travel_through_a_redcap_data_dictionary_and_back() -> None:
    definition = load_definition_text(DEFINITION, "mr.yaml")
    exported = export_dictionary(definition)
    text = exported.text
    assert "Missing reasons: not_asked=NASK, declined=ASKU" in text or (
        "Missing reasons: declined=ASKU, not_asked=NASK" in text
    )
    assert any("missing-data codes NASK, ASKU" in note for note in exported.notes)
    back, _ = from_redcap_dictionary(text, "mr", "Missing reasons")
    for name in ("minutes", "legacy", "side", "seen_on", "note"):
        assert back.elements[name].reasons == definition.elements[name].reasons, name
