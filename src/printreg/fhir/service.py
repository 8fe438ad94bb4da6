"""FHIR views of a registry and its cases, and import of a case Bundle through the case service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from printreg.accounts.actor import Actor
from printreg.cases.schemas import CaseSaved
from printreg.cases.service import CaseService
from printreg.fhir.bundle import build_bundle
from printreg.fhir.questionnaire import build_questionnaire
from printreg.fhir.read import record_from_bundle
from printreg.platform import Platform
from printreg.registries.service import RegistryService


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

    def bundles(self, registry: str, case_ids: Iterator[uuid.UUID]) -> Iterator[dict[str, Any]]:
        """Yield the Bundle of each case id, in the order given."""
        for case_id in case_ids:
            yield self.case_bundle(registry, case_id)

    def import_bundle(self, registry: str, facility: str, bundle: Any) -> CaseSaved:
        """Store the case a Bundle holds, validated and scanned as every new case is;
        raise ValidationFailed listing the problems."""
        cases = CaseService(self.platform, self.actor)
        cases.check_create(registry, facility)  # who may write there answers before the body
        record = record_from_bundle(self.platform.registry(registry).current, bundle)
        return cases.create(registry, facility, record)
