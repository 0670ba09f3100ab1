"""Numeric Cliente ids, allocated by the event store's own database.

A database sequence hands out each number once, under any concurrency and
across processes, and never again: an id is never reused, even when the
create that drew it is refused. It lives beside the events, in the same
database and schema, so there is one thing to back up.
"""

from typing import Protocol

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from psycopg.sql import SQL, Identifier


class IdSequence(Protocol):
    def next_id(self) -> int: ...


class PostgresIdSequence:
    def __init__(self, factory: PostgresFactory, name: str = "cliente_id_seq") -> None:
        self._datastore = factory.datastore
        self._sequence = Identifier(factory.datastore.schema, name)
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(SQL("CREATE SEQUENCE IF NOT EXISTS {} AS bigint").format(self._sequence))

    def next_id(self) -> int:
        with self._datastore.get_connection() as conn:
            row = conn.execute(SQL("SELECT nextval('{}')").format(self._sequence)).fetchone()
        assert row is not None
        return int(row["nextval"])


class SQLiteIdSequence:
    def __init__(self, factory: SQLiteFactory, name: str = "cliente") -> None:
        self._datastore = factory.datastore
        self._name = name
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                "CREATE TABLE IF NOT EXISTS id_sequences "
                "(name TEXT PRIMARY KEY, last_value INTEGER NOT NULL)"
            )

    def next_id(self) -> int:
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO id_sequences VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET last_value = last_value + 1 "
                "RETURNING last_value",
                (self._name,),
            )
            return int(curs.fetchone()[0])


def id_sequence(factory: InfrastructureFactory) -> IdSequence:
    """The sequence that suits the event store's database."""
    if isinstance(factory, PostgresFactory):
        return PostgresIdSequence(factory)
    if isinstance(factory, SQLiteFactory):
        return SQLiteIdSequence(factory)
    raise TypeError(f"No id sequence for {type(factory).__name__}")
