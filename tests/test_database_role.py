"""The role compose.yaml makes for the service: it owns its schema and nothing else, and
the service runs on it, searches included."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from api.http.app import create_app
from api.settings import Settings
from stores import store_from_url
from tests.conftest import POSTGRES_URL, SECRET
from tests.stores import conninfo
from tests.support import body
from tests.test_compose import compose

pytestmark = pytest.mark.postgres


def role_statements() -> str:
    """The SQL that compose.yaml's init script hands to psql."""
    script: str = compose()["configs"]["clientes-role"]["content"]
    return script.split("<<'SQL'\n", 1)[1].rsplit("SQL\n", 1)[0]


@pytest.fixture
def role() -> Iterator[str]:
    """A database of the test's own, set up by the script as the administrator, and the
    role it made (the database's name: roles are the whole server's)."""
    name = f"test_role_{uuid.uuid4().hex[:10]}"
    admin = conninfo(store_from_url(POSTGRES_URL))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = psycopg.conninfo.conninfo_to_dict(admin)
    ran = subprocess.run(
        [
            "psql",
            "-v", "ON_ERROR_STOP=1",
            "-v", f"role={name}",
            "-v", "password=not-used-with-trust",
            "--host", str(params["host"]),
            "--port", str(params["port"]),
            "--username", str(params["user"]),
            "--dbname", name,
        ],
        input=role_statements(),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    try:
        assert ran.returncode == 0, ran.stderr
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def as_role(role: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(conninfo(store_from_url(POSTGRES_URL)))
    return f"postgresql://{role}@{params['host']}:{params['port']}/{role}"


def test_the_role_may_do_nothing_but_own_its_schema(role: str) -> None:
    with psycopg.connect(psycopg.conninfo.make_conninfo(as_role(role)), autocommit=True) as conn:
        flags = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert flags == (False, False, False, False, False)
        owned = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = current_user)"
        ).fetchall()
        assert owned == [(role,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.intruder (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE SCHEMA another")


def test_the_service_runs_on_the_role_searches_included(role: str) -> None:
    settings = Settings(store=store_from_url(as_role(role), role), jwt_secret=SECRET)
    from api.http.auth import READ, WRITE, mint_token  # noqa: PLC0415

    auth = {"Authorization": f"Bearer {mint_token(settings, 'ana', f'{READ} {WRITE}', 60)}"}
    with TestClient(create_app(settings)) as client:
        created: dict[str, Any] = client.post(
            "/api/clientes", json=body(nombre="Rosa Huamán"), headers=auth
        ).json()
        assert client.get(f"/api/clientes/{created['id']}", headers=auth).status_code == 200
        found = client.get("/api/clientes", params={"q": "huaman"}, headers=auth).json()
        assert [cliente["id"] for cliente in found["content"]] == [created["id"]]
