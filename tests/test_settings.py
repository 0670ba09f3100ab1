"""Settings read from the environment: what each variable accepts and what it refuses."""

from __future__ import annotations

import pytest

from api.settings import Settings, SettingsError


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ, with_secret=False)


@pytest.mark.parametrize("raw", ["off", "OFF", "false", "False", "no", "No", "0", " off "])
def test_the_projector_is_turned_off_in_any_usual_spelling(raw: str) -> None:
    assert settings(CLIENTES_PROJECTOR=raw).projector is False


@pytest.mark.parametrize("raw", ["on", "ON", "true", "True", "yes", "1", "in-process", ""])
def test_the_projector_runs_in_process_in_any_usual_spelling_or_when_empty(raw: str) -> None:
    assert settings(CLIENTES_PROJECTOR=raw).projector is True


def test_the_projector_runs_in_process_by_default() -> None:
    assert settings().projector is True


@pytest.mark.parametrize("raw", ["disabled", "2", "of", "nein"])
def test_another_projector_setting_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match=f"CLIENTES_PROJECTOR must be on or off .*{raw!r}"):
        settings(CLIENTES_PROJECTOR=raw)
