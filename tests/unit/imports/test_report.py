"""The import report: columns as the person sees them, bounded lists, rules with their problems."""

from __future__ import annotations

from printreg.domain.issues import Issue
from printreg.imports.report import (
    PROBLEMS_LISTED,
    REJECTED_KEPT,
    ImportReport,
    by_rule_with_problems,
    flat_column,
)

PREFIXES = {"prints": "print", "parts": "part"}


def test_issue_paths_become_the_flat_columns_of_the_file() -> None:
    assert flat_column("prints[2].scale_pct", PREFIXES) == "print_2_scale_pct"
    assert flat_column("prints[1].part_numbers[2]", PREFIXES) == "print_1_part_numbers"
    assert flat_column("indication_icd10[3]", PREFIXES) == "indication_icd10"
    assert flat_column("prints[2]", PREFIXES) == "prints"
    assert flat_column("", PREFIXES) == "(row)"
    assert flat_column("unknown[1].x", PREFIXES) == "unknown[1].x"


def test_problems_and_rejected_ids_stay_bounded_and_lines_are_never_ids() -> None:
    report = ImportReport("f.csv", "csv", committed=False)
    issue = Issue("error", "", "prints[1].scale_pct", "range", "Scale (%): too small")
    for n in range(REJECTED_KEPT + 10):
        key = f"line {n + 2}" if n % 2 else f"C-{n}"
        report.note_rejected(n + 2, key, [issue, issue], lambda p: flat_column(p, PREFIXES))
    assert report.rejected == REJECTED_KEPT + 10
    assert report.by_rule["range"] == 2 * (REJECTED_KEPT + 10)
    assert len(report.problems) == PROBLEMS_LISTED
    assert report.problems[1] == {"line": 2, "case": "C-0", "column": "print_1_scale_pct",
                                  "rule": "range", "message": "Scale (%): too small"}  # fmt: skip
    assert report.problems[2]["case"] is None  # 'line 3' is where, not which case
    assert len(report.rejected_ids) == (REJECTED_KEPT + 10 + 1) // 2
    assert not any(i.startswith("line ") for i in report.rejected_ids)


def test_rules_come_with_their_listed_problems_most_frequent_first() -> None:
    report = ImportReport("f.csv", "csv", committed=False)
    report.note_rejected(2, "A", [Issue("error", "A", "x", "type", "m1")], str)
    report.note_rejected(3, "B", [Issue("error", "B", "x", "range", "m2")] * 2, str)
    grouped = by_rule_with_problems(report.as_dict())
    assert [(g["rule"], g["count"], len(g["problems"])) for g in grouped] == [
        ("range", 2, 2),
        ("type", 1, 1),
    ]
