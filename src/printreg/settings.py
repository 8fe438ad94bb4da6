"""One typed settings object, read from PRINTREG_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    page_size: int = Field(default=50, ge=1, le=1000, description="Default cases per list page.")
