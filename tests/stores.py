"""Raw SQL on a test's store, for what a test checks or breaks behind the service's back."""

from __future__ import annotations

import sqlite3

import psycopg

from api.stores import Store
from api.stores.postgres import PostgresStore
from api.stores.sqlite import SQLiteStore


def execute(store: Store, *statements: str) -> None:
    """Runs each statement, committed, in the store's database (and schema)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            for statement in statements:
                conn.execute(statement)
        return
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.conninfo, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{store.schema}"')
        for statement in statements:
            conn.execute(statement)


def conninfo(store: Store) -> str:
    """The libpq connection string of a PostgreSQL store."""
    assert isinstance(store, PostgresStore)
    return store.conninfo


def table_names(store: Store) -> list[str]:
    """The tables in the store's database (and schema)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    else:
        assert isinstance(store, PostgresStore)
        with psycopg.connect(store.conninfo) as conn:
            query = "SELECT tablename FROM pg_tables WHERE schemaname = %s"
            rows = conn.execute(query, (store.schema,)).fetchall()
    return [name for (name,) in rows]
