"""Field paths of queries: checked against the definition and the case's rows, read back."""

from __future__ import annotations

import pytest

from printreg.dictionary import GroupElement, load_definition, shipped_definition_paths
from printreg.domain.errors import InvalidRequest
from printreg.queries.paths import check_path, record_paths, value_at

DEFINITION = load_definition(next(p for p in shipped_definition_paths() if "3dp" in str(p)))
GROUP = next(g for g in DEFINITION.groups.values() if g.elements)
CHILD = GROUP.elements[0].name
SCALAR = next(n for n, e in DEFINITION.elements.items() if not isinstance(e, GroupElement))
RECORD = {SCALAR: "A-1", GROUP.name: [{CHILD: 5}, {CHILD: 7}]}


def test_a_scalar_and_a_row_field_are_accepted_as_given() -> None:
    assert check_path(DEFINITION, f" {SCALAR} ", RECORD) == SCALAR
    assert check_path(DEFINITION, f"{GROUP.name}[2].{CHILD}", RECORD) == f"{GROUP.name}[2].{CHILD}"


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("no_such_element", "no such field"),
        ("Robert Smith 1970-01-02", "as the case form names it"),
        (f"{SCALAR}[1].x", "not in a repeating group"),
        (f"{GROUP.name}", "name one field"),
        (f"{GROUP.name}[3].{CHILD}", "the case has no"),
        (f"{GROUP.name}[1].no_such_child", "no such field"),
        (f"{GROUP.name}[0].{CHILD}", "as the case form names it"),
    ],
)
def test_bad_paths_are_refused_without_repeating_them(path: str, said: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_path(DEFINITION, path, RECORD)
    assert said in str(refused.value)
    assert "Robert" not in str(refused.value)


def test_value_at_reads_scalars_and_rows_and_is_none_when_absent() -> None:
    assert value_at(RECORD, SCALAR) == "A-1"
    assert value_at(RECORD, f"{GROUP.name}[2].{CHILD}") == 7
    assert value_at(RECORD, f"{GROUP.name}[3].{CHILD}") is None
    assert value_at(None, SCALAR) is None
    assert value_at(RECORD, "not a path") is None


def test_record_paths_lists_every_scalar_and_every_row_field() -> None:
    paths = record_paths(DEFINITION, RECORD)
    scalars = [n for n, e in DEFINITION.elements.items() if not isinstance(e, GroupElement)]
    assert [p for p in paths if "[" not in p] == scalars
    assert f"{GROUP.name}[2].{CHILD}" in paths
    assert f"{GROUP.name}[3].{CHILD}" not in paths
    others = [g for g in DEFINITION.groups.values() if g.name != GROUP.name]
    assert not any(p.startswith(f"{g.name}[") for g in others for p in paths)
