"""A facility's PACS settings: the password sealed and never shown back, the address checked,
and only the facility's own administrators set it up (its own people search it: the isolation
matrix's "pacs" cells)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from printreg.accounts.sealed import open_sealed
from printreg.pacs.models import PacsEndpoint
from printreg.pacs.service import SEAL_PURPOSE, SET, UNSET
from printreg.platform import Platform
from tests.support.files import database_text
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    OTHER_SITE,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
)

SECRET = "s3cret-pacs-passw0rd"  # noqa: S105 - the password under test
URL = "https://pacs.hospital.example/dicom-web"


def _pacs(facility: str) -> str:
    return f"/api/v1/facilities/{facility}/pacs"


def test_the_pacs_password_is_sealed_at_rest_and_never_shown_back(
    client_for: Callable[[str], UserClient], api_platform: Platform
) -> None:
    admin = client_for(FACILITY_ADMIN)
    assert admin.get(_pacs(HOME)).json()["configured"] is False
    body = {"base_url": URL + "/", "username": "printreg", "password": SECRET}
    saved = admin.put(_pacs(HOME), json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"facility": HOME, "configured": True, "base_url": URL,
                            "username": "printreg", "password": "set"}  # fmt: skip
    page = admin.get(f"/facilities/{HOME}/pacs")
    assert page.status_code == 200
    assert 'id="pacs-password">set<' in page.text
    with api_platform.sessions() as session:
        sealed = session.scalars(select(PacsEndpoint)).one()
        assert sealed.password_sealed is not None
        opened = open_sealed(api_platform.settings.secret_key, SEAL_PURPOSE, sealed.password_sealed)
        assert opened == SECRET
        # sealed for this purpose only: a TOTP secret's seal does not open it
        assert open_sealed(api_platform.settings.secret_key, "totp", sealed.password_sealed) is None
    stored = database_text(api_platform.engine)
    assert SECRET not in stored
    assert SECRET not in page.text + saved.text + admin.get(_pacs(HOME)).text

    # no password: the stored one is kept; cleared on request; no user name: no credentials
    kept = admin.put(_pacs(HOME), json={"base_url": URL, "username": "printreg"})
    assert kept.json()["password"] == SET
    cleared = admin.put(_pacs(HOME), json={**body, "password": None, "clear_password": True})
    assert cleared.json()["password"] == UNSET
    anonymous = admin.put(_pacs(HOME), json={"base_url": URL, "password": SECRET})
    assert (anonymous.json()["username"], anonymous.json()["password"]) == (None, UNSET)

    # an address with credentials in it, another scheme, or no host is refused without echo
    for bad in (f"https://printreg:{SECRET}@pacs.example/dicom-web", "ftp://pacs.example/x",
                "https:///dicom-web", "pacs.example/dicom-web", f"https://pacs.example/?k={SECRET}"):  # fmt: skip
        refused = admin.put(_pacs(HOME), json={"base_url": bad})
        assert refused.status_code == 400, bad
        assert SECRET not in refused.text
    # the page's form does the same, and shows what the API shows
    form = {"csrf_token": admin.csrf, "base_url": URL, "username": "lab", "password": SECRET}
    posted = admin.post(f"/facilities/{HOME}/pacs", data=form, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    shown = admin.get(posted.headers["location"])
    assert "PACS settings saved" in shown.text
    assert 'id="pacs-password">set<' in shown.text
    assert SECRET not in shown.text
    assert admin.get(_pacs(HOME)).json()["username"] == "lab"
    removed = admin.delete(_pacs(HOME))
    assert removed.status_code == 204
    assert admin.get(_pacs(HOME)).json()["configured"] is False
    assert SECRET not in database_text(api_platform.engine)


def test_only_the_facility_s_own_administrators_set_up_its_pacs(
    client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    admin = client_for(FACILITY_ADMIN)
    assert admin.put(_pacs(HOME), json={"base_url": URL}).status_code == 200
    body = {"base_url": "https://attacker.example/dicom-web"}
    # another facility's person: answered as a facility that does not exist, for every method
    stranger = client_for(OTHER_SITE)
    for method in ("GET", "PUT", "DELETE"):
        kwargs = {"json": body} if method == "PUT" else {}
        foreign = stranger.request(method, _pacs(HOME), **kwargs)
        unknown = stranger.request(method, _pacs("F9999"), **kwargs)
        assert foreign.status_code == unknown.status_code == 404, method
        assert foreign.content == unknown.content
    # the facility's own data manager and viewer may not, nor F0001's administrator at F0002
    for person in (DATA_MANAGER, VIEWER):
        client = client_for(person)
        assert client.get(_pacs(HOME)).status_code == 403
        assert client.put(_pacs(HOME), json=body).status_code == 403
        page = client.post(f"/facilities/{HOME}/pacs", data={"csrf_token": client.csrf, **body})
        assert page.status_code == 403
    assert admin.put(_pacs(OTHER), json=body).status_code == 404
    # a registry administrator is no member of the facility: searches would go to the address
    registry_admin = client_for(REGISTRY_ADMIN)
    assert registry_admin.put(_pacs(HOME), json=body).status_code == 403
    assert admin.get(_pacs(HOME)).json()["base_url"] == URL, "a refused change was stored"
    # F0002's people cannot search F0001's PACS through F0001's case
    search = stranger.post(f"{API}/cases/{case_ids[HOME]}/pacs", json={"accession_number": "X1"})
    assert search.status_code == 404
    assert search.json() == {"detail": "no such case"}
