"""The event store on SQLite: the library's recorder and factory, and what the service
adds to them (counts of kept answers, the id sequence, the read tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from commands.idempotency import KeptCounts
from commands.ids import BLOCK
from stores.sqlite.read_table import SQLiteClientesView
from stores.store import MakesReadSide


class SQLiteIdSequence:
    """A row of last values, moved on by a block at a time."""

    def __init__(
        self, datastore: SQLiteDatastore, name: str = "cliente", block: int = BLOCK
    ) -> None:
        self._datastore = datastore
        self._name = name
        self.block = block
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                "CREATE TABLE IF NOT EXISTS id_sequences "
                "(name TEXT PRIMARY KEY, last_value INTEGER NOT NULL)"
            )

    def next_block(self) -> int:
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO id_sequences VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_value = last_value + excluded.last_value "
                "RETURNING last_value",
                (self._name, self.block),
            )
            return int(curs.fetchone()[0])


class SQLiteEventRecorder(SQLiteApplicationRecorder):
    """The library's recorder, counting the answers of idempotency keys the events it
    inserts keep (commands/idempotency.py), in the same transaction."""

    def __init__(self, datastore: SQLiteDatastore, *args: Any, **kwargs: Any) -> None:
        super().__init__(datastore, *args, **kwargs)
        kept = f"{self.events_table_name}_kept_answers"
        self.create_table_statements.append(
            f"CREATE TABLE IF NOT EXISTS {kept} (actor TEXT, hour INTEGER,"
            " answers INTEGER NOT NULL, PRIMARY KEY (actor, hour)) WITHOUT ROWID"
        )
        self.count_kept_statement = (
            f"INSERT INTO {kept} VALUES (?, ?, ?) ON CONFLICT (actor, hour)"
            " DO UPDATE SET answers = answers + excluded.answers"
        )
        self.select_kept_statement = (
            f"SELECT coalesce(sum(answers), 0) FROM {kept} WHERE actor = ? AND hour >= ?"
        )
        self.forget_kept_statement = f"DELETE FROM {kept} WHERE hour < ?"

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        counts: KeptCounts = kwargs.get("kept_answers", {})
        if counts:
            c.executemany(self.count_kept_statement, [(a, h, n) for (a, h), n in counts.items()])
        return positions

    def kept_answers(self, actor: str, since_hour: int) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_kept_statement, (actor, since_hour))
            return int(c.fetchone()[0])

    def forget_kept_answers(self, before_hour: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.forget_kept_statement, (before_hour,))


class ClientesSQLiteFactory(MakesReadSide, SQLiteFactory):
    """The library's SQLite factory, which also makes the id sequence and the read tables."""

    application_recorder_class = SQLiteEventRecorder
    sequence = SQLiteIdSequence
    table = SQLiteClientesView
