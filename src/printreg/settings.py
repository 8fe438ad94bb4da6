"""One typed settings object, read from PRINTREG_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production


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
        description="Failed sign-ins in a row before the account backs off.",
    )
    lockout_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="Minutes an account is locked after too many failures.",
    )
    token_max_days: int = Field(
        default=365, ge=1, le=3650, description="Longest lifetime an API token may be given."
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (HTTPS only); always on in production."
    )
    data_dir: str = Field(
        default="./printreg-data",
        description="Folder for uploaded import files and their error files "
        "(<data_dir>/imports/<job id>/).",
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
        description="Released aggregates hide every count from 1 to this value minus one.",
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

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "PRINTREG_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )
        return self
