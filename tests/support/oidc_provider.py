"""A real OpenID provider for the single sign-on tests: panva's node-oidc-provider (OpenID
Certified), run with the machine's Node.js from tests/support/oidc/ on a free loopback port.

One provider serves the whole test session (started lazily by the ``oidc_provider`` fixture,
stopped at the end). Its static clients all share one secret and printreg's callback address;
the others stand for an attacker in front of the token endpoint (tests/support/oidc/
provider.mjs): their ID tokens come back with an edited payload, or re-signed for another
audience, expired, with another sign-in's nonce or another issuer.
Its accounts are named by the login typed on its sign-in page (any password):

- ``dm``: the demo data manager's e-mail address (in capitals: matching ignores case), verified
- ``unverified``: the demo viewer's address, not verified
- ``stranger``: a verified address no printreg account has

``scripts/ensure-system-deps.sh oidc`` installs the provider's locked packages (npm ci); without
Node.js or them the tests that need the provider skip, loudly.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from printreg.settings import Settings
from tests.support.servers import free_port
from tests.support.web import DATA_MANAGER, VIEWER

HERE = Path(__file__).parent / "oidc"
SECRET = "printreg-test-client-secret"  # noqa: S105 - the test provider's client secret
CALLBACK = "http://127.0.0.1:8000/login/sso/callback"  # printreg's default public_url
#: client id → how the token endpoint's answer is altered for it (None: it is not)
CLIENTS = {
    "printreg": None,
    "printreg-tampered": "signature",
    "printreg-wrong-audience": "audience",
    "printreg-expired": "expired",
    "printreg-wrong-nonce": "nonce",
    "printreg-wrong-issuer": "issuer",
}
STRANGER = "stranger@elsewhere.example"
ACCOUNTS = {
    "dm": {"email": DATA_MANAGER.upper(), "email_verified": True},
    "unverified": {"email": VIEWER, "email_verified": False},
    "stranger": {"email": STRANGER, "email_verified": True},
}
_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_START_SECONDS = 30


@dataclass(frozen=True)
class OidcProvider:
    """The running provider: its issuer URL."""

    issuer: str

    def settings(self, base: Settings, client_id: str = "printreg", **more: object) -> Settings:
        """Return ``base`` configured for single sign-on at this provider as ``client_id``."""
        values = {"oidc_issuer": self.issuer, "oidc_client_id": client_id,
                  "oidc_client_secret": SECRET, **more}  # fmt: skip
        return Settings.model_validate({**base.model_dump(), **values})


def _problem() -> str | None:
    """Return why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js (node) is not installed"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "tests/support/oidc/node_modules is missing: run scripts/ensure-system-deps.sh oidc"
    return None


def _read_ready(process: subprocess.Popen[str]) -> str:
    """Return the provider's first line on stdout, waiting at most _START_SECONDS."""
    line: list[str] = []
    reader = threading.Thread(
        target=lambda: line.append(process.stdout.readline() if process.stdout else "")
    )
    reader.start()
    reader.join(_START_SECONDS)
    return line[0] if line else ""


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """Yield the session's OpenID provider (started on first use); skip loudly without Node.js
    or its packages."""
    problem = _problem()
    node = shutil.which("node")
    if problem is not None or node is None:
        pytest.skip(f"SINGLE SIGN-ON TESTS SKIPPED: {problem}")
    port = free_port()
    config = {"port": port, "accounts": ACCOUNTS,
              "clients": [{"client_id": c, "client_secret": SECRET, "redirect_uris": [CALLBACK]}
                          for c in CLIENTS],
              "alter": {c: how for c, how in CLIENTS.items() if how}}  # fmt: skip
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [node, "provider.mjs", json.dumps(config)], cwd=HERE, text=True,
            stdout=subprocess.PIPE, stderr=errors, start_new_session=True,
        )  # fmt: skip
    try:
        ready = _read_ready(process)
        assert ready.startswith("ready "), f"the OpenID provider did not start:\n{log.read_text()}"
        yield OidcProvider(issuer=ready.split()[1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()


def sign_in_at_provider(authorize_url: str, login: str) -> str:
    """Go through the provider's pages as a browser would from ``authorize_url``, signing in as
    ``login``; return the address it sends the browser back to (printreg's callback)."""
    with httpx.Client(timeout=10) as http:
        response = http.get(authorize_url)
        for _ in range(10):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(CALLBACK):
                    return target
                response = http.get(target)
                continue
            form = _ACTION.search(response.text)
            assert response.status_code == 200, response.text[:500]
            assert form is not None, response.text[:500]
            response = http.post(
                urljoin(str(response.url), form.group(1)),
                data={"prompt": "login", "login": login, "password": "any password"},
            )
    raise AssertionError("the provider never sent the browser back")
