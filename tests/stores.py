"""Raw SQL on a test's store, for what a test checks or breaks behind the service's back."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from psycopg.sql import SQL

from stores import Store
from stores.postgres import PostgresStore
from stores.sqlite import SQLiteStore


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


def plan(store: Store, statement: Any, params: dict[str, Any]) -> str:
    """How the store would run a statement of the read table, in its own words.

    On PostgreSQL sequential scans are priced out, so that the plan shows an
    index wherever one could answer, however few rows the test's table holds.
    """
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
        return "\n".join(row[3] for row in rows)
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.conninfo) as conn:
        conn.execute("SET enable_seqscan = off")
        lines = conn.execute(SQL("EXPLAIN ") + statement, params).fetchall()
    return "\n".join(line for (line,) in lines)
