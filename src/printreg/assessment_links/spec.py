"""Which section a clinician answers by link, and what identifies the print on its page.

Read from ``assessment_link.yaml`` beside a shipped registry's definitions, never from code
(the section's code is registry data), and checked against the definition it is used with: the
section must exist, the identifying elements must be coded (a code cannot hold an identifier)
and ``quarter_of`` must be a date element. A registry without the file offers no links.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from printreg.dictionary import (
    CodeElement,
    CodesElement,
    DateElement,
    Definition,
    DefinitionError,
)
from printreg.dictionary.loader import SHIPPED_PACKAGE

SPEC_FILE = "assessment_link.yaml"
NAME = r"^[a-z][a-z0-9_]*$"


class AssessmentLinkSpec(BaseModel):
    """The section a link opens and the elements that tell the clinician which print it was."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str = Field(pattern=NAME)
    identify: list[str] = Field(default_factory=list, max_length=6)
    quarter_of: str | None = Field(default=None, pattern=NAME)

    def check(self, definition: Definition, source: str = SPEC_FILE) -> AssessmentLinkSpec:
        """Return the spec when it fits ``definition``; DefinitionError listing every problem."""
        problems = []
        if self.section not in definition.section_elements:
            problems.append(f"section: {self.section} is not a section of the definition")
        for name in self.identify:
            element = definition.elements.get(name)
            if not isinstance(element, CodeElement | CodesElement):
                problems.append(f"identify: {name} is not a coded element of the definition")
            elif name in definition.section_elements.get(self.section, []):
                problems.append(f"identify: {name} belongs to the section answered by link")
        if self.quarter_of is not None and not isinstance(
            definition.elements.get(self.quarter_of), DateElement
        ):
            problems.append(f"quarter_of: {self.quarter_of} is not a date element")
        if problems:
            raise DefinitionError(f"{definition.registry.code}/{source}", problems)
        return self


def parse_spec(text: str, source: str) -> AssessmentLinkSpec:
    """Return the spec written in YAML text; DefinitionError when it is malformed."""
    try:
        data = yaml.safe_load(text)
        return AssessmentLinkSpec.model_validate(data)
    except yaml.YAMLError as exc:
        raise DefinitionError(source, [f"not valid YAML: {exc}"]) from None
    except ValidationError as exc:
        raise DefinitionError(
            source, [f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()]
        ) from None


@cache
def _shipped(registry: str) -> AssessmentLinkSpec | None:
    path = Path(str(resources.files(SHIPPED_PACKAGE))) / registry / SPEC_FILE
    if not path.is_file():
        return None
    return parse_spec(path.read_text("utf-8"), str(path))


def link_spec(definition: Definition) -> AssessmentLinkSpec | None:
    """Return the registry's spec checked against ``definition``; None when the registry
    offers no assessment by link. DefinitionError when the spec does not fit the definition."""
    found = _shipped(definition.registry.code)
    return None if found is None else found.check(definition)
