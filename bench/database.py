"""A PostgreSQL database of the run's own: created at the start, dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import psycopg

from api.settings import store_from_url
from api.stores.postgres import PostgresStore

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
