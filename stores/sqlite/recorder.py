"""The event store on SQLite: the library's recorder and factory, and what the service
adds to them (counts of kept answers, the id sequence, the read tables)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ConnectionPoolClosedError, PersistenceError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

from commands.encrypting import Rewritten
from commands.idempotency import KeptCounts
from commands.ids import BLOCK
from commands.sealing import KeyChanges
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
    """The library's recorder; in the transaction that inserts events it also counts the
    answers of idempotency keys they keep (commands/idempotency.py) and records the data
    keys they make and destroy (commands/sealing.py)."""

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
        keys = f"{self.events_table_name}_keys"
        # A destroyed key leaves its row, with no key: a tombstone that tells an erased
        # Cliente from one stored before keys existed.
        self.create_table_statements.append(
            f"CREATE TABLE IF NOT EXISTS {keys} (owner TEXT PRIMARY KEY, key BLOB) WITHOUT ROWID"
        )
        self.insert_keys_statement = f"INSERT INTO {keys} VALUES (?, ?)"
        self.destroy_keys_statement = f"UPDATE {keys} SET key = NULL WHERE owner = ?"
        self.select_keys_statement = f"SELECT owner, key FROM {keys} WHERE owner IN "
        self.rewrite_event_statement = (
            f"UPDATE {self.events_table_name} SET state = ?"
            " WHERE originator_id = ? AND originator_version = ?"
        )
        self.select_positions_statement = (
            f"SELECT rowid FROM {self.events_table_name}"
            " WHERE originator_id = ? AND rowid < ? ORDER BY rowid"
        )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        counts: KeptCounts = kwargs.get("kept_answers", {})
        if counts:
            c.executemany(self.count_kept_statement, [(a, h, n) for (a, h), n in counts.items()])
        keys: KeyChanges | None = kwargs.get("data_keys")
        if keys and keys.new:
            c.executemany(self.insert_keys_statement, [(o.hex, k) for o, k in keys.new.items()])
        if keys and keys.destroyed:
            c.executemany(self.destroy_keys_statement, [(o.hex,) for o in keys.destroyed])
        return positions

    def select_data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]:
        hexes = [owner.hex for owner in owners]
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"{self.select_keys_statement}({', '.join('?' * len(hexes))})", hexes)
            return {UUID(owner): key for owner, key in c.fetchall()}

    def rewrite_events(self, states: Sequence[Rewritten], new_keys: Mapping[UUID, bytes]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(self.insert_keys_statement, [(o.hex, k) for o, k in new_keys.items()])
            c.executemany(self.rewrite_event_statement, [(s, o.hex, v) for o, v, s in states])

    def positions_of(self, originator_id: UUID, below: int) -> list[int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_positions_statement, (originator_id.hex, below))
            return [int(position) for (position,) in c.fetchall()]

    def kept_answers(self, actor: str, since_hour: int) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_kept_statement, (actor, since_hour))
            return int(c.fetchone()[0])

    def forget_kept_answers(self, before_hour: int) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.forget_kept_statement, (before_hour,))


class PrivateConnectionPool(SQLiteConnectionPool):
    """The library's pool, whose connections overwrite what they delete with zeros
    (``secure_delete``): an erased person's rows leave nothing in the file's free pages."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        with connection.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
        return connection


class ClientesSQLiteFactory(MakesReadSide, SQLiteFactory):
    """The library's SQLite factory, which also makes the id sequence and the read tables,
    on connections that overwrite what they delete; closing it empties the write-ahead
    log into the database (an erased person's data is not left in it)."""

    application_recorder_class = SQLiteEventRecorder
    sequence = SQLiteIdSequence
    table = SQLiteClientesView

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        self.datastore.pool = PrivateConnectionPool(
            db_name=pool.db_name, lock_timeout=pool.lock_timeout
        )
        pool.close()

    def close(self) -> None:
        try:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except ConnectionPoolClosedError:
            pass  # closed already
        except PersistenceError:
            pass  # another connection is in the middle of a write: the log empties later
        super().close()
