"""One typed settings object, read from PRINTREG_* environment variables."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """printreg settings; every field documents itself in docs/settings.md (checked by a test)."""

    model_config = SettingsConfigDict(env_prefix="PRINTREG_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///./printreg.db",
        description="SQLAlchemy URL of the database: SQLite file (default) or "
        "postgresql+psycopg://user@host/db.",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="'production' refuses insecure defaults such as the development secret key.",
    )
    default_registry: str = Field(
        default="3dp", description="Registry used by commands that are not told one."
    )
    secret_key: str = Field(
        default=DEVELOPMENT_SECRET,
        description="Key that signs session cookies; at least 32 characters; required in production.",
    )
    session_hours: int = Field(
        default=12, ge=1, le=720, description="Hours a signed-in session lasts without activity."
    )
    login_failures_before_lockout: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failed sign-ins of one account from one client address before that pair "
        "waits lockout_minutes (other addresses are not affected); also the failures from one "
        "address after which its attempts are slowed.",
    )
    lockout_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="Minutes a throttled client address or (account, address) pair waits; "
        "failures older than this are forgotten.",
    )
    signin_address_failures: int = Field(
        default=20,
        ge=2,
        le=10_000,
        description="Failed sign-ins from one client address (any accounts) before that address "
        "is refused for lockout_minutes.",
    )
    signin_account_failures: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Failed sign-ins of one account (all addresses) after which each address "
        "that already failed on it waits a growing back-off; addresses without failures on it "
        "are never slowed.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IP addresses or networks of reverse proxies whose "
        "X-Forwarded-For header gives the client address; empty trusts none.",
    )
    require_second_factor_for_registry_roles: bool = Field(
        default=False,
        description="Make registry administrators, committee members and researchers enrol a "
        "TOTP second factor before any other page or API call (turn on in production).",
    )
    password_sign_in: bool = Field(
        default=True,
        description="Offer sign-in with an e-mail address and password on the web pages; false "
        "leaves single sign-on only (needs oidc_issuer). API tokens and the command line are "
        "not affected.",
    )
    oidc_issuer: str = Field(
        default="",
        description="Issuer URL of the OpenID Connect provider used for single sign-on (its "
        "discovery document is <issuer>/.well-known/openid-configuration); empty turns single "
        "sign-on off.",
    )
    oidc_client_id: str = Field(
        default="", description="Client id of printreg registered at the OpenID provider."
    )
    oidc_client_secret: str = Field(
        default="",
        description="Client secret of printreg at the OpenID provider (never logged or shown).",
    )
    oidc_scopes: str = Field(
        default="openid email",
        pattern=r"^(\S+ )*openid( \S+)*$",
        description="Space-separated scopes asked of the OpenID provider; must hold 'openid' and "
        "release the email and email_verified claims.",
    )
    oidc_button_label: str = Field(
        default="Sign in with your organisation's account",
        min_length=1,
        max_length=80,
        description="Label of the single sign-on button on the sign-in page.",
    )
    token_max_days: int = Field(
        default=365, ge=1, le=3650, description="Longest lifetime an API token may be given."
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (HTTPS only); always on in production."
    )
    max_body_bytes: int = Field(
        default=1024**2,
        ge=1024,
        description="Largest request body (JSON, forms) accepted, in bytes; larger ones are "
        "answered 413 before sign-in is checked. Uploads have their own limits.",
    )
    import_max_bytes: int = Field(
        default=500 * 1024**2,
        ge=1024,
        description="Largest import file (CSV, JSON, JSON Lines) one upload may hold, in bytes.",
    )
    data_dir: str = Field(
        default="./printreg-data",
        description="Folder for uploaded import files and their error files "
        "(<data_dir>/imports/<job id>/).",
    )
    sqlite_busy_ms: int = Field(
        default=5000,
        ge=0,
        le=120_000,
        description="Milliseconds a request waits for SQLite's write lock before it is answered "
        "503 with Retry-After.",
    )
    web_threads: int = Field(
        default=2,
        ge=1,
        le=200,
        description="Threads each web process runs its request handlers in (they read and "
        "write the database); further requests wait their turn in the process. Python runs "
        "one thread at a time: more threads than this make them fight over the interpreter "
        "lock instead of adding throughput (docs/deploy.md). Raise it only where requests "
        "spend long waiting on something outside the process (a PACS search, an OpenID "
        "provider or a mail server far away).",
    )
    database_pool_pre_ping: bool = Field(
        default=True,
        description="Check a pooled PostgreSQL connection idle for more than "
        "database_pool_ping_idle_seconds with a round trip before a request uses it, so that "
        "one dropped by a database restart or failover is replaced unseen. false saves that "
        "round trip; after a restart each process then answers one request with an error and "
        "renews its whole pool. SQLite ignores it.",
    )
    database_pool_ping_idle_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="With database_pool_pre_ping, check only connections that have been back "
        "in the pool for more than this many seconds (a connection a restart or a firewall cut "
        "has been idle at least that long); 0 checks every one before every use.",
    )
    database_pool_size: int = Field(
        default=5,
        ge=1,
        le=500,
        description="PostgreSQL connections each process keeps open for its requests (up to "
        "database_max_overflow more are opened under bursts and closed again). SQLite "
        "ignores it.",
    )
    database_max_overflow: int = Field(
        default=10,
        ge=0,
        le=500,
        description="PostgreSQL connections a process may open beyond database_pool_size "
        "under a burst (closed again when returned); 0: a request beyond the pool waits for "
        "a pooled connection. More backends than the database has cores for cost it CPU "
        "time per statement rather than add throughput, but a few operations (publishing a "
        "definition version) hold two connections at once, so 0 can starve a small pool "
        "under concurrent use. SQLite ignores it.",
    )
    import_batch_rows: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Rows an import job checks and commits per batch (API and page uploads). "
        "Smaller batches keep the newest-first case lists fast while an import runs (they "
        "step over a batch's rows until it commits); larger ones import a little faster.",
    )
    import_upload_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description="Hours a checked (dry-run) upload, or the upload of an import stopped by a "
        "crash, is kept to be committed; other uploads are deleted when their job ends.",
    )
    import_job_stale_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="Minutes without progress after which an import job of a process on another "
        "host is taken as stopped and failed.",
    )
    job_runner: Literal["inprocess", "queue"] = Field(
        default="inprocess",
        description="Who runs long jobs (imports, exports, analytics refreshes, research "
        "extracts): 'inprocess' (threads of the web process that accepted them; the "
        "single-machine default) or 'queue' (worker processes started with `printreg worker`, "
        "on any machine that reaches the database).",
    )
    export_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="Hours the file of an export job is kept for the person who asked; then a "
        "periodic cleanup deletes it.",
    )
    job_lease_seconds: int = Field(
        default=60,
        ge=2,
        le=3600,
        description="Seconds a worker holds a job without a heartbeat (it beats every third of "
        "this); a running job whose lease ran out belongs to a dead worker and is retried.",
    )
    job_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Times a queued job is started before a worker that keeps dying on it makes "
        "it fail with a message saying so.",
    )
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU priority `printreg worker` lowers itself by (Unix nice value, 0–19): "
        "on a machine that also serves web requests, a large import takes the CPU the web "
        "processes leave idle instead of half of it. 0 keeps the priority it started with.",
    )
    worker_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds an idle worker waits before it looks for queued jobs again.",
    )
    worker_seen_seconds: int = Field(
        default=120,
        ge=5,
        le=86_400,
        description="With job_runner 'queue', /readyz fails its jobs check unless a worker "
        "heartbeat is younger than this.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address at which people reach this installation (scheme, host, port, "
        "path prefix); links in e-mails start with it. In production with smtp_host set, a "
        "loopback address is refused.",
    )
    smtp_host: str = Field(
        default="",
        description="SMTP server that sends printreg's e-mails; empty sends none (in-app "
        "notifications only).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="'starttls' (upgrade a plain connection, port 587), 'tls' (implicit TLS, "
        "port 465) or 'none' (only for a relay on the same machine or a test server).",
    )
    smtp_username: str = Field(
        default="", description="User name for SMTP authentication; empty sends without it."
    )
    smtp_password: str = Field(default="", description="Password for SMTP authentication.")
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Seconds to wait for the SMTP server."
    )
    mail_from: str = Field(
        default="printreg@localhost",
        description="Sender address of printreg's e-mails.",
    )
    assessment_link_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a link that asks a clinician for a case's user assessment stays "
        "valid; then it is marked expired.",
    )
    assessment_reminder_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Days after sending an assessment link without an answer before the "
        "clinician gets one reminder (with a fresh link).",
    )
    min_cases: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Fewest values a facility needs before its own figure of a measure is shown.",
    )
    min_facilities: int = Field(
        default=5,
        ge=2,
        le=100,
        description="Fewest facilities a registry or peer distribution needs before it is shown.",
    )
    suppression_threshold: int = Field(
        default=11,
        ge=2,
        le=1000,
        description="Released aggregates hide every count from 1 to this value minus one and "
        "perturb the others (cell-key method).",
    )
    cost_per_minute: float = Field(
        default=36.0,
        gt=0,
        description="Operating-room cost per minute (USD) that turns minutes saved into dollars.",
    )
    cost_sensitivity: str = Field(
        default="22,62,133",
        pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$",
        description="Other costs per minute (USD, comma-separated) shown beside every dollar figure.",
    )
    dicom_uid_salt: str = Field(
        default="",
        description="Secret that salts the hashes of Study/Series Instance UIDs; empty derives "
        "one from secret_key (development only); never change it once in use.",
    )
    cell_key_secret: str = Field(
        default="",
        description="Secret of the record keys that perturb released counts (cell-key method); "
        "empty derives one from secret_key; never change it once counts are published.",
    )
    dicom_deidentify_on_receipt: bool = Field(
        default=False,
        description="De-identify DICOM headers that hold identifiers (PS3.15 Basic Profile) "
        "instead of refusing them.",
    )
    dicom_max_files: int = Field(
        default=5000, ge=1, le=100_000, description="Most DICOM files one upload may hold."
    )
    dicom_max_upload_bytes: int = Field(
        default=1024**3,
        ge=1024,
        description="Largest DICOM upload (all its files together, read in memory), in bytes.",
    )
    pacs_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Seconds to wait for a facility's PACS (DICOMweb) to connect and to answer "
        "each request.",
    )
    mesh_max_bytes: int = Field(
        default=256 * 1024**2, ge=1024, description="Largest model file accepted, in bytes."
    )
    mesh_max_triangles: int = Field(
        default=5_000_000, ge=1, description="Most triangles a model file may hold."
    )
    mesh_viewer_faces: int = Field(
        default=200_000,
        ge=100,
        le=5_000_000,
        description="Most triangles of the copy of a model sent to the browser's 3D viewer.",
    )

    committee_quorum: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Fewest committee votes cast before a subject (an enrollment application, "
        "a data request) can be decided.",
    )
    committee_rule: Literal["majority", "unanimous"] = Field(
        default="majority",
        description="How the committee's votes cast decide: 'majority' (more than half; a tie "
        "waits) or 'unanimous' (one decline declines).",
    )
    enrollment_application_fee: int = Field(
        default=500,
        ge=0,
        description="One-time application fee (whole USD) of a facility joining a registry; "
        "waived when it is already active in another registry of the platform.",
    )
    enrollment_annual_fee: int = Field(
        default=1000, ge=0, description="Annual participation fee (whole USD) per registry."
    )
    data_request_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days an approved research extract can be downloaded before it is deleted.",
    )

    log_format: Literal["json", "plain"] = Field(
        default="json",
        description="Server log lines: 'json' (one JSON object per line, with the request id) "
        "or 'plain' text.",
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token /metrics requires (at least 32 characters); empty serves "
        "/metrics to loopback connections without forwarding headers only.",
    )

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_long(cls, value: str) -> str:
        if value and len(value) < MIN_SECRET_LENGTH:
            raise ValueError("metrics_token must be empty or at least 32 characters")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"trusted_proxies: {part!r} is not an IP address or network"
                ) from exc
        return value

    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """Return the trusted proxies as networks (empty when none is trusted)."""
        return [
            ipaddress.ip_network(part, strict=False)
            for part in filter(None, (p.strip() for p in self.trusted_proxies.split(",")))
        ]

    def dicom_uid_key(self) -> bytes:
        """Return the key that hashes DICOM UIDs: the salt, or one derived from the secret key."""
        if self.dicom_uid_salt:
            return self.dicom_uid_salt.encode()
        return hmac.new(
            self.secret_key.encode(), b"printreg dicom uid hashes", hashlib.sha256
        ).digest()

    def record_key_secret(self) -> bytes:
        """Return the key of the record keys: cell_key_secret, or one derived from secret_key."""
        if self.cell_key_secret:
            return self.cell_key_secret.encode()
        return hmac.new(
            self.secret_key.encode(), b"printreg cell key records", hashlib.sha256
        ).digest()

    @model_validator(mode="after")
    def _sign_in_possible(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError(
                "single sign-on needs PRINTREG_OIDC_CLIENT_ID and PRINTREG_OIDC_CLIENT_SECRET "
                "with PRINTREG_OIDC_ISSUER"
            )
        if not self.password_sign_in and not self.oidc_issuer:
            raise ValueError(
                "PRINTREG_PASSWORD_SIGN_IN=false needs single sign-on (PRINTREG_OIDC_ISSUER): "
                "otherwise nobody could sign in on the web pages"
            )
        return self

    @property
    def single_sign_on(self) -> bool:
        """Return whether single sign-on (OpenID Connect) is configured."""
        return bool(self.oidc_issuer)

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                "PRINTREG_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )
        if len(self.dicom_uid_salt) < MIN_SECRET_LENGTH:
            raise ValueError(
                "PRINTREG_DICOM_UID_SALT must be set to a random value of at least 32 characters "
                "in production (and never changed once DICOM has been uploaded)"
            )
        if self.oidc_issuer and (
            urlsplit(self.oidc_issuer).scheme != "https" or _on_loopback(self.public_url)
        ):
            raise ValueError(
                "PRINTREG_OIDC_ISSUER must be an https:// URL, and PRINTREG_PUBLIC_URL the address "
                "people reach this installation at, in production with single sign-on: the "
                "provider sends people back to <public_url>/login/sso/callback"
            )
        if self.smtp_host and _on_loopback(self.public_url):
            raise ValueError(
                "PRINTREG_PUBLIC_URL must be the address people reach this installation at "
                "(e.g. https://registry.example.org) in production when e-mail is sent: the "
                "links in e-mails start with it"
            )
        return self


def _on_loopback(url: str) -> bool:
    """Return whether ``url`` names this machine only (localhost or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
