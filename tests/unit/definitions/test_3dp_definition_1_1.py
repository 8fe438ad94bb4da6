"""3dp definition 1.1.0: software and material coded, "other" with a specify-text, a declared
upgrade from 1.0.0's free text, and a minor version by the diff's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

import printreg.definitions
from printreg.dictionary import (
    CodeElement,
    Definition,
    TextElement,
    diff_definitions,
    load_definition,
    load_shipped,
)
from printreg.dictionary.upgrades import apply_upgrades, match_code
from printreg.validation import ensure_bound

FOLDER = Path(printreg.definitions.__file__).parent / "3dp"

SEGMENTATION = {
    "Materialise Mimics", "3D Slicer", "Synopsys Simpleware", "Vital Images Vitrea", "TeraRecon",
    "Philips IntelliSpace Portal", "Siemens syngo.via", "Brainlab", "OsiriX or Horos", "ITK-SNAP",
    "Axial3D", "Ricoh 3D for Healthcare", "In-house software", "Other",
}  # fmt: skip
CAD = {
    "Materialise 3-matic", "Geomagic Freeform", "Autodesk Meshmixer", "Blender", "Autodesk Fusion",
    "SolidWorks", "Rhino", "nTopology", "Materialise Magics", "Formlabs PreForm",
    "Stratasys GrabCAD Print", "In-house software", "Other",
}  # fmt: skip
MATERIALS = {
    "rigid_photopolymer", "flexible_photopolymer", "clear_photopolymer",
    "multi_material_photopolymer", "biocompatible_photopolymer", "pla", "abs", "petg", "pa12",
    "tpu", "peek", "titanium_alloy", "stainless_steel", "gypsum_sandstone", "silicone_cast",
    "hydrogel", "other",
}  # fmt: skip


@pytest.fixture(scope="module")
def old() -> Definition:
    return load_definition(FOLDER / "definition-1.0.0.yaml")


@pytest.fixture(scope="module")
def new() -> Definition:
    return load_definition(FOLDER / "definition-1.1.0.yaml")


def test_1_1_loads_binds_and_is_the_newest_shipped(new: Definition) -> None:
    ensure_bound(new)
    assert new.version == "1.1.0"
    assert [d.version for d in load_shipped() if d.registry.code == "3dp"][-1] == "1.1.0"


def test_the_value_sets_are_complete(new: Definition) -> None:
    assert {v.label for v in new.value_sets["segmentation_software"].values} == SEGMENTATION
    assert {v.label for v in new.value_sets["cad_software"].values} == CAD
    assert {v.code for v in new.value_sets["print_material"].values} == MATERIALS


@pytest.mark.parametrize(
    ("path", "value_set"),
    [
        ("segmentation_tool", "segmentation_software"),
        ("cad_tool", "cad_software"),
        ("prints.material_family", "print_material"),
    ],
)
def test_each_coded_element_has_other_and_a_specify_text_that_applies_only_then(
    new: Definition, path: str, value_set: str
) -> None:
    element = new.element_at(path)
    assert isinstance(element, CodeElement)
    assert element.value_set == value_set
    text = new.element_at(f"{path}_other_text")
    assert isinstance(text, TextElement)
    assert text.required
    assert text.applies_when is not None
    assert text.applies_when.field == element.name
    assert text.applies_when.equals == "other"
    assert text.identifier_scan == "free_text"  # scanned like every free text
    assert "other" in {v.code for v in new.value_sets[value_set].values}


def test_no_free_text_software_or_material_is_left(old: Definition, new: Definition) -> None:
    for path in ("segmentation_software", "cad_software", "prints.material"):
        assert isinstance(old.element_at(path), TextElement)
        assert new.element_at(path) is None
    texts = {
        e.name for _, e in new.walk() if isinstance(e, TextElement) and e.identifier_scan == "none"
    }
    assert texts == {"indication_icd10"}  # the patterned code list only


def test_the_replacement_is_a_minor_version_by_the_diff(old: Definition, new: Definition) -> None:
    diff = diff_definitions(old, new)
    assert diff.required_bump == "minor"
    assert diff.version_problem is None
    replaced = sorted(c.path for c in diff.changes if c.kind == "element_replaced")
    assert replaced == ["cad_software", "prints.material", "segmentation_software"]
    assert not [c for c in diff.changes if c.kind == "element_removed"]


def test_without_the_declared_upgrades_it_would_need_a_major_version(
    old: Definition, new: Definition
) -> None:
    bare = new.model_copy(update={"upgrades": []})
    assert diff_definitions(old, bare).required_bump == "major"


@pytest.mark.parametrize(
    ("value_set", "text", "code"),
    [
        ("segmentation_software", "Mimics", "materialise_mimics"),
        ("segmentation_software", "  materialise mimics ", "materialise_mimics"),
        ("segmentation_software", "3D Slicer 5.6.2", "slicer_3d"),
        ("segmentation_software", "Mimics v25", "materialise_mimics"),
        ("segmentation_software", "slicer_3d", "slicer_3d"),
        ("cad_software", "3-matic", "materialise_3matic"),
        ("cad_software", "Fusion 360", "autodesk_fusion"),
        ("print_material", "VeroClear", "clear_photopolymer"),
        ("print_material", "Agilus", "flexible_photopolymer"),
        ("print_material", "nylon", "pa12"),
        ("print_material", "Ti-6Al-4V", "titanium_alloy"),
        ("print_material", "pla", "pla"),
        ("print_material", "Wood composite", None),
        ("segmentation_software", "Our own pipeline", None),
    ],
)
def test_stored_texts_match_codes_labels_and_aliases(
    new: Definition, value_set: str, text: str, code: str | None
) -> None:
    assert match_code(new.value_sets[value_set], text) == code


def test_apply_upgrades_maps_and_keeps_what_matches_nothing(
    old: Definition, new: Definition
) -> None:
    record = {
        "segmentation_software": "Mimics InPrint",
        "prints": [{"material": "Agilus30"}, {"material": "Wood composite"}, {"copies": 1}],
    }
    out, mapped = apply_upgrades(old, new, record)
    assert out == {
        "segmentation_tool": "materialise_mimics",
        "prints": [
            {"material_family": "flexible_photopolymer"},
            {"material_family": "other", "material_family_other_text": "Wood composite"},
            {"copies": 1},
        ],
    }
    assert record["prints"][0] == {"material": "Agilus30"}, "the input is not changed"
    assert [(m.element, m.code, m.matched) for m in mapped] == [
        ("segmentation_tool", "materialise_mimics", True),
        ("prints.material_family", "flexible_photopolymer", True),
        ("prints.material_family", "other", False),
    ]
    assert apply_upgrades(new, new, out) == (out, [])


def test_an_alias_naming_two_codes_is_refused(new: Definition) -> None:
    data = new.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    values = data["value_sets"]["print_material"]["values"]
    values[0]["aliases"] = [*values[0].get("aliases", []), "PLA"]
    with pytest.raises(ValueError, match="names both"):
        Definition.model_validate(data)
