"""compose.yaml and the image it runs: valid, built once, and the shape the README describes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from psycopg.conninfo import conninfo_to_dict

from api.settings import DEFAULT_DATABASE_URL, Settings
from tests.stores import conninfo

ROOT = Path(__file__).resolve().parent.parent
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_yaml_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_postgres_redis_the_api_one_projector_and_the_daily_forget_keys() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api", "projector", "forget-keys"}
    assert services["api"]["command"][:2] == ["clientes", "serve"]
    assert "--no-projector" in services["api"]["command"]
    assert services["projector"]["command"] == ["clientes", "project"]
    assert services["forget-keys"]["command"] == ["clientes", "forget-keys", "--every", "86400"]


def test_every_container_drops_its_capabilities_and_may_not_gain_privileges() -> None:
    for name, service in compose()["services"].items():
        assert service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["read_only"] is True, name
        assert "/tmp" in service["tmpfs"], name
    for name in ("api", "projector", "forget-keys"):
        assert "cap_add" not in compose()["services"][name], name


def test_tokens_must_name_their_issuer_and_audience() -> None:
    for name in ("api", "projector", "forget-keys"):
        env = compose()["services"][name]["environment"]
        assert env["CLIENTES_JWT_ISSUER"], name
        assert env["CLIENTES_JWT_AUDIENCE"], name


def test_the_api_and_projector_are_configured_for_postgres_and_redis() -> None:
    services = compose()["services"]
    for name in ("api", "projector", "forget-keys"):
        env = services[name]["environment"]
        assert env["CLIENTES_DATABASE_URL"].startswith("postgresql://clientes@")
        assert env["CLIENTES_DATABASE_SCHEMA"] == "clientes"
        assert "@postgres:5432/" in env["CLIENTES_DATABASE_URL"]
        assert env["CLIENTES_REDIS_URL"].startswith("redis://redis:6379")
    assert "CLIENTES_JWT_SECRET" in services["api"]["environment"]


def test_the_readme_describes_this_production_shape() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up" in readme
    for service in compose()["services"]:
        assert f"`{service}`" in readme


def test_the_database_password_is_in_no_url_and_any_password_reaches_the_store() -> None:
    password = "p/a+s@s#w?o%rd"
    for name in ("api", "projector", "forget-keys"):
        env = compose()["services"][name]["environment"]
        assert "PASSWORD" not in env["CLIENTES_DATABASE_URL"]
        assert env["CLIENTES_DATABASE_PASSWORD"].startswith("${CLIENTES_DATABASE_PASSWORD:?")
        given = {"CLIENTES_DATABASE_PASSWORD": password, "CLIENTES_JWT_SECRET": "s" * 32}
        interpolated = {key: interpolate(value, given) for key, value in env.items()}
        settings = Settings.from_env(interpolated, with_secret=False)
        assert conninfo_to_dict(conninfo(settings.store))["password"] == password


def interpolate(value: str, given: dict[str, str]) -> str:
    """``value`` as compose makes it: ``${NAME:?message}`` is required, ``${NAME:-default}``
    has a default."""

    def variable(found: re.Match[str]) -> str:
        name, kind, fallback = found["name"], found["kind"], found["fallback"]
        if name in given:
            return given[name]
        assert kind == ":-", f"{name} is required"
        return str(fallback)

    return re.sub(r"\$\{(?P<name>[A-Z_]+)(?P<kind>:[?-])?(?P<fallback>[^}]*)\}", variable, value)


def test_one_service_builds_the_image_and_none_pulls_it() -> None:
    services = compose()["services"]
    assert [name for name, service in services.items() if "build" in service] == ["api"]
    assert services["projector"]["image"] == services["api"]["image"]
    assert services["api"]["pull_policy"] == "build"
    assert services["projector"]["pull_policy"] == "never"


Instruction = tuple[str, str]


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, stage by stage: (INSTRUCTION, arguments)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[Instruction]] = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            if instruction == "FROM":
                stages.append([])
            stages[-1].append((instruction, " ".join(arguments.split())))
    return stages


def commands(stage: list[Instruction]) -> list[str]:
    """The shell commands of a stage's RUN instructions, one for each ``&&``."""
    return [
        command.strip()
        for instruction, arguments in stage
        if instruction == "RUN"
        for command in arguments.split("&&")
    ]


def test_the_image_installs_from_lock_files_by_hash_and_builds_without_isolation() -> None:
    pip = [
        command
        for stage in dockerfile_stages()
        for command in commands(stage)
        if command.startswith("pip ")
    ]
    from_locks = [command for command in pip if " -r " in command]
    assert {command.split(" -r ")[1] for command in from_locks} == {
        "requirements.lock",
        "requirements-build.lock",
    }
    assert all("--require-hashes" in command for command in from_locks)
    (build,) = [command for command in pip if command.endswith(" .")]
    assert "--no-build-isolation" in build
    assert all("--no-deps" in command for command in pip)


def test_the_image_runs_as_a_user_of_its_own_who_owns_the_data_directory() -> None:
    final = dockerfile_stages()[-1]
    last = dict(final)  # the last of each instruction
    (useradd,) = [command for command in commands(final) if command.startswith("useradd ")]
    words = useradd.split()
    name, uid = words[-1], words[words.index("--uid") + 1]
    user = last["USER"].split(":")[0]
    assert user in (name, uid)
    assert user not in ("root", "0", "nobody", "65534")
    data = PurePosixPath(last["WORKDIR"], DEFAULT_DATABASE_URL.removeprefix("sqlite:///")).parent
    assert last["VOLUME"] == str(data)
    (chown,) = [command for command in commands(final) if command.startswith("chown ")]
    owner, directory = chown.split()[1:]
    assert owner.split(":")[0] in (name, uid)
    assert PurePosixPath(last["WORKDIR"], directory) == data


def test_what_the_image_copies_is_in_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for stage in dockerfile_stages():
        for instruction, arguments in stage:
            if instruction == "COPY" and not arguments.startswith("--from"):
                for source in arguments.split()[:-1]:
                    assert (ROOT / source).exists(), source
                    assert source not in ignored, source
