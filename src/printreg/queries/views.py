"""What the case pages show of queries, as template context: the case form's queries beside
their fields (with whether the person may answer them) and the case page's list and raise form.
The case pages call these; the query pages themselves are in ``pages.py``."""

from __future__ import annotations

import uuid
from typing import Any

from printreg.accounts.actor import Actor
from printreg.cases.schemas import CasePublic
from printreg.dictionary import Definition
from printreg.platform import Platform
from printreg.queries.paths import record_paths
from printreg.queries.schemas import QueryDetail, QueryState
from printreg.queries.service import QueryService
from printreg.web import forms


def form_queries(
    platform: Platform, actor: Actor, registry: str, case_id: uuid.UUID
) -> list[QueryDetail]:
    """Return the case's queries the form shows beside their fields: open and answered ones."""
    found = QueryService(platform, actor).for_case(registry, case_id)
    return [q for q in found if q.status != QueryState.CLOSED]


def form_context(
    actor: Actor, registry: str, facility_id: int | None, queries: list[QueryDetail] | None
) -> dict[str, Any]:
    """Return the case form's query context: ``field_queries`` by form field name, the
    ``queries`` (for their answer forms) and ``may_answer``."""
    by_field: dict[str, list[QueryDetail]] = {}
    for query in queries or []:
        by_field.setdefault(forms.path_key(query.path), []).append(query)
    return {
        "field_queries": by_field,
        "queries": queries or [],
        "may_answer": facility_id is not None and actor.may_answer_query(registry, facility_id),
    }


def case_context(
    platform: Platform,
    actor: Actor,
    definition: Definition,
    case: CasePublic,
    facility_id: int | None,
    problem: str | None,
) -> dict[str, Any]:
    """Return the case page's query context: its ``queries``, the ``query_paths`` (path,
    label) a query may be raised on, ``may_raise``, the refusal of a raise (``query_problem``)
    and ``field_place`` (a path's label)."""
    return {
        "queries": QueryService(platform, actor).for_case(case.registry, case.id),
        "query_paths": [
            (path, forms.field_place(definition, path))
            for path in record_paths(definition, case.record)
        ],
        "may_raise": facility_id is not None
        and actor.may_raise_query(case.registry, facility_id)
        and not case.deleted_at,
        "query_problem": problem,
        "field_place": lambda path: forms.field_place(definition, path) or path,
    }
