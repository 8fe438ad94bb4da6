"""Real `printreg serve` processes for the multi-process tests: started on free loopback ports
from the installed command, stopped (the whole process group) afterwards."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from printreg.platform import Platform
from printreg.web.pages.common import PRE_CSRF_COOKIE

#: the `printreg` console script of the environment the tests run in (the installed package)
PRINTREG = Path(sys.executable).with_name("printreg")
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Server:
    """A running `printreg serve`: its process and base URL."""

    process: subprocess.Popen[bytes]
    url: str

    def children(self) -> list[int]:
        """Return the ids of the web processes it started (uvicorn's workers, not
        multiprocessing's resource tracker), Linux only."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in path.read_text().split()]
        return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    env: Mapping[str, str], log: Path, *, workers: int = 1, timeout: float = 150
) -> Iterator[Server]:
    """Start `printreg serve` with ``env`` added to this environment; yield it once /healthz
    answers; stop it (SIGTERM to its process group, SIGKILL if it lingers)."""
    port = free_port()
    args = [str(PRINTREG), "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        _wait_ready(server, log, timeout)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"printreg serve stopped:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"printreg serve did not answer in {timeout} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def login_token(http: httpx.Client, base: str) -> str:
    """GET base/login and return its pre-sign-in CSRF token (also set as a cookie)."""
    page = http.get(f"{base}/login")
    assert page.status_code == 200, page.text
    found = _CSRF_FIELD.search(page.text)
    assert found is not None
    assert http.cookies.get(PRE_CSRF_COOKIE) == found.group(1)
    return found.group(1)


def post_login(http: httpx.Client, base: str, token: str, email: str, password: str) -> int:
    """POST the sign-in form to base with a token; return the status (303 when signed in)."""
    response = http.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return response.status_code


_PAGE_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')
#: a low lockout threshold keeps the test short; the default is 5
FAILURES = 3


def serve_env(platform: Platform) -> dict[str, str]:
    """Return the environment of `printreg serve` on the platform's database and data folder."""
    return {
        "PRINTREG_DATABASE_URL": platform.settings.database_url,
        "PRINTREG_DATA_DIR": platform.settings.data_dir,
        "PRINTREG_LOGIN_FAILURES_BEFORE_LOCKOUT": str(FAILURES),
        "PRINTREG_LOG_FORMAT": "plain",
    }


def page_csrf(http: httpx.Client, base: str) -> str:
    """Return the CSRF token of the signed-in session, from a page base serves."""
    page = http.get(f"{base}/", follow_redirects=True)
    assert page.status_code == 200, page.text
    found = _PAGE_CSRF.search(page.text)
    assert found is not None, "no CSRF token on the signed-in page"
    return found.group(1)
