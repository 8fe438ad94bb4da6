"""Registry definitions as data: the schema, the loader and version differences."""

from printreg.dictionary.conditions import Condition
from printreg.dictionary.diff import Change, DefinitionDiff, diff_definitions
from printreg.dictionary.elements import (
    UNKNOWN,
    BooleanElement,
    CodeElement,
    CodesElement,
    DateElement,
    DecimalElement,
    Element,
    ElementBase,
    GroupElement,
    IntegerElement,
    ReferenceElement,
    ScalarElement,
    TextElement,
    ValueProblem,
    is_multiple,
    split_multi,
)
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import (
    load_definition,
    load_definition_text,
    load_shipped,
    parse_definition,
    shipped_definition_paths,
)
from printreg.dictionary.models import (
    CodedValue,
    Definition,
    DerivedRef,
    RegistryInfo,
    RuleRef,
    Section,
    ValueSet,
)

__all__ = [
    "UNKNOWN",
    "BooleanElement",
    "Change",
    "CodeElement",
    "CodedValue",
    "CodesElement",
    "Condition",
    "DateElement",
    "DecimalElement",
    "Definition",
    "DefinitionDiff",
    "DefinitionError",
    "DerivedRef",
    "Element",
    "ElementBase",
    "GroupElement",
    "IntegerElement",
    "ReferenceElement",
    "RegistryInfo",
    "RuleRef",
    "ScalarElement",
    "Section",
    "TextElement",
    "ValueProblem",
    "ValueSet",
    "diff_definitions",
    "is_multiple",
    "load_definition",
    "load_definition_text",
    "load_shipped",
    "parse_definition",
    "shipped_definition_paths",
]
