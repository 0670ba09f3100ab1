"""A PostgreSQL database of the run's own: created at the start, dropped at the end."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import psycopg

from stores import store_from_url
from stores.postgres import PostgresStore

SERVER_URL = os.environ.get(
    "CLIENTES_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def conninfo(url: str) -> str:
    return cast(PostgresStore, store_from_url(url)).conninfo


@contextmanager
def fresh_database(server_url: str = SERVER_URL) -> Iterator[str]:
    """The URL of a new, empty database on the server of ``server_url``, dropped afterwards."""
    name = f"clientes_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(conninfo(server_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(url: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def wait_until_idle(url: str, timeout: float = 60.0) -> None:
    """Returns once no statement runs in the database of ``url`` (or after ``timeout``):
    a slow statement of one measurement goes on after its client has gone, and would
    otherwise slow the next. A server with no connection to spare (it is shared) is
    asked again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(conninfo(url), autocommit=True) as conn:
                while time.monotonic() < deadline:
                    row = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database()"
                        " AND state = 'active' AND pid <> pg_backend_pid()"
                    ).fetchone()
                    if row is None or row[0] == 0:
                        return
                    time.sleep(0.1)
        except psycopg.OperationalError:
            time.sleep(0.5)
