"""compose.yaml: valid against the Compose specification, and the shape the README describes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

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


def test_it_runs_postgres_redis_the_api_and_one_projector() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api", "projector"}
    assert services["api"]["command"][:2] == ["clientes", "serve"]
    assert "--no-projector" in services["api"]["command"]
    assert services["projector"]["command"] == ["clientes", "project"]


def test_the_api_and_projector_are_configured_for_postgres_and_redis() -> None:
    services = compose()["services"]
    for name in ("api", "projector"):
        env = services[name]["environment"]
        assert env["CLIENTES_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["CLIENTES_DATABASE_URL"]
        assert env["CLIENTES_REDIS_URL"].startswith("redis://redis:6379")
    assert "CLIENTES_JWT_SECRET" in services["api"]["environment"]


def test_the_readme_describes_this_production_shape() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up" in readme
    for service in compose()["services"]:
        assert f"`{service}`" in readme
