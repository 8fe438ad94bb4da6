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


@pytest.mark.parametrize(
    ("public_url", "refused"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]/printreg", True),
        ("https://registry.example.org", False),
        ("https://10.1.2.3/printreg", False),
    ],
)
def test_production_e_mail_needs_a_public_address(public_url: str, refused: bool) -> None:
    values = {"environment": "production", "secret_key": SECRET, "dicom_uid_salt": "u" * 32,
              "smtp_host": "smtp.example.org", "public_url": public_url}  # fmt: skip
    if refused:
        with pytest.raises(ValidationError, match="PRINTREG_PUBLIC_URL"):
            Settings(database_url="sqlite://", **values)  # type: ignore[arg-type]
    else:
        assert Settings(database_url="sqlite://", **values).public_url == public_url  # type: ignore[arg-type]
    # without e-mail, or outside production, the address is not needed
    Settings(database_url="sqlite://", **{**values, "smtp_host": ""})  # type: ignore[arg-type]
    Settings(database_url="sqlite://", **{**values, "environment": "development"})  # type: ignore[arg-type]


def test_single_sign_on_settings_must_let_someone_sign_in() -> None:
    sso = {"oidc_issuer": "https://login.example.org", "oidc_client_id": "printreg",
           "oidc_client_secret": "s" * 20}  # fmt: skip
    assert Settings(database_url="sqlite://", **sso).single_sign_on  # type: ignore[arg-type]
    assert not Settings(database_url="sqlite://").single_sign_on
    with pytest.raises(ValidationError, match="PRINTREG_OIDC_CLIENT_SECRET"):
        Settings(database_url="sqlite://", **{**sso, "oidc_client_secret": ""})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs single sign-on"):
        Settings(database_url="sqlite://", password_sign_in=False)
    Settings(database_url="sqlite://", password_sign_in=False, **sso)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="oidc_scopes"):
        Settings(database_url="sqlite://", oidc_scopes="email profile", **sso)  # type: ignore[arg-type]
    production = {"environment": "production", "secret_key": SECRET, "dicom_uid_salt": "u" * 32,
                  "public_url": "https://registry.example.org", **sso}  # fmt: skip
    Settings(database_url="sqlite://", **production)  # type: ignore[arg-type]
    for unsafe in ({"oidc_issuer": "http://login.example.org"},
                   {"public_url": "http://127.0.0.1:8000"}):  # fmt: skip
        with pytest.raises(ValidationError, match="PRINTREG_OIDC_ISSUER must be an https"):
            Settings(database_url="sqlite://", **{**production, **unsafe})  # type: ignore[arg-type]
