"""JSON within bounds: depth checked before parsing, numbers, duplicate keys, NaN; lines told."""

from __future__ import annotations

import json
import time

import pytest

from printreg.ingest import strict_json
from printreg.ingest.strict_json import MAX_DEPTH, JsonRefused, check_depth, loads


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_ordinary_json_parses_as_json_does() -> None:
    text = '{"a": [1, 2.5, "x]}", {"b": null, "c": true}], "d": "\\"{["}'
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


def test_the_depth_limit_is_exact() -> None:
    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(JsonRefused, match=f"more than {MAX_DEPTH} levels"):
        loads(nested(MAX_DEPTH + 1))
    assert loads("[" * 3 + "]" * 3, max_depth=3) == [[[]]]
    with pytest.raises(JsonRefused):
        loads("[" * 4 + "]" * 4, max_depth=3)


def test_a_depth_that_would_blow_the_parser_is_refused_with_its_line() -> None:
    text = '{"ok": 1,\n"x":\n' + "[" * 200_000 + "]" * 200_000 + "}"
    with pytest.raises(JsonRefused) as refused:
        loads(text)
    assert refused.value.line == 3


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"a": "' + "[" * 500 + '", "b": "\\\\", "c": "\\"[[[["}'
    assert loads(text)["a"] == "[" * 500


def test_siblings_do_not_add_up_to_depth() -> None:
    check_depth("[" + ", ".join(["[[1]]"] * 10_000) + "]", max_depth=3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": 1, "a": 2}', "appears twice"),
        ('[{"x": {"k": 1, "k": 1}}]', "appears twice"),
        ("1e999", "too large"),
        ("-1e999", "too large"),
        ("9" * 101, "longer than 100"),
        ("NaN", "not a JSON number"),
        ("[Infinity]", "not a JSON number"),
    ],
)
def test_hostile_values_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(JsonRefused, match=words):
        loads(text)


def test_an_escaped_nul_is_refused_but_an_escaped_backslash_is_not() -> None:
    with pytest.raises(JsonRefused, match="NUL") as refused:
        loads('{"a": 1,\n"b": "x\\u0000"}')
    assert refused.value.line == 2
    with pytest.raises(JsonRefused, match="NUL"):
        loads('["\\\\\\u0000"]')  # an escaped backslash, then the NUL escape
    assert loads('["\\\\u0000"]') == ["\\u0000"]  # a backslash, then the text u0000


def test_a_repeated_key_that_may_identify_someone_is_not_echoed() -> None:
    with pytest.raises(JsonRefused) as refused:
        loads('{"Jane Doe 1961-04-03": 1, "Jane Doe 1961-04-03": 2}')
    assert "Jane" not in str(refused.value)


def test_invalid_json_still_raises_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads('{"a": ')


def test_the_depth_check_stays_linear_on_pathological_text() -> None:
    started = time.perf_counter()
    check_depth('"\\"' * 300_000)  # an unclosed string full of escaped quotes
    check_depth("[" * 1_000_000)
    assert time.perf_counter() - started < 5


def test_raw_decode_reads_one_value_at_a_position() -> None:
    value, end = strict_json.raw_decode('[{"a": 1}, {"b": 2}]', 1)
    assert value == {"a": 1}
    assert end == 9
