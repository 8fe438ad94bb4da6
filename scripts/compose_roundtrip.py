"""A round trip through the reverse proxy of a running compose.yaml layout (scripts/compose-check.sh).

Signs in as a data manager, creates a case, reads it back and lists it, asks for the facility's
dashboard (API and page), then signs in as a registry administrator and queues an analytics
refresh that a worker container must run. Exits non-zero at the first unexpected answer.

Usage: python scripts/compose_roundtrip.py BASE_URL DM_EMAIL ADMIN_EMAIL PASSWORD CA_FILE
(CA_FILE: the root certificate of the CA that signed the proxy's certificate; on a test machine
Caddy's own, /data/caddy/pki/authorities/local/root.crt in its container)
(run from the repository root with PYTHONPATH=src:. so that tests.support gives a valid record
of the synthetic facility F0001 that `printreg synth --facilities 2 --seed 7` creates).
"""

from __future__ import annotations

import re
import ssl
import sys
import time

import httpx
from tests.support.records import records

REG, HOME = "3dp", "F0001"
API = f"/api/v1/registries/{REG}"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')
READS = 20


def check(ok: bool, what: str, answer: httpx.Response | None = None) -> None:
    """Stop with a message (and the answer's status and start) unless ``ok``."""
    if not ok:
        detail = f" ({answer.status_code}: {answer.text[:300]})" if answer is not None else ""
        sys.exit(f"FAILED: {what}{detail}")
    sys.stdout.write(f"ok: {what}\n")


def token_in(pattern: re.Pattern[str], answer: httpx.Response, what: str) -> str:
    """Return the token ``pattern`` finds in a 200 answer; stop with a message otherwise."""
    found = pattern.search(answer.text) if answer.status_code == 200 else None
    check(found is not None, what, answer)
    return found.group(1) if found is not None else ""


def sign_in(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    """Sign in through the form; return the CSRF header of the signed-in session."""
    token = token_in(CSRF_FIELD, http.get("/login"), f"sign-in form for {email}")
    answer = http.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"}
    )
    check(answer.status_code == 303, f"signed in as {email}", answer)
    home = http.get("/", follow_redirects=True)
    return {"X-CSRF-Token": token_in(PAGE_CSRF, home, "signed-in page with a CSRF token")}


def main(base: str, dm: str, admin: str, password: str, ca_file: str) -> None:
    """Run the round trip against ``base`` (the proxy's HTTPS address, checked with ca_file)."""
    tls = ssl.create_default_context(cafile=ca_file)
    with httpx.Client(base_url=base, verify=tls, timeout=30) as http:
        ready = http.get("/readyz")
        check(ready.status_code == 200, "/readyz through the proxy", ready)
        headers = sign_in(http, dm, password)
        made = http.post(
            f"{API}/cases", params={"facility": HOME}, json=records(HOME, 1)[0], headers=headers
        )
        check(made.status_code == 201, "case created", made)
        case_id = made.json()["id"]
        # several reads: the proxy spreads them over both web containers (least_conn)
        reads = [http.get(f"{API}/cases/{case_id}") for _ in range(READS)]
        failed = next((read for read in reads if read.status_code != 200), None)
        check(failed is None, f"case read back {READS} times", failed)
        listed = http.get(f"{API}/cases", params={"limit": 50})
        ids = {c["id"] for c in listed.json().get("items", [])} if listed.is_success else set()
        check(case_id in ids, "case listed", listed)
        dashboard = http.get(f"{API}/facilities/{HOME}/dashboard")
        check(
            dashboard.status_code == 200 and dashboard.json()["cases"] >= 1,
            "facility dashboard (API) counts the case",
            dashboard,
        )
        page = http.get(f"/registries/{REG}/dashboard", params={"facility": HOME})
        check(page.status_code == 200, "dashboard page", page)

    with httpx.Client(base_url=base, verify=tls, timeout=30) as http:
        headers = sign_in(http, admin, password)
        queued = http.post(f"{API}/analytics/refresh", headers=headers)
        check(queued.status_code == 202, "analytics refresh queued", queued)
        job_id = queued.json()["id"]
        deadline = time.monotonic() + 120
        job = http.get(f"/api/v1/jobs/{job_id}")
        while job.is_success and job.json()["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                break
            time.sleep(1)
            job = http.get(f"/api/v1/jobs/{job_id}")
        check(
            job.is_success and job.json()["status"] == "done",
            "analytics refresh run by a worker",
            job,
        )


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
