"""The `clientes` command, run as a user runs it."""

from __future__ import annotations

import stat
import subprocess
import tomllib
from pathlib import Path

import httpx
import jwt
import pytest

from projections.replay import BATCH_SIZE
from stores import Store
from tests.cli_support import bare_env, clientes
from tests.conftest import POSTGRES_URL, SECRET
from tests.server import CLIENTES, Server, server_env
from tests.support import body

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_token_prints_a_token_for_the_configured_secret() -> None:
    result = clientes(
        "token",
        "--sub",
        "ana",
        "--ttl",
        "120",
        "--scope",
        "clientes:read",
        env=bare_env(CLIENTES_JWT_SECRET=SECRET, CLIENTES_DATABASE_URL=POSTGRES_URL),
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "ana"
    assert claims["scope"] == "clientes:read"
    assert claims["exp"] - claims["iat"] == 120


def test_token_defaults_to_both_scopes_for_an_hour() -> None:
    result = clientes("token", "--sub", "ana", env=bare_env(CLIENTES_JWT_SECRET=SECRET))
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["scope"] == "clientes:read clientes:write"
    assert claims["exp"] - claims["iat"] == 3600


def test_on_the_embedded_store_the_server_makes_the_secret_once_private_and_token_uses_it(
    tmp_path: Path,
) -> None:
    env = bare_env()
    secret_file = tmp_path / "var" / "jwt-secret"
    server = Server(env, cwd=tmp_path, port_by_env=True)
    with server:
        secret = secret_file.read_text().strip()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret.encode()) >= 32
    with server:
        assert secret_file.read_text().strip() == secret
    result = clientes("token", "--sub", "ana", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"])["sub"] == "ana"
    assert result.stdout.count("\n") == 1  # the token alone
    assert str(secret_file) in result.stderr


def test_token_never_makes_the_secret(tmp_path: Path) -> None:
    result = clientes("token", "--sub", "ana", env=bare_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for words in (str(tmp_path / "var" / "jwt-secret"), "clientes serve", "CLIENTES_JWT_SECRET"):
        assert words in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "arguments",
    [
        ["--ttl", "-5"],
        ["--ttl", "0"],
        ["--ttl", "soon"],
        ["--scope", "clientes:admin"],
        ["--scope", "clientes:read clientes:admin"],
        ["--scope", ""],
        ["--scope", "  "],
        ["--sub", ""],
        ["--sub", "  "],
    ],
    ids="=".join,
)
def test_token_refuses_what_no_token_should_carry(arguments: list[str]) -> None:
    result = clientes("token", "--sub", "ana", *arguments, env=bare_env(CLIENTES_JWT_SECRET=SECRET))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"argument {arguments[0]}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_token_trims_the_subject() -> None:
    result = clientes("token", "--sub", " ana ", env=bare_env(CLIENTES_JWT_SECRET=SECRET))
    assert jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])["sub"] == "ana"


def test_the_dev_secret_lets_a_new_user_call_the_api_at_once(tmp_path: Path) -> None:
    env = bare_env()
    with Server(env, cwd=tmp_path, port_by_env=True) as server:
        token = clientes("token", "--sub", "ana", env=env, cwd=tmp_path).stdout.strip()
        response = httpx.post(
            f"{server.url}/api/clientes", json=body(), headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 201
    assert (tmp_path / "var" / "clientes.sqlite3").exists()


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_postgres_without_a_proper_secret_stops_start_up_with_a_clear_error(
    secret: str | None,
) -> None:
    env = bare_env(CLIENTES_DATABASE_URL=POSTGRES_URL, CLIENTES_PORT="1")
    if secret:
        env["CLIENTES_JWT_SECRET"] = secret
    result = clientes("serve", env=env)
    assert result.returncode != 0
    assert "CLIENTES_JWT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_database_url_is_a_clear_error() -> None:
    result = clientes("token", "--sub", "x", env=bare_env(CLIENTES_DATABASE_URL="mysql://db/x"))
    assert result.returncode != 0
    assert "CLIENTES_DATABASE_URL" in result.stderr


HELP = {
    "": ["serve", "project", "replay", "token", "tail", "CLIENTES_"],
    "serve": ["(default: 1)", "(default: CLIENTES_HOST, else 127.0.0.1)", "CLIENTES_PORT"],
    "project": ["Run the projector alone."],
    "replay": [f"(default: {BATCH_SIZE})"],
    "token": ["(default: clientes:read clientes:write)", "(default: 3600)"],
    "tail": ["(default: clientes-tail)", "(default: 100)", "(default: HOSTNAME-PID,"],
}


@pytest.mark.parametrize(("command", "words"), HELP.items(), ids=list(HELP))
def test_help_shows_the_defaults_in_plain_text(command: str, words: list[str]) -> None:
    result = clientes(*command.split(), "--help", env=bare_env(COLUMNS="200"))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text
    assert "``" not in text
    assert "`" not in text
    assert "default: None" not in text


def refused_in_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """The command stopped with status 2 and one line on stderr holding ``words``."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr


STARTING = ["serve", "project", "replay"]


UNUSABLE_STORES = {
    "unreachable": (
        {"CLIENTES_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"},
        ["CLIENTES_DATABASE_URL", "127.0.0.1:1", "Connection refused"],
    ),
    "missing schema": pytest.param(
        {"CLIENTES_DATABASE_URL": POSTGRES_URL, "CLIENTES_DATABASE_SCHEMA": "no_such_schema"},
        ["CLIENTES_DATABASE_SCHEMA", "'no_such_schema'", "CREATE SCHEMA"],
        marks=pytest.mark.postgres,
    ),
}


@pytest.mark.parametrize("command", STARTING)
@pytest.mark.parametrize(("settings", "words"), UNUSABLE_STORES.values(), ids=UNUSABLE_STORES)
def test_a_store_that_cannot_be_used_stops_start_up_in_one_line(
    command: str, settings: dict[str, str], words: list[str]
) -> None:
    result = clientes(command, env=bare_env(**settings, CLIENTES_JWT_SECRET=SECRET))
    refused_in_one_line(result, *words)


@pytest.mark.parametrize("command", STARTING)
def test_a_url_password_with_a_raw_slash_stops_start_up_in_one_line(command: str) -> None:
    url = "postgresql://postgres:se/cret@127.0.0.1:5432/test"
    env = bare_env(CLIENTES_DATABASE_URL=url, CLIENTES_JWT_SECRET=SECRET)
    result = clientes(command, env=env)
    refused_in_one_line(
        result, "CLIENTES_DATABASE_URL", "percent-encode", "CLIENTES_DATABASE_PASSWORD"
    )
    assert "se/cret" not in result.stderr


def test_a_sqlite_directory_that_cannot_be_made_stops_start_up_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").touch()
    env = bare_env(CLIENTES_DATABASE_URL=f"sqlite:///{tmp_path}/a-file/clientes.sqlite3")
    refused_in_one_line(clientes("project", env=env), "CLIENTES_DATABASE_URL", "a-file")


def test_the_api_and_a_separate_projector_serve_reads_of_writes(store: Store) -> None:
    env = server_env(store, SECRET)
    projector = subprocess.Popen([str(CLIENTES), "project"], env=env, stderr=subprocess.DEVNULL)
    try:
        with Server(env, "--no-projector", "--workers", "2") as server:
            token = clientes("token", "--sub", "ana", env=env).stdout.strip()
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(10):
                created = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers)
                assert created.status_code == 201, created.text
                read = httpx.get(f"{server.url}{created.headers['location']}", headers=headers)
                assert read.json() == created.json()
    finally:
        projector.terminate()
        assert projector.wait(timeout=15) == 0


def test_version_names_the_release_of_the_changelog() -> None:
    result = clientes("--version", env=bare_env())
    assert result.returncode == 0, result.stderr
    release = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert result.stdout == f"clientes {release}\n"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{release}] - " in changelog
