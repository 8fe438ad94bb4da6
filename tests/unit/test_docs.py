"""The docs list what the code has: every setting, every command and its options, nothing more."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from printreg.cli.app import app
from printreg.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMAND_HEADING = re.compile(r"^#{2,3} `printreg ([^`]+)`")
ANY_HEADING = re.compile(r"^#{1,3} ")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _shown(value: object) -> str:
    """Return a default as an environment variable would spell it."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _settings_table() -> dict[str, list[str]]:
    """Return the rows of docs/settings.md's table whose first cell is a `setting`, by name."""
    rows: dict[str, list[str]] = {}
    for line in (DOCS / "settings.md").read_text("utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        match = re.fullmatch(r"`([a-z0-9_]+)`", cells[0])
        if match:
            assert match[1] not in rows, f"setting {match[1]} is listed twice"
            rows[match[1]] = cells
    return rows


def test_settings_doc_lists_every_setting_and_no_other() -> None:
    documented = _settings_table()
    fields = Settings.model_fields
    assert sorted(documented) == sorted(fields), (
        "docs/settings.md and printreg.settings.Settings disagree: "
        f"undocumented {sorted(set(fields) - set(documented))}, "
        f"not settings {sorted(set(documented) - set(fields))}"
    )
    for name, field in fields.items():
        _, env_var, default, description = documented[name]
        assert env_var == f"`PRINTREG_{name.upper()}`", name
        assert default == f"`{_shown(field.default)}`", name
        assert description, name


def _walk(command: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return every command and subcommand below ``command`` by its words, e.g. 'case add'.

    Typer builds on its own copy of click, so groups are recognised by their ``commands``.
    """
    found: dict[str, Any] = {}
    for name, sub in getattr(command, "commands", {}).items():
        words = (*path, name)
        found[" ".join(words)] = sub
        found |= _walk(sub, words)
    return found


def _documented_commands() -> dict[str, str]:
    """Return the text of docs/cli.md under each '`printreg …`' heading, fenced blocks skipped."""
    sections: dict[str, str] = {}
    current: str | None = None
    fenced = False
    for line in (DOCS / "cli.md").read_text("utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced:
            if current is not None:
                sections[current] += line + "\n"
            continue
        heading = COMMAND_HEADING.match(line)
        if heading:
            current = heading[1].strip()
            assert current not in sections, f"`printreg {current}` is described twice"
            sections[current] = ""
        elif ANY_HEADING.match(line):
            current = None
        elif current is not None:
            sections[current] += line + "\n"
    return sections


COMMANDS = _walk(typer.main.get_command(app))


def test_cli_doc_lists_every_command_and_no_other() -> None:
    documented = _documented_commands()
    assert sorted(documented) == sorted(COMMANDS), (
        "docs/cli.md and the printreg command disagree: "
        f"undocumented {sorted(set(COMMANDS) - set(documented))}, "
        f"not commands {sorted(set(documented) - set(COMMANDS))}"
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_doc_gives_each_command_its_help_line_and_options(name: str) -> None:
    section = _documented_commands().get(name, "")
    command = COMMANDS[name]
    summary = (command.help or "").strip().splitlines()[0]
    assert summary in " ".join(section.split()), f"`printreg {name}`: help line missing"
    for param in command.params:
        if param.param_type_name == "option":
            longest = max(param.opts, key=len)
            assert f"`{longest}" in section, f"`printreg {name}`: option {longest} missing"
