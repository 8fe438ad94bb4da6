"""Errors raised while reading a registry definition."""

from __future__ import annotations


class DefinitionError(Exception):
    """A registry definition is malformed; `problems` lists each one as 'where: what'."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: the registry definition is not valid:\n{listed}")
