"""Nothing registry-specific outside ``definitions/`` (issue 13, point 4).

Every element, group and value-set name of the shipped registries' definitions is looked for in
the string literals of every module under ``src/printreg`` (docstrings and comments may name
them). A name counts where it is used as an identifier: anywhere in a literal without spaces (a
key, a column, a path such as ``"prints[1].sterilized"``), or as a snake_case word in any
literal (``"e.g. organ_system=cardiac"``); a plain English word in a sentence ("the printer") is
not a use of an element. Strata, filters and rule parameters come from the definition and its
analytics spec instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from printreg.dictionary import GroupElement, load_shipped

SRC = Path(__file__).resolve().parents[2] / "src" / "printreg"

#: folders that may know the shipped registries
ALLOWED_FOLDERS = {
    "definitions": "the shipped registries themselves",
    # it generates fictional data for the shipped registries (issue 13: allowed for now)
    "synthetic": "the synthetic data generator of the shipped registries",
}

#: names of the shipped definitions that are also the platform's own words, each with its reason
ALLOWED_NAMES = {
    "local_case_id": "the key element every registry declares (storage.case_tables.KEY_ELEMENT)",
    "prints": "the group model files attach to (dictionary.analytics.PRINTS_GROUP)",
    "printer": "a reference target of the platform (facilities' printer inventory)",
    "code": "the code of a coded value, a facility, a registry: a key everywhere",
    "comment": "a committee vote's comment (governance table column)",
}

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def registry_names() -> set[str]:
    """Return every element, group-element, group and value-set name of the shipped registries."""
    names: set[str] = set()
    for definition in load_shipped():
        names.update(definition.value_sets)
        for name, element in definition.elements.items():
            names.add(name)
            if isinstance(element, GroupElement):
                names.update(child.name for child in element.elements)
    return names


def _docstrings(tree: ast.Module) -> set[int]:
    """Return the ids of the docstring nodes of a module and its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def used_names(text: str, names: set[str]) -> set[str]:
    """Return the names a string literal uses as identifiers (see the module docstring)."""
    code_like = not any(c.isspace() for c in text)
    return {w for w in IDENTIFIER.findall(text) if w in names and (code_like or "_" in w)}


def hits(path: Path, names: set[str]) -> list[str]:
    """Return 'file:line: name' for every registry name a module's string literals use."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    skip = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            out += [
                f"{path.relative_to(SRC.parents[1])}:{node.lineno}: {name}"
                for name in sorted(used_names(node.value, names))
            ]
    return out


def test_the_rule_finds_identifiers_and_leaves_prose_alone() -> None:
    names = {"organ_system", "prints", "sterilized", "guides"}
    assert used_names("organ_system", names) == {"organ_system"}
    assert used_names("].sterilized", names) == {"sterilized"}
    assert used_names("prints[", names) == {"prints"}
    assert used_names("give ELEMENT=VALUE, e.g. organ_system=cardiac", names) == {"organ_system"}
    assert used_names("check the number of parts or guides", names) == set()


def test_the_names_are_those_of_the_shipped_definitions() -> None:
    names = registry_names()
    # one of each kind from each shipped registry, written out here
    assert {"organ_system", "anatomic_parts", "sterilized", "sig_scenario"} <= names
    assert {"guide_type", "anatomic_region", "guides", "event_types"} <= names
    assert set(ALLOWED_NAMES) <= names  # an allowance for a name no registry has is stale


def test_no_registry_name_outside_definitions() -> None:
    names = registry_names() - set(ALLOWED_NAMES)
    found = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if not set(path.relative_to(SRC).parts[:-1]) & set(ALLOWED_FOLDERS)
        for hit in hits(path, names)
    ]
    assert not found, (
        "registry-specific names outside src/printreg/definitions/ (read them from the "
        "definition or its analytics spec):\n" + "\n".join(found)
    )
