"""Small flat layouts for the ingest tests: few cells a row keep the memory measurements quick."""

from __future__ import annotations

from printreg.dictionary import parse_definition
from printreg.ingest import FlatLayout


def small_layout() -> FlatLayout:
    """Return the layout of a three-element definition: few cells a row keep tracemalloc quick."""
    text = {"name": "note", "label": "Note", "type": "text", "identifier_scan": "none"}
    definition = parse_definition(
        {
            "registry": {"code": "mini", "name": "Mini"},
            "version": "1.0.0",
            "value_sets": {"tag": {"label": "Tag", "values": [{"code": "a", "label": "A"}]}},
            "sections": [
                {
                    "code": "main",
                    "label": "Main",
                    "elements": [
                        {"name": "local_case_id", "label": "ID", "type": "text", "required": True},
                        {"name": "size", "label": "Size", "type": "integer"},
                        {"name": "tags", "label": "Tags", "type": "codes", "value_set": "tag"},
                        text,
                    ],
                }
            ],
        },
        "mini",
    )
    return FlatLayout(definition)
