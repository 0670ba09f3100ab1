"""A read table made by an older release, brought to this release's columns at start.

Each store's fixture (tests/fixtures/older_read_table/) holds the read table and
its count tables as an older release made them, with one Cliente, whose event
is stored in the first release's shape beside them. A column the table lacks
that admits null is added, empty, and the service starts on the table as it
is; one that every row needs cannot be filled in, and start-up refuses, in one
line that names `clientes replay`, until a replay has made the table anew.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

from api.bootstrap import bootstrap
from api.http.app import create_app
from api.settings import Settings
from commands import Clientes
from stores import Store, StoreUnusable
from stores.postgres import PostgresStore
from stores.sqlite import SQLiteStore
from tests.cli_support import clientes
from tests.conftest import SECRET
from tests.server import server_env
from tests.stores import execute
from tests.test_schema_versions import store_first_release_event

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "older_read_table"
CLIENTE = "/api/clientes/41"  # the fixtures' one Cliente


def load_older_release(store: Store, fixture: str) -> None:
    """The first release's event of Cliente 41, and the read table ``fixture`` of the
    store's kind holds, as an older release made it of that event."""
    with store.creating_tables():
        application = Clientes(env=store.env)  # creates the event store's tables alone
    try:
        store_first_release_event(application, 41)
    finally:
        application.close()
    kind = "sqlite" if isinstance(store, SQLiteStore) else "postgres"
    text = (FIXTURES / f"{kind}_{fixture}.sql").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("--")]
    execute(store, *(s for s in "\n".join(lines).split(";\n") if s.strip()))


def nullable_columns(store: Store) -> dict[str, bool]:
    """Each column of the read table, and whether it admits null."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            query = "SELECT name, \"notnull\" FROM pragma_table_info('clientes')"
            return {name: not notnull for name, notnull in conn.execute(query)}
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.conninfo) as conn:
        query = (
            "SELECT column_name, is_nullable FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = 'clientes'"
        )
        return {name: null == "YES" for name, null in conn.execute(query, (store.schema,))}


def test_a_new_optional_column_is_added_at_start_and_the_old_row_is_served(
    store: Store, settings: Settings, auth: dict[str, str]
) -> None:
    load_older_release(store, "without_contacto_representante")
    with TestClient(create_app(settings)) as client:  # starts as `clientes serve` does
        response = client.get(CLIENTE, headers=auth)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"1"'
        served = response.json()
        assert (served["nombre"], served["contactoRepresentante"]) == ("Desde la versión 1", None)
        assert served["fechaCreacion"].startswith("2026-01-05T09:30:00")
        listed = client.get("/api/clientes?q=version", headers=auth).json()
        assert [c["id"] for c in listed["content"]] == [41]
        # The projector writes the new column too.
        changed = client.patch(CLIENTE, json={"contactoRepresentante": "Rosa"}, headers=auth)
        assert changed.status_code == 200, changed.text
        read_again = client.get(CLIENTE, headers=auth).json()
        assert (read_again["contactoRepresentante"], read_again["version"]) == ("Rosa", 2)
    assert nullable_columns(store)["contacto_representante"] is True
    assert clientes("replay", "--check", env=server_env(store, SECRET)).returncode == 0


def test_a_missing_column_every_row_needs_refuses_start_until_a_replay(
    store: Store, settings: Settings, auth: dict[str, str]
) -> None:
    load_older_release(store, "without_version")
    env = server_env(store, SECRET)
    for command in (["serve"], ["project"], ["replay", "--check"]):
        refused = clientes(*command, env=env)
        assert refused.returncode == 2, (command, refused.stderr)
        assert refused.stdout == ""
        [line] = refused.stderr.splitlines()  # one line, no traceback
        assert line.startswith("clientes: the read table clientes lacks the column(s) version")
        assert "run `clientes replay`" in line
    with pytest.raises(StoreUnusable, match="clientes replay"):
        bootstrap(settings, api=False, projector=False)
    assert "version" not in nullable_columns(store)  # left as it was, for the replay

    replay = clientes("replay", env=env)
    assert replay.returncode == 0, replay.stderr
    assert nullable_columns(store)["version"] is False
    with TestClient(create_app(settings)) as client:
        served = client.get(CLIENTE, headers=auth).json()
        assert (served["nombre"], served["version"]) == ("Desde la versión 1", 1)
        assert client.get("/api/clientes", headers=auth).json()["totalElements"] == 1
    assert clientes("replay", "--check", env=env).returncode == 0


def test_a_table_without_rows_takes_any_missing_column_as_declared(
    store: Store, settings: Settings
) -> None:
    load_older_release(store, "without_version")
    execute(store, "DELETE FROM clientes", "DELETE FROM clientes_counts")
    services = bootstrap(settings, api=False, projector=False)
    try:
        assert services.view.get(41) is None
    finally:
        services.close()
    assert nullable_columns(store)["version"] is False
