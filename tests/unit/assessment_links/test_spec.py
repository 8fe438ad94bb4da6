"""The registry file naming the section a clinician answers by link, checked against the
definitions it is used with."""

from __future__ import annotations

import pytest

from printreg.assessment_links.spec import AssessmentLinkSpec, link_spec, parse_spec
from printreg.dictionary import (
    CodeElement,
    CodesElement,
    DateElement,
    Definition,
    DefinitionError,
    TextElement,
    load_shipped,
)

SHIPPED = load_shipped()


def _current_3dp() -> Definition:
    return next(d for d in reversed(SHIPPED) if d.registry.code == "3dp")


@pytest.mark.parametrize(
    "definition", SHIPPED, ids=[f"{d.registry.code}-{d.version}" for d in SHIPPED]
)
def test_every_shipped_definition_fits_its_registrys_spec(definition: Definition) -> None:
    spec = link_spec(definition)
    if spec is None:
        return  # the registry offers no assessment by link
    assert spec.section in definition.section_elements
    for name in spec.identify:
        assert isinstance(definition.elements[name], CodeElement | CodesElement)
    assert not set(spec.identify) & set(definition.section_elements[spec.section])


def test_the_3dp_registry_names_a_section_and_no_free_text_to_show() -> None:
    definition = _current_3dp()
    spec = link_spec(definition)
    assert spec is not None
    assert spec.identify
    assert spec.quarter_of is not None
    assert isinstance(definition.elements[spec.quarter_of], DateElement)
    assert spec.section != definition.sections[0].code  # not the header with the local case ID


def test_a_section_the_definition_lacks_is_refused() -> None:
    with pytest.raises(DefinitionError, match="no_such_section is not a section"):
        AssessmentLinkSpec(section="no_such_section").check(_current_3dp())


def test_free_text_and_unknown_elements_may_not_identify_the_print() -> None:
    definition = _current_3dp()
    real = link_spec(definition)
    assert real is not None
    text = next(n for n, e in definition.elements.items() if isinstance(e, TextElement))
    spec = AssessmentLinkSpec(section=real.section, identify=[text, "no_such_element"])
    with pytest.raises(DefinitionError) as caught:
        spec.check(definition)
    assert f"identify: {text} is not a coded element of the definition" in caught.value.problems
    assert "identify: no_such_element is not a coded element of the definition" in (
        caught.value.problems
    )


def test_a_malformed_file_says_where() -> None:
    with pytest.raises(DefinitionError, match="section"):
        parse_spec("identify: [a]\n", "assessment_link.yaml")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        parse_spec("section: [\n", "assessment_link.yaml")
    with pytest.raises(DefinitionError, match="surprise"):
        parse_spec("section: a\nsurprise: 1\n", "assessment_link.yaml")
