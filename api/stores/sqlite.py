"""The embedded store: one SQLite file in a data directory, so the service runs on a bare machine.

Locks are files beside the database; other processes' writes are found by
polling, as SQLite has no notifications across processes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import get_topic

from api.stores import MakesReadSide, OnPosition, Store, StoreUnusable
from commands.forgetting import DeleteEvents
from commands.idempotency import KeptCounts
from commands.ids import BLOCK
from projections.listeners import Background, Poller
from projections.locks import FileLock, Lock
from projections.sqlite import SQLiteClientesView


def private_file(path: Path) -> int:
    """A descriptor of ``path``, made if missing; readable and writable by its owner
    alone (mode 0600), whatever the umask."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


WAL = ("-wal", "-shm")  # the files SQLite keeps beside a database in WAL mode
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
            f"INSERT INTO {kept} VALUES (?, ?, ?) ON CONFLICT (actor, hour)"  # noqa: S608
            " DO UPDATE SET answers = answers + excluded.answers"
        )
        self.select_kept_statement = (
            f"SELECT coalesce(sum(answers), 0) FROM {kept} WHERE actor = ? AND hour >= ?"  # noqa: S608
        )
        self.forget_kept_statement = f"DELETE FROM {kept} WHERE hour < ?"  # noqa: S608

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
        """Makes the data directory (mode 0700, whatever the umask) if it is missing."""
        directory = self.path.parent
        try:
            if not directory.is_dir():
                directory.mkdir(mode=0o700, parents=True)
                directory.chmod(0o700)
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
        self._make_private()
        held = private_file(self.path.with_name(f"{self.path.name}.setup.lock"))
        try:
            fcntl.flock(held, fcntl.LOCK_EX)
            yield
        finally:
            os.close(held)

    def _make_private(self) -> None:
        """The database's files readable and writable by their owner alone (0600): they
        hold personal data. A missing database is made so; SQLite makes its WAL and
        shared memory with the database's mode.

        An existing database is never opened here: closing a descriptor of it would
        drop the locks this process's own connections hold on it (POSIX locks are the
        process's), so its mode is set by name.
        """
        try:
            if not self.path.exists():
                os.close(private_file(self.path))
            for name in (self.path, *(self.path.with_name(self.path.name + e) for e in WAL)):
                if name.exists():
                    name.chmod(0o600)
        except OSError as error:
            raise StoreUnusable(
                f"CLIENTES_DATABASE_URL: cannot make {error.filename} private: {error.strerror}"
            ) from None

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
