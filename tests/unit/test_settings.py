"""Settings of the case files: the DICOM UID salt and its production check."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from printreg.settings import Settings

SECRET = "s" * 40


def test_the_uid_salt_is_derived_from_the_secret_key_when_empty() -> None:
    one = Settings(database_url="sqlite://", secret_key=SECRET)
    other = Settings(database_url="sqlite://", secret_key="t" * 40)
    assert one.dicom_uid_key() != other.dicom_uid_key()
    assert (
        one.dicom_uid_key() == Settings(database_url="sqlite://", secret_key=SECRET).dicom_uid_key()
    )
    salted = Settings(database_url="sqlite://", dicom_uid_salt="x" * 32)
    assert salted.dicom_uid_key() == b"x" * 32


def test_production_needs_its_own_uid_salt() -> None:
    with pytest.raises(ValidationError, match="PRINTREG_DICOM_UID_SALT"):
        Settings(database_url="sqlite://", environment="production", secret_key=SECRET)
    with pytest.raises(ValidationError, match="PRINTREG_DICOM_UID_SALT"):
        Settings(
            database_url="sqlite://",
            environment="production",
            secret_key=SECRET,
            dicom_uid_salt="short",
        )
    ok = Settings(
        database_url="sqlite://",
        environment="production",
        secret_key=SECRET,
        dicom_uid_salt="u" * 32,
    )
    assert ok.dicom_uid_key() == b"u" * 32


def test_file_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTREG_MESH_MAX_BYTES", "2048")
    monkeypatch.setenv("PRINTREG_DICOM_DEIDENTIFY_ON_RECEIPT", "true")
    settings = Settings()
    assert settings.mesh_max_bytes == 2048
    assert settings.dicom_deidentify_on_receipt is True
    assert settings.mesh_max_triangles == 5_000_000
    monkeypatch.setenv("PRINTREG_MESH_VIEWER_FACES", "0")
    with pytest.raises(ValidationError, match="mesh_viewer_faces"):
        Settings()
