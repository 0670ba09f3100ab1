"""Settings read from the environment: what each variable accepts and what it refuses."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from api.settings import ConfigError, Settings
from tests.stores import conninfo


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
    with pytest.raises(ConfigError, match=f"CLIENTES_PROJECTOR must be on or off .*{raw!r}"):
        settings(CLIENTES_PROJECTOR=raw)


def test_a_percent_encoded_password_reaches_the_connection_decoded() -> None:
    store = settings(
        CLIENTES_DATABASE_URL="postgresql://clientes:p%2Fa%2Bs%40s%23w%3Fo%25rd@db.example:6543/app"
    ).store
    expected = {"host": "db.example", "port": "6543", "user": "clientes", "dbname": "app"}
    assert conninfo_to_dict(conninfo(store)) == {**expected, "password": "p/a+s@s#w?o%rd"}
    assert store.env["POSTGRES_PASSWORD"] == "p/a+s@s#w?o%rd"


@pytest.mark.parametrize("url_password", ["", ":in-the-url"])
def test_clientes_database_password_is_the_password_whatever_the_url_says(
    url_password: str,
) -> None:
    store = settings(
        CLIENTES_DATABASE_URL=f"postgresql://clientes{url_password}@postgres:5432/clientes",
        CLIENTES_DATABASE_PASSWORD="s/e+c@r#e?t%",
    ).store
    assert conninfo_to_dict(conninfo(store))["password"] == "s/e+c@r#e?t%"
    assert store.env["POSTGRES_PASSWORD"] == "s/e+c@r#e?t%"


@pytest.mark.parametrize("password", ["ab/cd", "12/cd", "ab#cd", "12#cd", "ab?cd", "[abcd", "a/b#"])
def test_a_raw_special_character_in_the_url_password_says_what_to_do(password: str) -> None:
    url = f"postgresql://clientes:{password}@postgres:5432/clientes"
    with pytest.raises(ConfigError) as refused:
        settings(CLIENTES_DATABASE_URL=url)
    message = str(refused.value)
    assert message.startswith("CLIENTES_DATABASE_URL ")
    assert "percent-encode" in message
    assert "CLIENTES_DATABASE_PASSWORD" in message
    assert password not in message
    assert "\n" not in message


def test_a_raw_at_sign_in_the_url_password_is_read_as_meant() -> None:
    store = settings(CLIENTES_DATABASE_URL="postgresql://clientes:p@ss+@postgres/clientes").store
    assert conninfo_to_dict(conninfo(store))["password"] == "p@ss+"
    assert conninfo_to_dict(conninfo(store))["host"] == "postgres"
