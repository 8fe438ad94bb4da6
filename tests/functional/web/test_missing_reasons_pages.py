"""The case form takes a reason for missing data in a select beside the value, never in it."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from tests.functional.web.test_pages import form_fields
from tests.support.pages import (
    HOME,
    REG,
    Client,
    dm,  # noqa: F401 - fixtures shared with the page tests
    new_client,  # noqa: F401
    people,  # noqa: F401
    sign_in,  # noqa: F401
)
from tests.support.records import records

from printreg.platform import Platform

MINUTES = "effort_cad_clinician_min"
REASON = f"{MINUTES}__missing"


def _stored(platform: Platform, local_id: str) -> tuple[object, object]:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        row = session.execute(
            select(main.c[MINUTES], main.c[REASON]).where(main.c.local_case_id == local_id)
        ).one()
    return tuple(row)


def test_a_reason_chosen_in_the_form_is_stored_beside_the_value_and_shown(
    people: Platform, dm: Client
) -> None:
    http, csrf = dm
    record = {**records(HOME, 1)[0], "local_case_id": "FORM-MR-1"}
    record.pop(MINUTES, None)
    data = {
        **form_fields(people, record),
        "csrf_token": csrf,
        "action": "complete",
        REASON: "unknown",
    }
    sent = http.post(
        f"/registries/{REG}/cases/new?facility={HOME}", data=data, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text[:2000]
    assert _stored(people, "FORM-MR-1") == (None, "unknown")
    case_url = sent.headers["location"].split("?")[0]
    shown = html.unescape(http.get(case_url).text)
    assert "No value: unknown" in shown
    edit = http.get(f"{case_url}/edit").text
    select_html = re.search(rf'<select id="f-{REASON}" name="{REASON}">(.*?)</select>', edit, re.S)
    assert select_html is not None
    assert '<option value="unknown" selected>Unknown</option>' in select_html.group(1)
    assert re.search(rf'<input [^>]*name="{MINUTES}" value=""', edit)


def test_a_value_and_a_reason_together_are_refused_beside_the_field(
    people: Platform, dm: Client
) -> None:
    http, csrf = dm
    record = {**records(HOME, 1)[0], "local_case_id": "FORM-MR-2", MINUTES: 30}
    data = {
        **form_fields(people, record),
        "csrf_token": csrf,
        "action": "complete",
        REASON: "unknown",
    }
    refused = http.post(f"/registries/{REG}/cases/new?facility={HOME}", data=data)
    assert refused.status_code in (200, 422)
    page = html.unescape(refused.text)
    assert "give either a value or a reason for no value, not both" in page
    assert f'id="err-{MINUTES}"' in page
    # the form keeps both as entered, for the person to choose
    assert re.search(rf'<input [^>]*name="{MINUTES}" value="30"', page)
    assert '<option value="unknown" selected>' in page
