"""The HTML pages end to end: sign-in, home, case list, the case form, detail, admin pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.pages import (  # noqa: F401 - fixtures for these tests
    CSRF,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    VIEWER,
    Client,
    dm,
    login,
    new_client,
    people,
    sign_in,
    store,
)
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.dictionary import CodesElement, GroupElement, is_multiple
from printreg.platform import Platform
from printreg.web.app import create_app


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_fields(platform: Platform, record: dict[str, Any]) -> dict[str, Any]:
    """Flatten a record into the case form's fields, as a browser would post them."""
    definition = platform.registry(REG).current
    data: dict[str, Any] = {}

    def put(element: Any, name: str, value: Any) -> None:
        if isinstance(element, CodesElement):
            data[name] = list(value)
        elif is_multiple(element):
            data[name] = ", ".join(_text(v) for v in value)
        else:
            data[name] = _text(value)

    for name, element in definition.elements.items():
        if name not in record:
            continue
        if isinstance(element, GroupElement):
            for i, row in enumerate(record[name], start=1):
                for child in element.elements:
                    if child.name in row:
                        put(child, f"{name}-{i}-{child.name}", row[child.name])
        else:
            put(element, name, record[name])
    return data


def case_count(platform: Platform) -> int:
    """Return how many cases are stored."""
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


# -- sign-in ------------------------------------------------------------------------------------


def test_sign_in_succeeds_and_the_root_leads_to_the_facility_home(
    new_client: Callable[[], TestClient],
) -> None:
    http = new_client()
    assert login(http, DATA_MANAGER).status_code == 303
    root = http.get("/", follow_redirects=False)
    assert root.status_code == 303
    assert root.headers["location"] == f"/registries/{REG}/home"
    home = http.get(root.headers["location"])
    assert home.status_code == 200
    assert re.search(r"<h1>[^<]+</h1>", home.text)
    for link in ("Home", "Cases", "New case", "Printers", "Account"):
        assert f">{link}</a>" in home.text
    assert ">Users</a>" not in home.text
    assert 'id="completeness"' in home.text


def test_a_wrong_password_shows_a_message_with_status_401(
    new_client: Callable[[], TestClient],
) -> None:
    http = new_client()
    response = login(http, DATA_MANAGER, "not-the-password")
    assert response.status_code == 401
    assert 'id="login-error"' in response.text
    assert "not right" in response.text


def test_pages_need_a_signed_in_person(new_client: Callable[[], TestClient]) -> None:
    response = new_client().get(f"/registries/{REG}/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# -- every page ---------------------------------------------------------------------------------


def test_every_page_renders_for_a_data_manager(people: Platform, dm: Client) -> None:
    http, _ = dm
    case_id = store(people, HOME, records(HOME, 1)[0])
    pages = {
        f"/registries/{REG}/home": "<h1>",
        f"/registries/{REG}/home?facility={HOME}": "<h1>",
        f"/registries/{REG}/cases": 'id="case-list"',
        f"/registries/{REG}/cases?status=complete&organ_system=cardiac&from=2020-01-01": 'id="filter-organ-system"',
        f"/registries/{REG}/cases/new": 'id="case-form"',
        f"/registries/{REG}/cases/{case_id}": 'id="history"',
        f"/registries/{REG}/cases/{case_id}/edit": 'id="case-form"',
        f"/facilities/{HOME}/printers": 'id="printers"',
        "/account": 'id="tokens"',
    }
    for url, marker in pages.items():
        response = http.get(url)
        assert response.status_code == 200, url
        assert marker in response.text, url
    assert http.get(f"/facilities/{HOME}/users").status_code == 403


def test_the_home_page_counts_the_facility_cases(people: Platform, dm: Client) -> None:
    for record in records(HOME, 2):
        store(people, HOME, record)
    store(people, OTHER, records(OTHER, 1)[0])
    page = dm[0].get(f"/registries/{REG}/home").text
    assert re.search(r'id="count-total">2<', page)
    assert re.search(r'id="completeness">100%<', page)


def test_admin_pages_for_a_facility_administrator(
    sign_in: Callable[[str], Client], people: Platform
) -> None:
    http, csrf = sign_in(FACILITY_ADMIN)
    users = http.get(f"/facilities/{HOME}/users")
    assert users.status_code == 200
    assert 'id="users"' in users.text
    added = http.post(
        f"/facilities/{HOME}/printers",
        data={
            "csrf_token": csrf,
            "label": "Lab-FDM-9",
            "manufacturer": "Prusa",
            "model": "MK4",
            "technology": "material_extrusion",
        },
    )
    assert added.status_code == 200
    assert "Lab-FDM-9" in added.text
    assert "Material extrusion" in added.text
    person = http.post(
        f"/facilities/{HOME}/users",
        data={
            "csrf_token": csrf,
            "email": "new.person@example.org",
            "name": "New Person",
            "password": "long-enough-password",
            "role": "viewer",
        },
    )
    assert person.status_code == 200
    assert "new.person@example.org" in person.text


def test_a_token_is_created_and_its_secret_shown_once(dm: Client) -> None:
    http, csrf = dm
    created = http.post(
        "/account/tokens",
        data={
            "csrf_token": csrf,
            "name": "lab script",
            "facility": HOME,
            "scopes": ["cases:read"],
            "days": "30",
        },
    )
    assert created.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', created.text)
    assert secret is not None
    assert secret.group(1).startswith("prt_")
    again = http.get("/account").text
    assert "lab script" in again
    assert secret.group(1) not in again


# -- the case form ------------------------------------------------------------------------------


def test_the_case_form_has_an_input_for_every_element(people: Platform, dm: Client) -> None:
    page = dm[0].get(f"/registries/{REG}/cases/new?facility={HOME}").text
    definition = people.registry(REG).current
    assert '<form id="case-form" method="post"' in page
    for section in definition.sections:
        assert f"<legend>{section.label}</legend>" in page
    for group, element in definition.walk():
        name = element.name
        if group is not None:  # row 1, or the template row of groups that start with none
            row = "1" if group.min_rows or group.required else "__n__"
            name = f"{group.name}-{row}-{element.name}"
        if isinstance(element, CodesElement):
            assert f'id="f-{name}-' in page, name
        else:
            assert f'id="f-{name}"' in page, name
            assert f'name="{name}"' in page, name
            assert f'<label for="f-{name}">' in page, name
    for group in definition.groups:
        assert f'id="add-{group}"' in page
    assert 'id="save-draft"' in page
    assert 'id="submit-complete"' in page


def test_posting_a_valid_record_creates_the_case(people: Platform, dm: Client) -> None:
    http, csrf = dm
    record = records(HOME, 1)[0]
    data = {**form_fields(people, record), "csrf_token": csrf, "action": "complete"}
    response = http.post(
        f"/registries/{REG}/cases/new?facility={HOME}", data=data, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["location"].endswith("?saved=1#outcome")
    detail = http.get(response.headers["location"])
    assert 'id="flash"' in detail.text
    assert "Case saved" in detail.text
    assert f"<h1>{record['local_case_id']}</h1>" in detail.text
    assert 'id="edit-case"' in detail.text
    view = CaseService(people, Actor.operator("test")).find(REG, HOME, record["local_case_id"])
    assert view.status == "complete"
    assert view.record["prints"][0]["printer"] == record["prints"][0]["printer"]


def test_a_bad_value_is_shown_next_to_its_field_and_the_rest_is_kept(
    people: Platform, dm: Client
) -> None:
    http, csrf = dm
    record = records(HOME, 1)[0]
    data = {**form_fields(people, record), "csrf_token": csrf, "action": "complete"}
    data["prints-1-scale_pct"] = "-5"
    response = http.post(f"/registries/{REG}/cases/new?facility={HOME}", data=data)
    assert response.status_code == 422
    page = response.text
    assert 'id="form-errors"' in page
    error = re.search(
        r'<p class="field-error" id="err-prints-1-scale_pct" role="alert">([^<]+)', page
    )
    assert error is not None
    assert "greater than 0" in error.group(1)
    field = re.search(r'<input[^>]*id="f-prints-1-scale_pct"[^>]*>', page)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "err-prints-1-scale_pct" in field.group(0)
    assert 'value="-5"' in field.group(0)
    assert f'value="{record["local_case_id"]}"' in page
    assert f">{record['indication_text']}</textarea>" in page
    assert f'<option value="{record["organ_system"]}" selected>' in page
    assert f'value="{record["source_modalities"][0]}" checked' in page
    assert case_count(people) == 0


def test_an_edit_saves_a_new_version(people: Platform, dm: Client) -> None:
    http, csrf = dm
    record = records(HOME, 1)[0]
    case_id = store(people, HOME, record)
    form = http.get(f"/registries/{REG}/cases/{case_id}/edit").text
    version = re.search(r'name="row_version" value="(\d+)"', form)
    assert version is not None
    changed = {**record, "indication_text": "Complex congenital heart disease, planning"}
    data = {**form_fields(people, changed), "csrf_token": csrf, "action": "save",
            "row_version": version.group(1)}  # fmt: skip
    response = http.post(f"/registries/{REG}/cases/{case_id}/edit", data=data)
    assert response.status_code == 200
    assert "Case saved" in response.text
    assert "Complex congenital heart disease" in response.text
    assert 'data-action="update"' in response.text
    assert "Complex congenital heart disease, planning</span>" in response.text  # old → new


def test_rows_are_added_without_javascript(people: Platform, dm: Client) -> None:
    http, csrf = dm
    data = {"csrf_token": csrf, "action": "add-prints", "local_case_id": "X-1"}
    page = http.post(f"/registries/{REG}/cases/new?facility={HOME}", data=data).text
    assert 'id="f-prints-2-scale_pct"' in page
    assert 'value="X-1"' in page
    assert case_count(people) == 0


def test_a_post_without_the_csrf_token_is_refused(people: Platform, dm: Client) -> None:
    http, _ = dm
    data = {**form_fields(people, records(HOME, 1)[0]), "action": "complete"}
    response = http.post(f"/registries/{REG}/cases/new?facility={HOME}", data=data)
    assert response.status_code == 403
    assert case_count(people) == 0


def test_delete_and_restore(people: Platform, dm: Client) -> None:
    http, csrf = dm
    case_id = store(people, HOME, records(HOME, 1)[0])
    confirm = {"csrf_token": csrf, "confirmed": "yes", "reason": "entered twice"}
    deleted = http.post(f"/registries/{REG}/cases/{case_id}/delete", data=confirm)
    assert 'id="restore-case"' in deleted.text
    restored = http.post(f"/registries/{REG}/cases/{case_id}/restore", data={"csrf_token": csrf})
    assert 'id="delete-case"' in restored.text


# -- who sees what ------------------------------------------------------------------------------


def test_another_facility_case_is_not_found(people: Platform, dm: Client) -> None:
    other = store(people, OTHER, records(OTHER, 1)[0])
    for url in (f"/registries/{REG}/cases/{other}", f"/registries/{REG}/cases/{other}/edit",
                f"/registries/{REG}/cases/not-a-case-id"):  # fmt: skip
        response = dm[0].get(url)
        assert response.status_code == 404, url
        assert "Case not found" in response.text


def test_a_researcher_is_told_there_is_no_access(
    people: Platform, sign_in: Callable[[str], Client]
) -> None:
    store(people, HOME, records(HOME, 1)[0])
    http, _ = sign_in(RESEARCHER)
    response = http.get(f"/registries/{REG}/cases")
    assert response.status_code == 200
    assert "Your role has no access to case data" in response.text
    assert 'id="case-list"' not in response.text


def test_a_registry_administrator_sees_every_facility(
    people: Platform, sign_in: Callable[[str], Client]
) -> None:
    store(people, OTHER, records(OTHER, 1)[0])
    http, _ = sign_in(REGISTRY_ADMIN)
    home = http.get(f"/registries/{REG}/home").text
    assert 'id="facilities"' in home
    assert HOME in home
    assert OTHER in home
    assert re.search(r'id="count-total">1<', home)


def test_a_viewer_may_not_edit(people: Platform, sign_in: Callable[[str], Client]) -> None:
    case_id = store(people, HOME, records(HOME, 1)[0])
    http, _ = sign_in(VIEWER)
    detail = http.get(f"/registries/{REG}/cases/{case_id}")
    assert detail.status_code == 200
    assert 'id="edit-case"' not in detail.text
    assert http.get(f"/registries/{REG}/cases/{case_id}/edit").status_code == 403


def test_a_bad_page_cursor_is_a_clear_400(dm: Client) -> None:
    response = dm[0].get(f"/registries/{REG}/cases?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "start again from the first page" in response.text


# -- every form post is CSRF-checked (enumerated from the routes) ---------------------------------

ADMIN = "registry.admin@demo.printreg.org"


def page_posts() -> list[str]:
    """Return the path templates of every POST handled by the HTML pages."""
    from printreg.settings import Settings  # noqa: PLC0415

    app = create_app(Settings(database_url="sqlite://"))
    try:
        return sorted(
            {
                route.path
                for route in iter_route_contexts(app.routes)
                if route.path
                and not route.path.startswith("/api/")
                and "POST" in (route.methods or ())
            }
        )
    finally:
        app.state.platform.close()


POSTS = page_posts()
UPLOADS = ("/dicom", "/mesh", "/import")
# Posts made without a session: an assessment link's secret in the path is their only
# credential, and a forged cross-site post would need that secret (no cookie is involved).
SESSIONLESS = ("/assess/{token}",)


def test_the_pages_have_form_posts() -> None:
    assert "/login" in POSTS
    assert any("/cases/new" in p for p in POSTS)
    assert len(POSTS) >= 8


@pytest.mark.parametrize("template", POSTS)
def test_every_page_post_refuses_a_missing_csrf_token(
    sign_in: Callable[[str], Client], template: str
) -> None:
    http, _token = sign_in(ADMIN)
    path = re.sub(r"\{reg\}|\{registry\}", "3dp", template)
    path = re.sub(r"\{code\}|\{facility\}", "F0001", path)
    path = re.sub(
        r"\{[a-z_]*id\}",
        str(uuid.uuid4()) if "case" in template or "import" in template else "1",
        path,
    )
    response = http.post(
        path, data={"email": ADMIN, "password": "x" * 12, "anything": "1"}, follow_redirects=False
    )
    if template in SESSIONLESS:
        assert response.status_code == 404, (template, response.status_code)
        assert "This link is not valid" in response.text
        return
    if template.endswith(UPLOADS):
        # Uploads check the target before reading the body that holds the token: a case or
        # facility the person may not write to is refused unread (404); the token is checked
        # on the way in to a writable one (tests/security/test_http_hardening.py).
        assert response.status_code in {403, 404}, (template, response.status_code)
        return
    assert response.status_code == 403, (template, response.status_code)
