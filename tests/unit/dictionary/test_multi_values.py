"""One separator for several values: ';' in files and forms; the form's old ',' where safe."""

from __future__ import annotations

from typing import Any

import pytest

from printreg.dictionary import load_shipped
from printreg.dictionary.elements import IntegerElement, TextElement, split_list, split_multi
from printreg.web.forms import record_from_form

ICD = TextElement(
    name="icd", label="ICD", type="text", multiple=True, max_length=8,
    pattern=r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$",
)  # fmt: skip
PARTS = IntegerElement(name="parts", label="Parts", type="integer", multiple=True, min=1)
NOTES = TextElement(name="notes", label="Notes", type="text", multiple=True)


@pytest.mark.parametrize(
    ("element", "text", "values"),
    [
        (ICD, "Q20.1; C64.1", ["Q20.1", "C64.1"]),
        (ICD, "Q20.1, C64.1", ["Q20.1", "C64.1"]),  # the form's old separator, still read
        (PARTS, "1,2", ["1", "2"]),
        (PARTS, "1;2", ["1", "2"]),
        (PARTS, "3", ["3"]),
        (NOTES, "left, then right", ["left, then right"]),  # a comma inside a free text
        (NOTES, "left, then right; top", ["left, then right", "top"]),
        (ICD, "Q20.1;", ["Q20.1"]),
    ],
)
def test_form_lists_split_on_the_one_separator_and_on_commas_only_where_safe(
    element: Any, text: str, values: list[str]
) -> None:
    assert split_list(element, text) == values


def test_files_read_only_the_one_separator() -> None:
    assert split_multi("ct; mr") == ["ct", "mr"]
    assert split_multi("1,2") == ["1,2"]  # refused later as not a number, never guessed


def test_the_case_form_reads_the_separator_its_help_states() -> None:
    definition = next(d for d in load_shipped() if d.registry.code == "3dp")
    record = record_from_form(
        definition, {"indication_icd10": ["Q20.1; C64.1"], "prints-1-part_numbers": ["1, 2"]}
    )
    assert record["indication_icd10"] == ["Q20.1", "C64.1"]
    assert record["prints"] == [{"part_numbers": ["1", "2"]}]
