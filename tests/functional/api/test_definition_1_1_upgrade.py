"""Definition 3dp 1.1.0: cases stored under 1.0.0 move onto it through the ordinary upgrade path
(dry-run report, then apply), their free-text software and material mapped to codes where they
match and to "other" + specify-text where they do not; the report counts, never repeats, the
texts. Also the publish path of such a version (a minor bump, accepted) on a new registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import store_under
from tests.support.records import records
from tests.support.web import API, HOME, OTHER, REG, REGISTRY_ADMIN, UserClient

from printreg.accounts.actor import Actor
from printreg.dictionary import loader, shipped_definition_paths
from printreg.platform import Platform
from printreg.registries.service import RegistryService

MARKER = "Zanzibar-Quokka-7"
# (segmentation, cad, [materials]) as typed under 1.0.0; the expected codes after the upgrade
LEGACY: list[tuple[str, str | None, list[str]]] = [
    ("Mimics 24.0", "3-Matic", ["VeroClear", "Agilus"]),
    ("  3d slicer ", None, ["nylon"]),
    ("Materialise Mimics InPrint", "Blender", ["Ti-6Al-4V"]),
    (f"{MARKER} segmenter", f"{MARKER} CAD", [f"{MARKER} resin", "PLA"]),
    ("ITK-SNAP", "meshmixer", ["PA 12"]),
]
EXPECTED: list[tuple[str, str | None, list[str]]] = [
    ("materialise_mimics", "materialise_3matic", ["clear_photopolymer", "flexible_photopolymer"]),
    ("slicer_3d", None, ["pa12"]),
    ("materialise_mimics", "blender", ["titanium_alloy"]),
    ("other", "other", ["other", "pla"]),
    ("itk_snap", "autodesk_meshmixer", ["pa12"]),
]

Sign = Any


def _as_1_0(record: dict[str, Any], legacy: tuple[str, str | None, list[str]]) -> dict[str, Any]:
    """Return a generated (1.1.0) record rewritten with 1.0.0's free-text elements."""
    segmentation, cad, materials = legacy
    out = {
        k: v
        for k, v in record.items()
        if k
        not in {
            "segmentation_tool",
            "segmentation_tool_other_text",
            "cad_tool",
            "cad_tool_other_text",
        }
    }
    out["segmentation_software"] = segmentation
    if cad is not None:
        out["cad_software"] = cad
    prints = []
    for n, material in enumerate(materials):
        row = dict(record["prints"][min(n, len(record["prints"]) - 1)])
        row.pop("material_family", None)
        row.pop("material_family_other_text", None)
        prints.append(row | {"material": material})
    out["prints"] = prints
    return out


def _legacy_cases(platform: Platform, registry: str = REG) -> list[str]:
    base = records(HOME, 4) + records(OTHER, 1)
    ids = []
    for n, (record, legacy) in enumerate(zip(base, LEGACY, strict=True)):
        old = _as_1_0(record, legacy) | {"local_case_id": f"OLD-{n}"}
        ids.append(store_under(platform, registry, "1.0.0", record["facility"], old))
    return ids


def _mappings(report: dict[str, Any]) -> dict[tuple[str, str, bool], int]:
    return {(m["element"], m["code"], m["matched"]): m["values"] for m in report["mappings"]}


EXPECTED_MAPPINGS = {
    ("segmentation_tool", "materialise_mimics", True): 2,
    ("segmentation_tool", "slicer_3d", True): 1,
    ("segmentation_tool", "itk_snap", True): 1,
    ("segmentation_tool", "other", False): 1,
    ("cad_tool", "materialise_3matic", True): 1,
    ("cad_tool", "blender", True): 1,
    ("cad_tool", "autodesk_meshmixer", True): 1,
    ("cad_tool", "other", False): 1,
    ("prints.material_family", "clear_photopolymer", True): 1,
    ("prints.material_family", "flexible_photopolymer", True): 1,
    ("prints.material_family", "pa12", True): 2,
    ("prints.material_family", "titanium_alloy", True): 1,
    ("prints.material_family", "pla", True): 1,
    ("prints.material_family", "other", False): 1,
}


def test_cases_of_1_0_move_to_1_1_with_their_texts_mapped(
    api_platform: Platform, client_for: Sign
) -> None:
    ids = _legacy_cases(api_platform)
    admin: UserClient = client_for(REGISTRY_ADMIN)
    assert admin.get(API).json()["current_version"] == "1.1.0"
    upgrade = f"{API}/versions/1.1.0/upgrade"

    trial = admin.post(upgrade, json={"cases": "all"})
    assert trial.status_code == 200, trial.text
    report = trial.json()
    assert (report["dry_run"], report["requested"], report["moved"]) == (True, 5, 5), report
    assert report["not_moved"] == []
    assert _mappings(report) == EXPECTED_MAPPINGS
    assert MARKER not in trial.text  # the report counts texts, never repeats them
    assert admin.get(f"{API}/cases/{ids[0]}").json()["definition_version"] == "1.0.0"

    done = admin.post(upgrade, json={"cases": "all", "dry_run": False})
    assert done.status_code == 200, done.text
    assert (done.json()["moved"], _mappings(done.json())) == (5, EXPECTED_MAPPINGS)
    assert MARKER not in done.text
    for case_id, (segmentation, cad, materials) in zip(ids, EXPECTED, strict=True):
        case = admin.get(f"{API}/cases/{case_id}").json()
        record = case["record"]
        assert case["definition_version"] == "1.1.0"
        assert record["segmentation_tool"] == segmentation
        assert record.get("cad_tool") == cad
        assert [p["material_family"] for p in record["prints"]] == materials
        assert "segmentation_software" not in record
        assert "cad_software" not in record
        assert all("material" not in p for p in record["prints"])
    unmatched = admin.get(f"{API}/cases/{ids[3]}").json()["record"]
    # the texts that match nothing stay in the case, in the specify-texts, word for word
    assert unmatched["segmentation_tool_other_text"] == f"{MARKER} segmenter"
    assert unmatched["cad_tool_other_text"] == f"{MARKER} CAD"
    assert unmatched["prints"][0]["material_family_other_text"] == f"{MARKER} resin"
    assert "material_family_other_text" not in unmatched["prints"][1]
    matched = admin.get(f"{API}/cases/{ids[0]}").json()["record"]
    assert "segmentation_tool_other_text" not in matched
    history = admin.get(f"{API}/cases/{ids[0]}/history").json()
    assert history[-1]["action"] == "upgrade"
    again = admin.post(upgrade, json={"cases": "all", "dry_run": False}).json()
    assert (again["requested"], again["moved"], again["mappings"]) == (0, 0, [])


def test_new_cases_follow_the_newest_version(api_platform: Platform, client_for: Sign) -> None:
    from tests.support.web import DATA_MANAGER  # noqa: PLC0415

    dm = client_for(DATA_MANAGER)
    record = records(HOME, 1)[0] | {"local_case_id": "NEW-1"}
    made = dm.post(f"{API}/cases", params={"facility": HOME}, json=record)
    assert made.status_code == 201, made.text
    assert dm.get(f"{API}/cases/{made.json()['id']}").json()["definition_version"] == "1.1.0"
    old_shape = _as_1_0(record, LEGACY[0]) | {"local_case_id": "NEW-2"}
    refused = dm.post(f"{API}/cases", params={"facility": HOME}, json=old_shape)
    assert refused.status_code == 422
    fields = {i["path"] for i in refused.json()["issues"]}
    assert {"segmentation_software", "segmentation_tool"} <= fields


@pytest.fixture(autouse=True)
def _copies_keep_3dp_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registries below are 3dp's definitions under another code: like a shipped registry,
    they keep 3dp's files beside their definitions (``parameters.yaml``, ``imaging.yaml``)."""
    kept = loader._shipped_mapping

    def beside(registry: str, filename: str) -> dict[str, Any]:
        return kept("3dp" if registry in COPIES else registry, filename)

    monkeypatch.setattr(loader, "_shipped_mapping", beside)


COPIES = frozenset({"tdp", "tdq"})


def _renamed(path: Path, code: str) -> str:
    return path.read_text("utf-8").replace("  code: 3dp", f"  code: {code}", 1)


def test_publishing_a_version_that_replaces_free_text_is_a_minor_change(
    api_platform: Platform,
) -> None:
    """A new registry on 1.0.0, then 1.1.0 published through the dry run and the commit."""
    code = "tdp"
    paths = {p.name: p for p in shipped_definition_paths() if p.parent.name == "3dp"}
    operator = RegistryService(api_platform, Actor.operator("test"))
    first = paths["definition-1.0.0.yaml"]
    assert operator.publish(code, _renamed(first, code), dry_run=False, base=first.parent).published
    ids = _legacy_cases(api_platform, code)

    second = paths["definition-1.1.0.yaml"]
    text = _renamed(second, code)
    dry = operator.publish(code, text, dry_run=True, base=second.parent)
    assert (dry.from_version, dry.to_version, dry.problems) == ("1.0.0", "1.1.0", [])
    assert sorted(dry.elements_replaced) == [
        "cad_software",
        "prints.material",
        "segmentation_software",
    ]
    assert dry.elements_retired == []
    assert {c.bump for c in dry.changes} == {"minor"}
    assert (dry.cases_checked, dry.cases_invalid) == (5, 0)
    mappings = {(m.element, m.code, m.matched): m.values for m in dry.mappings}
    assert mappings == EXPECTED_MAPPINGS
    assert MARKER not in json.dumps([m.__dict__ for m in dry.mappings] + dry.problems)
    assert operator.info(code).current_version == "1.0.0"

    published = operator.publish(code, text, dry_run=False, base=second.parent)
    assert published.published
    assert operator.info(code).current_version == "1.1.0"
    moved = operator.upgrade_cases(code, "all", "1.1.0", dry_run=False)
    assert (moved.moved, moved.not_moved) == (5, [])
    assert operator.definition(code).version == "1.1.0"
    assert {operator.definition(code, "1.0.0").version} == {"1.0.0"}
    assert len(ids) == 5


@pytest.mark.parametrize("lower", ["1.0.0", "0.9.0"])
def test_a_version_not_higher_than_the_current_one_is_never_published(
    api_platform: Platform, lower: str
) -> None:
    """Point 8: an unchanged copy relabelled lower (or equal) is refused, naming both versions."""
    code = "tdq"
    paths = {p.name: p for p in shipped_definition_paths() if p.parent.name == "3dp"}
    operator = RegistryService(api_platform, Actor.operator("test"))
    newest = paths["definition-1.1.0.yaml"]
    text = _renamed(newest, code)
    assert operator.publish(code, text, dry_run=False, base=newest.parent).published
    copy = text.replace("\nversion: 1.1.0\n", f"\nversion: {lower}\n", 1)
    report = operator.publish(code, copy, dry_run=True, base=newest.parent)
    assert report.problems, report
    assert any(lower in p and "1.1.0" in p for p in report.problems), report.problems
    from printreg.domain.errors import Conflict  # noqa: PLC0415

    with pytest.raises(Conflict) as refused:
        operator.publish(code, copy, dry_run=False, base=newest.parent)
    assert lower in str(refused.value)
    assert "1.1.0" in str(refused.value)
    assert sorted(operator.info(code).versions) == ["1.1.0"]
    assert operator.info(code).current_version == "1.1.0"
