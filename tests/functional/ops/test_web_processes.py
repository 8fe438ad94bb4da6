"""Several web processes on one database: a person signed in through one process is served by
another, with the same CSRF protection and the same sign-in lockout.

These start real `printreg serve` processes (the installed command) on free loopback ports
against the test database, so they run on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from tests.support.records import records
from tests.support.servers import FAILURES, login_token, page_csrf, post_login, serve_env, serving
from tests.support.web import API, DATA_MANAGER, HOME, VIEWER

from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.web.deps import CSRF_HEADER, SESSION_COOKIE


def test_two_processes_share_sessions_csrf_tokens_and_the_sign_in_lockout(
    api_platform: Platform, tmp_path: Path
) -> None:
    env = serve_env(api_platform)
    with (
        serving(env, tmp_path / "a.log") as a,
        serving(env, tmp_path / "b.log") as b,
        httpx.Client(timeout=10) as http,  # cookies ignore the port: one jar for both
    ):
        # the sign-in form comes from A, is posted to B: the pre-sign-in token is not per process
        token = login_token(http, a.url)
        assert post_login(http, b.url, token, DATA_MANAGER, DEMO_PASSWORD) == 303
        assert http.cookies.get(SESSION_COOKIE)

        me = http.get(f"{a.url}/api/v1/users/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == DATA_MANAGER

        # the session's CSRF token shown by B protects a write on A
        csrf = page_csrf(http, b.url)
        record = records(HOME, 1)[0]
        refused = http.post(f"{a.url}{API}/cases", params={"facility": HOME}, json=record)
        assert refused.status_code in (401, 403), refused.text
        wrong = http.post(f"{a.url}{API}/cases", params={"facility": HOME}, json=record,
                          headers={CSRF_HEADER: csrf[::-1]})  # fmt: skip
        assert wrong.status_code in (401, 403), wrong.text
        made = http.post(f"{a.url}{API}/cases", params={"facility": HOME}, json=record,
                         headers={CSRF_HEADER: csrf})  # fmt: skip
        assert made.status_code == 201, made.text
        shown = http.get(f"{b.url}{API}/cases/{made.json()['id']}")
        assert shown.status_code == 200, shown.text

        # signing out through A ends the session on B too, even for a copy of the cookie
        kept = {SESSION_COOKIE: http.cookies[SESSION_COOKIE]}
        out = http.post(f"{a.url}/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303, out.text
        assert httpx.get(f"{b.url}/api/v1/users/me", cookies=kept).status_code == 401

        # failed sign-ins spread over both processes reach one lockout: neither process alone
        # saw FAILURES failures, together they did, and the right password is refused on both
        # for this (account, address) pair
        bases = [a.url, b.url]
        for attempt in range(FAILURES):
            base = bases[attempt % 2]
            status = post_login(http, base, login_token(http, base), VIEWER, "wrong-pass")
            assert status == 401, (attempt, status)
        for base in bases:
            status = post_login(http, base, login_token(http, base), VIEWER, DEMO_PASSWORD)
            assert status == 429, (base, status)
        assert not http.cookies.get(SESSION_COOKIE)

        # `printreg serve` without --workers stays one process
        assert a.children() == []


def test_serve_with_two_workers_answers_from_both_and_sums_their_metrics(
    api_platform: Platform, tmp_path: Path
) -> None:
    env = serve_env(api_platform)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    with serving(env, tmp_path / "serve.log", workers=2) as server, httpx.Client(timeout=10) as h:
        workers = set(server.children())
        assert len(workers) == 2, workers
        assert not (metrics_dir / "counter_1.db").exists()  # emptied before the workers started

        token = login_token(h, server.url)
        assert post_login(h, server.url, token, DATA_MANAGER, DEMO_PASSWORD) == 303
        cookies = dict(h.cookies)

        def me(_: int) -> int:
            # a new connection each time, so that the kernel hands it to either worker
            return httpx.get(f"{server.url}/api/v1/users/me", cookies=cookies).status_code

        answered: set[int] = set()
        sent = 0
        deadline = time.monotonic() + 90
        with ThreadPoolExecutor(8) as pool:
            while answered != workers and time.monotonic() < deadline:
                assert set(pool.map(me, range(40))) == {200}  # the session works in each
                sent += 40
                answered = {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("*.db")}
        assert answered == workers, f"only {answered} of {workers} answered"

        scraped = httpx.get(f"{server.url}/metrics").text
        line = next(
            x for x in scraped.splitlines()
            if x.startswith("printreg_http_requests_total{")
            and 'route="/api/v1/users/me"' in x and 'status="2xx"' in x
        )  # fmt: skip
        assert float(line.rsplit(" ", 1)[1]) == sent  # the sum over both workers
