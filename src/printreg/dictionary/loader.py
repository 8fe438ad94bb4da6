"""Read registry definitions from YAML, with precise messages when they are malformed."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.models import Definition, DerivedRef, RuleRef

SHIPPED_PACKAGE = "printreg.definitions"
#: parameters of named functions that a shipped registry's published definitions leave out
PARAMETERS_FILE = "parameters.yaml"
#: the elements a shipped registry's case imaging (DICOM headers) pre-fills
IMAGING_FILE = "imaging.yaml"


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys instead of keeping the last one."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


M = TypeVar("M", bound=BaseModel)


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DefinitionError(source, [f"not valid YAML: {exc}"]) from None


_TAGS = frozenset(
    {"text", "integer", "decimal", "date", "boolean", "code", "codes", "reference", "group"}
)


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part in _TAGS and i > 0 and isinstance(loc[i - 1], int) and i < len(loc) - 1:
            continue  # pydantic's discriminator tag after a list index: not in the document
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_companion(
    text: str,
    model: type[M],
    check: Callable[[M, Definition], list[str]],
    definition: Definition,
    source: str,
) -> M:
    """Return a companion file of a definition (analytics, quality rules, ...) read from YAML
    into ``model`` and checked against ``definition`` by ``check``; DefinitionError naming
    ``source`` and every problem (with its place in the document) otherwise."""
    data = _parse_yaml(text, source)
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(
            source, [f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        ) from None
    problems = check(spec, definition)
    if problems:
        raise DefinitionError(source, problems)
    return spec


def _resolve_includes(data: Any, base: Path | None, source: str) -> Any:
    """Replace ``{include: FILE}`` value sets by the YAML document FILE beside the definition."""
    if not isinstance(data, dict) or not isinstance(data.get("value_sets"), dict):
        return data
    for name, spec in data["value_sets"].items():
        if isinstance(spec, dict) and set(spec) == {"include"}:
            if base is None:
                raise DefinitionError(source, [f"value_sets.{name}: include needs a file location"])
            path = (base / str(spec["include"])).resolve()
            if base.resolve() not in path.parents:
                raise DefinitionError(source, [f"value_sets.{name}: include must stay beside it"])
            if not path.is_file():
                raise DefinitionError(source, [f"value_sets.{name}: {spec['include']} not found"])
            data["value_sets"][name] = _parse_yaml(path.read_text("utf-8"), str(path))
    return data


def parse_definition(data: Any, source: str) -> Definition:
    """Return the Definition for already-parsed data, or raise DefinitionError listing problems."""
    if not isinstance(data, dict):
        raise DefinitionError(source, ["the document must be a mapping with registry, version…"])
    try:
        return Definition.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_where(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise DefinitionError(source, problems) from None


def load_definition_text(text: str, source: str = "<text>", base: Path | None = None) -> Definition:
    """Return the Definition written in YAML text; includes resolve against ``base``."""
    data = _resolve_includes(_parse_yaml(text, source), base, source)
    return parse_definition(data, source)


def load_definition(path: Path) -> Definition:
    """Return the Definition in a YAML file, or raise DefinitionError."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), [f"cannot read the file: {exc}"]) from None
    return load_definition_text(text, str(path), path.parent)


def shipped_definition_paths() -> list[Path]:
    """Return the definition files that ship with printreg (``*/definition-*.yaml``)."""
    root = Path(str(resources.files(SHIPPED_PACKAGE)))
    return sorted(root.glob("*/definition-*.yaml"))


def load_shipped() -> list[Definition]:
    """Return every definition that ships with printreg, oldest version first per registry."""
    return sorted(
        (load_definition(p) for p in shipped_definition_paths()),
        key=lambda d: (d.registry.code, d.version_tuple),
    )


@cache
def _shipped_mapping(registry: str, filename: str) -> dict[str, Any]:
    """Return a mapping file kept beside a shipped registry's definitions (empty when the
    registry keeps none, or is not shipped)."""
    path = Path(str(resources.files(SHIPPED_PACKAGE))) / registry / filename
    if not path.is_file():
        return {}
    data = _parse_yaml(path.read_text("utf-8"), str(path))
    if not isinstance(data, dict):
        raise DefinitionError(str(path), ["the document must be a mapping"])
    return {str(k): v for k, v in data.items()}


def imaging_targets(registry: str) -> dict[str, str]:
    """Return the elements the DICOM headers pre-fill, by header fact (``imaging.yaml`` beside
    the registry's definitions; empty: nothing is pre-filled)."""
    return {k: str(v) for k, v in _shipped_mapping(registry, IMAGING_FILE).items()}


def function_params(definition: Definition, ref: RuleRef | DerivedRef) -> dict[str, Any]:
    """Return the parameters a rule or derived value's function is called with: those the
    definition gives, over those its registry keeps in ``parameters.yaml`` for published
    definitions that cannot change (their checksum is stored)."""
    kept = _shipped_mapping(definition.registry.code, PARAMETERS_FILE).get(ref.function) or {}
    if not isinstance(kept, dict):
        raise DefinitionError(PARAMETERS_FILE, [f"{ref.function}: give a mapping of parameters"])
    return {**kept, **ref.params}
