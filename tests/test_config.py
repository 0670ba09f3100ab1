"""The configuration: every bad variable reported at once, and `clientes config` masking secrets."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.settings import Config, ConfigError, Settings
from commands import Cliente, Clientes
from stores import Store
from tests.cli_support import bare_env, clientes
from tests.conftest import SECRET
from tests.server import Server, bearer, server_env
from tests.support import body

BAD = {
    "CLIENTES_PORT": "0",
    "CLIENTES_REDIS_MAXLEN": "many",
    "CLIENTES_WRITE_TIMEOUT": "-1",
    "CLIENTES_METRICS": "perhaps",
    "CLIENTES_READY_MAX_LAG_SECONDS": "0",
    "CLIENTES_REDIS_URL": "http://127.0.0.1:6379",
    "CLIENTES_JWT_PREVIOUS_SECRET": "short",
    "CLIENTES_DATABASE_URL": "mysql://db/x",
}


def test_every_bad_variable_is_reported_at_once_one_line_each() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(BAD)
    problems = refused.value.problems
    assert len(problems) == len(BAD)
    for variable, problem in zip(sorted(BAD), sorted(problems), strict=True):
        assert problem.startswith(f"{variable} ")
        assert "\n" not in problem
    assert not any("short" in problem for problem in problems)  # a secret is never echoed


@pytest.mark.slow
def test_start_up_refuses_every_bad_variable_at_once_without_a_traceback(tmp_path: Path) -> None:
    result = clientes("serve", env=bare_env(**BAD), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(BAD)


def test_the_variables_are_read_with_their_types_and_defaults() -> None:
    config = Config.from_env(
        {"CLIENTES_CORS_ORIGINS": "https://a.example, https://b.example", "CLIENTES_PORT": "9000"}
    )
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.port == 9000
    assert config.metrics is True
    assert Config.from_env({"CLIENTES_METRICS": "off"}).metrics is False
    assert config.access_log is True
    assert Config.from_env({"CLIENTES_ACCESS_LOG": "off"}).access_log is False


@pytest.mark.slow
def test_clientes_config_prints_the_effective_configuration_and_never_a_secret() -> None:
    env = bare_env(
        CLIENTES_DATABASE_URL="postgresql://clientes:url-password@db.example/clientes",
        CLIENTES_DATABASE_PASSWORD="the-database-password",
        CLIENTES_JWT_SECRET=SECRET,
        CLIENTES_JWT_PREVIOUS_SECRET="previous-" + "p" * 40,
        CLIENTES_PORT="9001",
    )
    result = clientes("config", env=env)
    assert result.returncode == 0, result.stderr
    shown = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert shown["CLIENTES_PORT"] == "9001"
    assert shown["CLIENTES_JWT_SECRET"] == "********"
    assert shown["CLIENTES_DATABASE_URL"] == "postgresql://clientes:********@db.example/clientes"
    for secret in ("url-password", "the-database-password", SECRET, "p" * 40):
        assert secret not in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLIENTES_REDIS_URL", "http://user:S3cretRedisPw@redis.example:6379/0"),
        ("CLIENTES_REDIS_URL", "redis//user:S3cretRedisPw@redis.example"),
        ("CLIENTES_DATABASE_URL", "mysql://user:S3cretRedisPw@db.example/x"),
        ("CLIENTES_DATABASE_URL", "postgresql://user:S3cretRedisPw@db.example:port/x"),
    ],
)
def test_a_password_in_a_refused_url_is_never_shown(variable: str, value: str) -> None:
    for command in ("config", "serve"):
        result = clientes(command, env=bare_env(**{variable: value}))
        assert result.returncode == 2
        assert variable in result.stderr
        assert "S3cretRedisPw" not in result.stdout + result.stderr


@pytest.mark.slow
def test_clientes_config_refuses_a_bad_configuration_as_start_up_does() -> None:
    result = clientes("config", env=bare_env(CLIENTES_PORT="eighty"))
    assert result.returncode == 2
    assert result.stderr.strip() == "clientes: CLIENTES_PORT must be a whole number, not 'eighty'"


def secret_file(directory: Path, name: str, text: str) -> Path:
    """A mounted secret as Docker and Kubernetes write it: the value and a line end."""
    path = directory / name
    path.write_text(f"{text}\n")
    return path


def test_each_secret_and_url_may_come_from_the_file_its_file_variable_names(
    tmp_path: Path,
) -> None:
    values = {
        "CLIENTES_JWT_SECRET": SECRET,
        "CLIENTES_JWT_PREVIOUS_SECRET": "previous-" + "p" * 40,
        "CLIENTES_DATABASE_URL": "postgresql://clientes@db.example/clientes",
        "CLIENTES_DATABASE_PASSWORD": "pass word",
        "CLIENTES_REDIS_URL": "redis://:redis-password@redis.example:6379/0",
    }
    files = {
        f"{variable}_FILE": str(secret_file(tmp_path, variable.lower(), value))
        for variable, value in values.items()
    }
    assert Config.from_env(files) == Config.from_env(values)
    assert Config.from_env(values).jwt_secret == SECRET


@pytest.mark.slow
def test_a_variable_and_its_file_set_together_or_a_file_unreadable_are_refused(
    tmp_path: Path,
) -> None:
    given = secret_file(tmp_path, "secret", SECRET)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError) as refused:
        Config.from_env(
            {
                "CLIENTES_JWT_SECRET": SECRET,
                "CLIENTES_JWT_SECRET_FILE": str(given),
                "CLIENTES_REDIS_URL_FILE": str(tmp_path / "missing"),
                "CLIENTES_DATABASE_PASSWORD_FILE": str(empty),
            }
        )
    assert refused.value.problems == [
        f"CLIENTES_DATABASE_PASSWORD_FILE names '{empty}', which is empty",
        "CLIENTES_JWT_SECRET and CLIENTES_JWT_SECRET_FILE are both set: set one of them",
        f"CLIENTES_REDIS_URL_FILE names '{tmp_path / 'missing'}', which cannot be read: "
        "No such file or directory",
    ]
    # A bad value from a file is refused as the variable's own would be, unquoted.
    bad_url = secret_file(tmp_path, "url", "http://user:S3cretRedisPw@redis.example")
    result = clientes("config", env=bare_env(CLIENTES_REDIS_URL_FILE=str(bad_url)))
    assert result.returncode == 2
    assert result.stderr.startswith("clientes: CLIENTES_REDIS_URL ")
    assert "S3cretRedisPw" not in result.stderr


@pytest.mark.slow
def test_a_server_reads_its_store_and_its_secret_from_files(store: Store, tmp_path: Path) -> None:
    env = server_env(store, SECRET)
    for variable in ("CLIENTES_DATABASE_URL", "CLIENTES_JWT_SECRET"):
        env[f"{variable}_FILE"] = str(secret_file(tmp_path, variable.lower(), env.pop(variable)))
    sent = body()
    with Server(env) as server:
        created = httpx.post(f"{server.url}/api/clientes", json=sent, headers=bearer(store, SECRET))
        assert created.status_code == 201, created.text
    # The Cliente is in the store the file names.
    clientes_app = Clientes(env=store.env)
    try:
        stored: Cliente = clientes_app.repository.get(Cliente.create_id(created.json()["id"]))
    finally:
        clientes_app.close()
    assert stored.datos.codigo_cliente == sent["codigoCliente"]
