"""compose.yaml and the image it runs: valid, built once, and the shape the README describes."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml
from psycopg.conninfo import conninfo_to_dict

from api.cli import parser, project
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
    assert set(services) == {"postgres", "redis", "api", "proxy", "projector", "forget-keys"}
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
    assert compose()["services"]["proxy"]["cap_add"] == ["NET_BIND_SERVICE"]  # 80 and 443


def test_every_container_has_a_memory_limit_and_a_rotated_log() -> None:
    for name, service in compose()["services"].items():
        limits = service["deploy"]["resources"]["limits"]
        assert re.fullmatch(r"\d+[mg]", limits["memory"]), name
        assert float(limits["cpus"]) > 0, name
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"]["max-size"], name
        assert int(service["logging"]["options"]["max-file"]) >= 2, name


def test_every_image_is_pinned_to_an_exact_release() -> None:
    # A release, not a series: postgres:16.6 (PostgreSQL's releases have two numbers),
    # redis:7.4.1; never postgres:16 or latest.
    exact = re.compile(r"[a-z]+:\d+\.\d+(\.\d+)?(-[a-z]+)*")
    pulled = [s["image"] for s in compose()["services"].values() if "pull_policy" not in s]
    assert len(pulled) == 3  # postgres, redis and the proxy; the service's own is built
    for image in pulled:
        assert exact.fullmatch(image), image
    for stage in dockerfile_stages():
        base = stage[0][1].split()[0]
        assert exact.fullmatch(base), base


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
        assert env["CLIENTES_REDIS_URL"].endswith("@redis:6379/0")
    assert "CLIENTES_JWT_SECRET_FILE" in services["api"]["environment"]


def test_the_readme_describes_this_production_shape() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up" in readme
    for service in compose()["services"]:
        assert f"`{service}`" in readme


GIVEN = {"REDIS_PASSWORD": "r3disPassw0rd", "CLIENTES_JWT_SECRET": "s" * 32}


def test_the_secrets_are_files_and_any_database_password_reaches_the_store(
    tmp_path: Path,
) -> None:
    """Each service reads its secrets from the files compose mounts in /run/secrets;
    here, from files of the same names in a directory of the test's own."""
    password = "p/a+s@s#w?o%rd"
    declared = compose()["secrets"]
    for name in ("api", "projector", "forget-keys"):
        service = compose()["services"][name]
        env = {key: interpolate(value, GIVEN) for key, value in service["environment"].items()}
        assert "PASSWORD" not in env["CLIENTES_DATABASE_URL"]
        files = {key: value for key, value in env.items() if key.endswith("_FILE")}
        assert "CLIENTES_DATABASE_PASSWORD_FILE" in files
        for variable, path in files.items():
            secret = PurePosixPath(path)
            assert secret.parent == PurePosixPath("/run/secrets"), variable
            assert secret.name in service["secrets"], variable  # mounted where it is read
            made_from = declared[secret.name]["environment"]
            assert made_from == variable.removesuffix("_FILE"), variable
            (tmp_path / secret.name).write_text(GIVEN.get(made_from, password) + "\n")
            env[variable] = str(tmp_path / secret.name)
        settings = Settings.from_env(env, with_secret=False)
        assert conninfo_to_dict(conninfo(settings.store))["password"] == password
    assert "jwt_secret" in compose()["services"]["api"]["secrets"]


def test_redis_needs_the_password_the_service_s_url_carries() -> None:
    services = compose()["services"]
    conf = interpolate(compose()["configs"]["redis-conf"]["content"], GIVEN)
    assert f"requirepass {GIVEN['REDIS_PASSWORD']}\n" in conf
    assert services["redis"]["command"][-1] == services["redis"]["configs"][0]["target"]
    assert "ports" not in services["redis"]  # on the compose network only
    for name in ("api", "projector", "forget-keys"):
        url = interpolate(services[name]["environment"]["CLIENTES_REDIS_URL"], GIVEN)
        assert urlsplit(url).password == GIVEN["REDIS_PASSWORD"]
    assert (
        interpolate(services["redis"]["environment"]["REDISCLI_AUTH"], GIVEN)
        == (GIVEN["REDIS_PASSWORD"])
    )


def test_the_api_is_published_on_the_loopback_and_reached_through_the_tls_proxy() -> None:
    services = compose()["services"]
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    command = services["api"]["command"]
    port = command[command.index("--port") + 1]
    caddyfile = interpolate(compose()["configs"]["caddyfile"]["content"], {})
    assert f"reverse_proxy api:{port}" in caddyfile
    assert "tls {$CLIENTES_TLS}" in caddyfile
    assert services["proxy"]["environment"]["CLIENTES_TLS"] == "${CLIENTES_TLS:-internal}"
    assert set(services["proxy"]["ports"]) == {"443:443", "80:80"}
    assert services["proxy"]["configs"][0]["target"] == "/etc/caddy/Caddyfile"


def test_the_projector_s_health_check_is_a_command_clientes_has() -> None:
    check = compose()["services"]["projector"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "clientes"]
    args = parser().parse_args(check[2:])
    assert args.run is project.run
    assert args.health is True


def interpolate(value: str, given: dict[str, str]) -> str:
    """``value`` as compose makes it: ``${NAME:?message}`` is required, ``${NAME:-default}``
    has a default."""

    def variable(found: re.Match[str]) -> str:
        name, kind, fallback = found["name"], found["kind"], found["fallback"]
        if name in given:
            return given[name]
        assert kind == ":-", f"{name} is required"
        return str(fallback)

    # $$ is a dollar sign, left for the container to read.
    pattern = r"(?<!\$)\$\{(?P<name>[A-Z_]+)(?P<kind>:[?-])?(?P<fallback>[^}]*)\}"
    return re.sub(pattern, variable, value).replace("$$", "$")


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


def test_the_image_copies_every_package_the_wheel_holds() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    build = dockerfile_stages()[0]
    copied = {arguments.split()[0] for instruction, arguments in build if instruction == "COPY"}
    assert set(packages) <= copied


def test_what_the_image_copies_is_in_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for stage in dockerfile_stages():
        for instruction, arguments in stage:
            if instruction == "COPY" and not arguments.startswith("--from"):
                for source in arguments.split()[:-1]:
                    assert (ROOT / source).exists(), source
                    assert source not in ignored, source
