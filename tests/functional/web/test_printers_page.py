"""The printers page: one message per outcome, edit, retire after a confirmation, offer again."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from tests.support.pages import (  # noqa: F401 - fixtures for these tests
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    REG,
    Client,
    new_client,
    people,
    sign_in,
)

from printreg.accounts.actor import Actor
from printreg.facilities.schemas import PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.platform import Platform

PRINTERS = f"/facilities/{HOME}/printers"


def _printer(platform: Platform, label: str) -> PrinterInfo:
    found = [
        p for p in FacilityService(platform, Actor.operator()).printers(HOME) if p.label == label
    ]
    assert len(found) == 1
    return found[0]


def _add(client: Client, label: str, **extra: str) -> httpx.Response:
    http, csrf = client
    data = {"csrf_token": csrf, "label": label, "technology": "material_extrusion", **extra}
    return http.post(PRINTERS, data=data)


def test_a_duplicate_label_shows_its_error_alone_never_beside_printer_added(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    admin = sign_in(FACILITY_ADMIN)
    first = _add(admin, "Lab-FDM-1")
    assert first.status_code == 200
    assert re.search(r'id="flash"[^>]*>Printer Lab-FDM-1 added<', first.text)
    # the page is now at ?done=added: the form must not post there, nor show the success again
    assert f'action="{PRINTERS}"' in first.text
    again = _add(admin, "Lab-FDM-1")
    assert again.status_code == 409
    assert 'id="printer-error"' in again.text
    assert "already has a printer" in again.text
    assert 'id="flash"' not in again.text
    assert "Lab-FDM-1 added" not in again.text


def test_an_administrator_edits_a_printer_and_a_refusal_keeps_what_was_typed(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(FACILITY_ADMIN)
    _add((http, csrf), "Lab-Old")
    printer = _printer(people, "Lab-Old")
    form = http.get(f"{PRINTERS}/{printer.id}/edit")
    assert form.status_code == 200
    assert 'value="Lab-Old"' in form.text
    taken = _printer(people, FacilityService(people, Actor.operator()).printers(HOME)[0].label)
    refused = http.post(f"{PRINTERS}/{printer.id}/edit",
                        data={"csrf_token": csrf, "label": taken.label, "manufacturer": "Typed",
                              "technology": "material_jetting"})  # fmt: skip
    assert refused.status_code == 409
    assert 'value="Typed"' in refused.text
    assert 'id="printer-error"' in refused.text
    saved = http.post(f"{PRINTERS}/{printer.id}/edit",
                      data={"csrf_token": csrf, "label": "Lab-New", "manufacturer": "Prusa",
                            "model": "MK4", "technology": "material_jetting"})  # fmt: skip
    assert saved.status_code == 200
    assert re.search(r'id="flash"[^>]*>Printer Lab-New changed<', saved.text)
    assert _printer(people, "Lab-New").technology == "material_jetting"


def test_retiring_asks_first_needs_a_reason_and_removes_the_printer_from_the_case_form(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(FACILITY_ADMIN)
    _add((http, csrf), "Lab-Retire")
    printer = _printer(people, "Lab-Retire")
    url = f"{PRINTERS}/{printer.id}/retire"
    asked = http.post(url, data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert 'id="consequence"' in asked.text
    assert "no longer offer Lab-Retire" in asked.text
    assert _printer(people, "Lab-Retire").active  # the first click only asks
    blank = http.post(url, data={"csrf_token": csrf, "confirmed": "yes", "reason": " "})
    assert blank.status_code == 422
    assert 'id="confirm-error"' in blank.text
    assert _printer(people, "Lab-Retire").active
    done = http.post(url, data={"csrf_token": csrf, "confirmed": "yes", "reason": "sold"})
    assert done.status_code == 200
    assert "Printer Lab-Retire retired" in done.text
    assert not _printer(people, "Lab-Retire").active
    new_case = http.get(f"/registries/{REG}/cases/new?facility={HOME}")
    assert new_case.status_code == 200
    assert 'value="Lab-Retire"' not in new_case.text
    back = http.post(f"{PRINTERS}/{printer.id}/reinstate", data={"csrf_token": csrf})
    assert back.status_code == 200
    assert _printer(people, "Lab-Retire").active
    assert 'value="Lab-Retire"' in http.get(f"/registries/{REG}/cases/new?facility={HOME}").text


def test_a_data_manager_sees_printers_but_cannot_change_them(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(DATA_MANAGER)
    printer = FacilityService(people, Actor.operator()).printers(HOME)[0]
    page = http.get(PRINTERS)
    assert page.status_code == 200
    assert f'id="retire-printer-{printer.id}"' not in page.text
    assert http.get(f"{PRINTERS}/{printer.id}/edit").status_code == 403
    retire = http.post(f"{PRINTERS}/{printer.id}/retire",
                       data={"csrf_token": csrf, "confirmed": "yes", "reason": "x"})  # fmt: skip
    assert retire.status_code == 403
    assert _printer(people, printer.label).active


def test_the_message_never_repeats_text_from_a_link(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, _ = sign_in(FACILITY_ADMIN)
    page = http.get(PRINTERS, params={"done": "added", "label": "Call 555-0100 to verify"})
    assert page.status_code == 200
    assert 'id="flash"' not in page.text
    assert "555-0100" not in page.text
