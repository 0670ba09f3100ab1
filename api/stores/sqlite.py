"""The embedded store: one SQLite file in a data directory, so the service runs on a bare machine.

Locks are files beside the database; other processes' writes are found by
polling, as SQLite has no notifications across processes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore, SQLiteFactory
from eventsourcing.utils import get_topic

from api.stores import MakesReadSide, OnPosition, Store, StoreUnusable
from commands.forgetting import DeleteEvents
from commands.ids import BLOCK
from projections.listeners import Background, Poller
from projections.locks import FileLock, Lock
from projections.sqlite import SQLiteClientesView

POLL_INTERVAL = 0.025  # seconds between looks at the head for other processes' writes


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


class ClientesSQLiteFactory(MakesReadSide, SQLiteFactory):
    """The library's SQLite factory, which also makes the id sequence and the read tables."""

    sequence = SQLiteIdSequence
    table = SQLiteClientesView


class SQLiteStore(Store):
    readable_recheck = 0.01

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self.data_directory = path.parent
        self.env = {
            "PERSISTENCE_MODULE": get_topic(ClientesSQLiteFactory),
            "SQLITE_DBNAME": str(path),
        }

    def check(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnusable(
                f"CLIENTES_DATABASE_URL: cannot create the directory {error.filename} "
                f"for {self.path}: {error.strerror}"
            ) from None

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        # The library records each table's creation: two processes creating them
        # at once (workers and a projector starting together) would collide.
        self.check()
        with open(self.path.with_name(f"{self.path.name}.setup.lock"), "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            yield

    def lock(self, name: str) -> Lock:
        return FileLock(self.path.with_name(f"{self.path.name}.{name}.lock"))

    def event_deleter(self, recorder: ApplicationRecorder) -> DeleteEvents:
        events = cast(SQLiteApplicationRecorder, recorder)

        def delete(ids: Sequence[tuple[UUID, int]], below: int) -> int:
            statement = (
                f"DELETE FROM {events.events_table_name} "  # noqa: S608 - the library's own name
                "WHERE originator_id = ? AND originator_version = ? AND rowid < ?"
            )
            with events.datastore.transaction(commit=True) as curs:
                curs.executemany(statement, [(i.hex, version, below) for i, version in ids])
                return int(curs.sqlite_cursor.rowcount)

        return delete

    def follow_events(self, recorder: ApplicationRecorder, on_head: OnPosition) -> Background:
        return Poller(
            lambda: on_head(recorder.max_notification_id() or 0),
            interval=POLL_INTERVAL,
            name="events-poller",
        )
