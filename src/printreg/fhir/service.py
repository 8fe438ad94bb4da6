"""FHIR views of a registry and its cases, and import of a case Bundle through the case service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from printreg.accounts.actor import Actor
from printreg.cases.exports import NO_CASE_DATA
from printreg.cases.schemas import CaseSaved
from printreg.cases.service import CaseService, case_query
from printreg.domain.errors import Forbidden
from printreg.fhir.bundle import build_bundle
from printreg.fhir.questionnaire import build_questionnaire
from printreg.fhir.read import record_from_bundle
from printreg.platform import Platform
from printreg.registries.service import RegistryService

#: cases read per page while exporting
PAGE = 200


class FhirService:
    """The definition as a Questionnaire, a case as a Bundle, a Bundle as a new case."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def questionnaire(self, registry: str, version: str | None = None) -> dict[str, Any]:
        """Return a definition version (default current) as a Questionnaire; NotFound if none."""
        definition = RegistryService(self.platform, self.actor).definition(registry, version)
        return build_questionnaire(definition)

    def case_bundle(self, registry: str, case_id: uuid.UUID) -> dict[str, Any]:
        """Return a case as a Bundle; NotFound for unknown ids and other facilities' cases."""
        case = CaseService(self.platform, self.actor).get(registry, case_id)
        definition = self.platform.registry(registry).definitions[case.definition_version]
        return build_bundle(definition, case)

    def bundles(self, registry: str, facility: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the Bundle of every undeleted case the actor may read (of one facility when
        given), newest change first; Forbidden to roles that read no case (as ``export``)."""
        if facility is None and self.actor.readable_facilities(registry) == []:
            raise Forbidden(NO_CASE_DATA)
        cases = CaseService(self.platform, self.actor)
        cursor: str | None = None
        while True:
            page = cases.list_cases(registry, case_query(limit=PAGE, cursor=cursor), facility)
            for item in page.items:
                yield self.case_bundle(registry, item.id)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def export_ndjson(self, registry: str, out: Path, facility: str | None = None) -> int:
        """Write one Bundle per line (NDJSON, as FHIR Bulk Data does) and the Questionnaire
        beside it (``<out>.questionnaire.json``); return the number of cases written."""
        count = 0
        with out.open("w", encoding="utf-8") as handle:
            for bundle in self.bundles(registry, facility):
                handle.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
        questionnaire = out.with_name(out.name + ".questionnaire.json")
        questionnaire.write_text(json.dumps(self.questionnaire(registry), indent=1), "utf-8")
        return count

    def import_bundle(self, registry: str, facility: str, bundle: Any) -> CaseSaved:
        """Store the case a Bundle holds, validated and scanned as every new case is;
        raise ValidationFailed listing the problems."""
        cases = CaseService(self.platform, self.actor)
        cases.check_create(registry, facility)  # who may write there answers before the body
        record = record_from_bundle(self.platform.registry(registry).current, bundle)
        return cases.create(registry, facility, record)
