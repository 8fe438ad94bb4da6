"""Definition version integrity: a version not higher than the current one is never published.

The attack: a registry administrator (or a stolen session of one) posts the current definition
unchanged but relabelled with a lower version, hoping to reset the version history. It must be
refused whatever the content, over the API as through the service, and nothing may change.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from printreg.demo.service import ensure_demo_accounts
from printreg.dictionary import shipped_definition_paths
from printreg.platform import Platform
from tests.support.web import REGISTRY_ADMIN, UserClient

Sign = Callable[[str], UserClient]
# The second shipped registry: its definition is self-contained (no included reference files),
# so it can be posted whole over the API.
REGISTRY = "gsae"
API = f"/api/v1/registries/{REGISTRY}"


def _current_text() -> str:
    newest = max(
        (p for p in shipped_definition_paths() if p.parent.name == REGISTRY),
        key=lambda p: tuple(int(x) for x in p.stem.removeprefix("definition-").split(".")),
    )
    return newest.read_text("utf-8")


@pytest.mark.parametrize("lower", ["1.0.0", "0.9.0", "0.9.9"])
def test_a_relabelled_lower_copy_of_the_current_definition_is_refused(
    api_platform: Platform, client_for: Sign, lower: str
) -> None:
    ensure_demo_accounts(api_platform, REGISTRY, ("F0001", "F0002"))  # gsae roles too
    admin = client_for(REGISTRY_ADMIN)
    before = admin.get(f"{API}/versions")
    assert before.status_code == 200
    current = max(v["version"] for v in before.json())
    text = _current_text()
    assert f"\nversion: {current}\n" in text
    copy = text.replace(f"\nversion: {current}\n", f"\nversion: {lower}\n", 1)

    dry = admin.post(f"{API}/versions", json={"definition": copy, "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert any(lower in p and current in p for p in dry.json()["problems"]), dry.text

    published = admin.post(f"{API}/versions", json={"definition": copy, "dry_run": False})
    assert published.status_code == 409, published.text
    assert lower in published.text
    assert current in published.text
    after = admin.get(f"{API}/versions")
    assert after.json() == before.json()
