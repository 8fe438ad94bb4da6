"""Everyday administration from the command line, in-process, on both databases: a printer is
renamed, retired and offered again; a person is deactivated and reactivated."""

from __future__ import annotations

import json

import pytest
from tests.support.factories import make_person
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService, LoginFailed
from printreg.cli.app import app
from printreg.demo.service import DEMO_PASSWORD
from printreg.domain.facility import Role
from printreg.facilities.service import FacilityService
from printreg.platform import Platform

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_printer_is_renamed_retired_and_offered_again(seeded: Platform) -> None:
    service = FacilityService(seeded, Actor.operator())
    label = service.printers("F0001")[0].label
    code, out, err = invoke("printer", "edit", "-f", "F0001", "--label", label,
                            "--new-label", "Lab two")  # fmt: skip
    assert code == 0, err
    assert "printer Lab two of F0001 changed" in out
    code, _, err = invoke("printer", "retire", "-f", "F0001", "--label", "Lab two",
                          "--reason", " ")  # fmt: skip
    assert code == 1
    assert "reason" in err
    assert (
        invoke("printer", "retire", "-f", "F0001", "--label", "Lab two", "--reason", "sold")[0] == 0
    )
    listed = json.loads(invoke("printer", "list", "-f", "F0001", "--json")[1])
    assert [(p["label"], p["active"]) for p in listed if p["label"] == "Lab two"] == [
        ("Lab two", False)
    ]
    assert invoke("printer", "reinstate", "-f", "F0001", "--label", "Lab two")[0] == 0
    assert [p.active for p in service.printers("F0001") if p.label == "Lab two"] == [True]
    code, _, err = invoke("printer", "retire", "-f", "F0001", "--label", "nope", "--reason", "x")
    assert code == 1
    assert "no such printer" in err


def test_a_person_is_deactivated_and_reactivated(seeded: Platform) -> None:
    email = make_person(seeded, "dana@example.org", roles={"3dp": {"F0001": Role.VIEWER}})
    accounts = AccountService(seeded)
    assert invoke("user", "deactivate", email, "--reason", "")[0] == 1
    code, out, err = invoke("user", "deactivate", email, "--reason", "left the lab", "--json")
    assert code == 0, err
    assert json.loads(out)["active"] is False
    with pytest.raises(LoginFailed):
        accounts.authenticate(email, DEMO_PASSWORD)
    code, out, _ = invoke("user", "reactivate", email)
    assert code == 0
    assert f"{email} is active" in out
    assert accounts.authenticate(email, DEMO_PASSWORD).email == email
