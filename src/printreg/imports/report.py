"""What an import did, or in a dry run would do: counts, the first problems, what was stored.

The report lists problems and stored rows only up to a bound (``PROBLEMS_LISTED``,
``STORED_LISTED``): a file of a million rows gets the same small report, with counts for the rest.
Nothing in it repeats a cell: a problem names the line, the column and the rule with its message
(messages never hold values), and a row is named by its local case ID only when that ID passes
the identifier check (``SourceRow.key``), else by its line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from printreg.domain.issues import Issue

PROBLEMS_LISTED = 50  # problems listed one by one; the counts by rule cover every one
STORED_LISTED = 100  # stored cases listed by local case ID
REJECTED_KEPT = 1000  # rejected local case IDs remembered, to see which a later import fixed
_LINE_KEY = re.compile(r"line \d+")
_GROUP_ROW = re.compile(
    r"^(?P<group>[a-z][a-z0-9_]*)\[(?P<row>\d+)\]\.(?P<element>[a-z][a-z0-9_]*)(\[\d+\])?$"
)
_ITEM = re.compile(r"\[\d+\]$")


def row_id(key: str) -> str | None:
    """Return a row key as a local case ID, or None when it is only a line ('line 7')."""
    return None if not key or _LINE_KEY.fullmatch(key) else key


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do.

    ``problems`` holds the first ``PROBLEMS_LISTED`` problems as {line, case, column, rule,
    message}; ``stored`` the first ``STORED_LISTED`` cases written (or, in a dry run, to be
    written) as {case, action}; ``rejected_ids`` the local case IDs of rejected rows (those safe
    to show, at most ``REJECTED_KEPT``), so that a later look can tell which were fixed since.
    """

    file: str
    format: str
    committed: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    problem: str | None = None
    error_file: str | None = None
    rolled_back: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)
    stored: list[dict[str, str]] = field(default_factory=list)
    rejected_ids: list[str] = field(default_factory=list)

    def note_rejected(
        self, line: int, key: str, issues: list[Issue], column_of: Callable[[str], str]
    ) -> None:
        """Count one rejected row and list its problems while fewer than the bound are listed.

        ``column_of`` turns an issue path into the column the person sees (CSV: the flat column).
        """
        self.rejected += 1
        self.by_rule.update(i.rule for i in issues)
        case = row_id(key)
        if case is not None and len(self.rejected_ids) < REJECTED_KEPT:
            self.rejected_ids.append(case)
        for issue in issues:
            if len(self.problems) >= PROBLEMS_LISTED:
                break
            self.problems.append({
                "line": line, "case": case, "column": column_of(issue.path),
                "rule": issue.rule, "message": issue.message,
            })  # fmt: skip

    def note_stored(self, local_ids: list[str], action: str) -> None:
        """List stored cases by local case ID while fewer than the bound are listed."""
        room = STORED_LISTED - len(self.stored)
        self.stored.extend({"case": i, "action": action} for i in local_ids[: max(room, 0)])

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "file": self.file, "format": self.format, "committed": self.committed,
            "rolled_back": self.rolled_back, "rows": self.rows, "new": self.new,
            "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
            "by_rule": dict(self.by_rule.most_common()), "problem": self.problem,
            "error_file": self.error_file, "problems": self.problems, "stored": self.stored,
            "rejected_ids": self.rejected_ids,
        }  # fmt: skip


def flat_column(path: str, prefixes: dict[str, str]) -> str:
    """Return the CSV column of an issue path: 'prints[2].scale_pct' → 'print_2_scale_pct'.

    ``prefixes`` maps a group's name to its column prefix; an item index is dropped
    ('indication_icd10[2]' → 'indication_icd10'); a record-level problem is '(row)'.
    """
    if not path:
        return "(row)"
    found = _GROUP_ROW.match(path)
    if found and found["group"] in prefixes:
        return f"{prefixes[found['group']]}_{found['row']}_{found['element']}"
    return _ITEM.sub("", path)


def by_rule_with_problems(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the problems grouped by rule, most frequent rule first: {rule, count, problems}.

    Rules counted but with no problem listed (past the bound) come with an empty list.
    """
    listed: dict[str, list[dict[str, Any]]] = {}
    for problem in report.get("problems") or []:
        listed.setdefault(str(problem.get("rule")), []).append(problem)
    return [
        {"rule": rule, "count": count, "problems": listed.get(rule, [])}
        for rule, count in (report.get("by_rule") or {}).items()
    ]
