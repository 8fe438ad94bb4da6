"""Every element type answers the whole contract itself, and the shipped schemas stay as they were.

A new scalar type is one class in ``printreg.dictionary.elements``: the first tests fail until it
implements every method of ``SCALAR_CONTRACT`` and has a row in the tables below. The expected
Arrow schemas of the shipped registries are data (``data/shipped_arrow_schemas.json``, written
from the exports and extracts as they were before the types were gathered into their classes).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pydantic import TypeAdapter
from sqlalchemy.types import TypeEngine

from printreg.dictionary import Definition, load_shipped
from printreg.dictionary.elements import (
    ELEMENT_TYPES,
    SCALAR_CONTRACT,
    SCALAR_TYPES,
    Element,
    ElementBase,
    Widget,
)
from printreg.ingest.export import parquet_schema
from printreg.ingest.layout import FlatLayout
from printreg.research.elements import releasable_elements
from printreg.research.extract import ExtractLayout

SCHEMAS = Path(__file__).parent / "data" / "shipped_arrow_schemas.json"

#: A declaration of each type (its required fields) and a raw value it accepts.
SAMPLES: dict[str, tuple[dict[str, Any], object]] = {
    "text": ({"max_length": 40}, "left femur"),
    "integer": ({}, "12"),
    "decimal": ({}, "0.625"),
    "date": ({}, "2025-05-17"),
    "boolean": ({}, "yes"),
    "code": ({"value_set": "colour"}, "red"),
    "codes": ({"value_set": "colour"}, "red"),
    "reference": ({"target": "printer"}, "Form3B-1"),
}

#: type → (SQL type, export Arrow type, extract Arrow type, polars type, widget), written out.
EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    "text": ("VARCHAR(40)", "string", "string", "String", "text"),
    "integer": ("INTEGER", "int64", "int64", "Int64", "number"),
    "decimal": ("FLOAT", "double", "double", "Float64", "number"),
    "date": ("DATE", "date32[day]", "string", "Date", "date"),
    "boolean": ("BOOLEAN", "bool", "bool", "Boolean", "boolean"),
    "code": ("VARCHAR(64)", "string", "string", "String", "select"),
    "codes": ("VARCHAR(64)", "list<item: string>", "string", "List(String)", "checkboxes"),
    "reference": ("INTEGER", "string", "string", "String", "select"),
}

#: type → (the sample's typed export value, its extract value)
VALUES: dict[str, tuple[object, object]] = {
    "text": ("left femur", "left femur"),
    "integer": (12, 12),
    "decimal": (0.625, 0.625),
    "date": (dt.date(2025, 5, 17), "2025-Q2"),
    "boolean": (True, True),
    "code": ("red", "red"),
    "codes": ("red", "red"),
    "reference": ("Form3B-1", "Form3B-1"),
}


def sample(type_name: str) -> ElementBase:
    """Return a declaration of the type, named after it."""
    extra, _ = SAMPLES[type_name]
    cls = SCALAR_TYPES[type_name]
    return cls(name=f"a_{type_name}", label=type_name.title(), type=type_name, **extra)


def test_every_registered_type_is_a_known_type() -> None:
    assert ELEMENT_TYPES[-1] == "group"
    for name in SCALAR_TYPES:
        # the union definitions are read with knows the type, as this class
        declared = {"name": "x", "label": "X", "type": name, **SAMPLES.get(name, ({}, None))[0]}
        assert type(TypeAdapter(Element).validate_python(declared)) is SCALAR_TYPES[name]
        assert name in SAMPLES, f"add a sample declaration of the new type {name!r} to this test"
        assert name in EXPECTED, f"write the expected types of the new type {name!r} here"
    assert set(SAMPLES) == set(SCALAR_TYPES) == set(EXPECTED) == set(VALUES) == set(REDCAP)


@pytest.mark.parametrize("type_name", list(SCALAR_TYPES))
@pytest.mark.parametrize("method", SCALAR_CONTRACT)
def test_every_type_implements_every_method_itself(type_name: str, method: str) -> None:
    cls = SCALAR_TYPES[type_name]
    assert getattr(cls, method) is not getattr(ElementBase, method), (
        f"{cls.__name__} must implement {method} (ElementBase only declares it)"
    )


@pytest.mark.parametrize("type_name", list(SCALAR_TYPES))
def test_every_type_answers_with_the_right_kind_of_thing(type_name: str) -> None:
    element = sample(type_name)
    assert isinstance(element.sql_type(), TypeEngine)
    assert isinstance(element.arrow_value_type(), pa.DataType)
    assert isinstance(element.extract_value_type(), pa.DataType)
    assert isinstance(element.polars_value_type(), pl.DataType)
    assert element.widget() in get_args(Widget)
    assert element.value_words()
    assert element.type_words().startswith(element.value_words()) or element.holds_list()


@pytest.mark.parametrize("type_name", list(SCALAR_TYPES))
def test_each_type_has_its_types_and_widget(type_name: str) -> None:
    element = sample(type_name)
    sql, arrow, extract, polars, widget = EXPECTED[type_name]
    assert str(element.sql_type()) == sql
    assert str(element.arrow_type()) == arrow
    assert str(element.extract_value_type()) == extract
    assert str(element.polars_type()) == polars
    assert element.widget() == widget


@pytest.mark.parametrize("type_name", list(SCALAR_TYPES))
def test_a_parsed_value_becomes_its_export_and_extract_value(type_name: str) -> None:
    element = sample(type_name)
    value = element.parse(SAMPLES[type_name][1])
    exported, extracted = VALUES[type_name]
    assert element.typed_value(value) == exported
    assert element.extract_value(value) == extracted
    # each value fits the Arrow type its column is written with
    assert pa.array([exported], type=element.arrow_value_type()).to_pylist() == [exported]
    assert pa.array([extracted], type=element.extract_value_type()).to_pylist() == [extracted]


#: type → (REDCap field type, validation) of the sample declaration
REDCAP: dict[str, tuple[str, str]] = {
    "text": ("text", ""),
    "integer": ("text", "integer"),
    "decimal": ("text", "number"),
    "date": ("text", "date_ymd"),
    "boolean": ("yesno", ""),
    "code": ("dropdown", ""),
    "codes": ("checkbox", ""),
    "reference": ("text", ""),
}


@pytest.mark.parametrize("type_name", list(SCALAR_TYPES))
def test_each_type_is_a_redcap_field(type_name: str) -> None:
    shape = sample(type_name).redcap_shape()
    assert (shape.field_type, shape.validation) == REDCAP[type_name]


def test_a_multiple_text_is_a_list_everywhere() -> None:
    element = SCALAR_TYPES["text"](name="tags", label="Tags", type="text", multiple=True)
    assert str(element.arrow_type()) == "list<item: string>"
    assert str(element.polars_type()) == "List(String)"
    assert element.widget() == "list"
    assert element.type_words() == "one or more: text of up to 500 characters, separated by ';'"
    assert element.redcap_shape().note_suffix == "Several values separated by ';'."


def test_long_texts_get_a_textarea() -> None:
    element = SCALAR_TYPES["text"](name="note", label="Note", type="text", max_length=2000)
    assert element.widget() == "textarea"


def _expand(entries: list[Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, list):
            out.append((entry[0], entry[1]))
            continue
        for n in range(1, entry["rows"] + 1):
            out += [(f"{entry['group']}_{n}_{name}", kind) for name, kind in entry["columns"]]
    return out


def _schema(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(field.name, str(field.type)) for field in schema]


SHIPPED = {f"{d.registry.code} {d.version}": d for d in load_shipped()}
EXPECTED_SCHEMAS: dict[str, dict[str, list[Any]]] = json.loads(SCHEMAS.read_text())


def test_every_shipped_definition_has_its_expected_schemas() -> None:
    assert set(EXPECTED_SCHEMAS) == set(SHIPPED)


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_the_export_schema_is_as_before(key: str) -> None:
    definition: Definition = SHIPPED[key]
    expected = _expand(EXPECTED_SCHEMAS[key]["export"])
    assert _schema(parquet_schema(FlatLayout(definition))) == expected


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_the_extract_schema_is_as_before(key: str) -> None:
    definition: Definition = SHIPPED[key]
    layout = ExtractLayout(definition, list(releasable_elements(definition)))
    expected = _expand(EXPECTED_SCHEMAS[key]["extract"])
    assert _schema(layout.schema()) == expected


def test_reading_a_definition_loads_no_database_or_analytics_library() -> None:
    code = (
        "import sys, printreg.dictionary as d; d.load_shipped(); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(done.stdout.split())
    assert "printreg" in loaded
    assert not loaded & {"sqlalchemy", "pyarrow", "polars", "fastapi", "jinja2"}
