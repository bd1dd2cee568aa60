from __future__ import annotations

import pytest
from pydantic import SecretStr

from cwsync.config import InsecureSettingsError, Settings
from cwsync.security.encryption import generate_key


def test_production_refuses_default_secrets_and_names_them() -> None:
    with pytest.raises(InsecureSettingsError) as info:
        Settings(env="production").check_production()
    assert "CWSYNC_ADMIN_TOKEN" in str(info.value)
    assert "CWSYNC_ENCRYPTION_KEYS" in str(info.value)


def test_production_names_only_what_is_missing() -> None:
    settings = Settings(env="production", admin_token=SecretStr("a-real-admin-token"))
    with pytest.raises(InsecureSettingsError) as info:
        settings.check_production()
    assert "CWSYNC_ENCRYPTION_KEYS" in str(info.value)
    assert "CWSYNC_ADMIN_TOKEN" not in str(info.value)


def test_production_with_real_secrets_starts() -> None:
    Settings(
        env="production",
        admin_token=SecretStr("a-real-admin-token"),
        encryption_keys=SecretStr(f"{generate_key()},{generate_key()}"),
    ).check_production()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CWSYNC_CW_CONCURRENCY", "7")
    monkeypatch.setenv("CWSYNC_CW_ALLOWED_HOSTS", "a.example.test, *.b.example.test")
    settings = Settings()
    assert settings.cw_concurrency == 7
    assert settings.allowed_host_patterns == ["a.example.test", "*.b.example.test"]
    assert "sqlite" in settings.database_url
