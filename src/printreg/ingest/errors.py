"""The one error a bad import file gets: what is wrong with it and where."""

from __future__ import annotations

from printreg.domain.errors import RegistryError


class FileProblem(RegistryError):  # noqa: N818 - reads as the condition it names
    """The file cannot be read as an import: ``message`` says what to do, ``line`` where (1-based).

    The message names lines and columns only, never a cell's content (it may be an identifier).
    """

    def __init__(self, message: str, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message
