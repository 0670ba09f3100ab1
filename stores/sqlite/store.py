"""The embedded store: one SQLite file in a data directory, so the service runs on a bare machine.

Locks are files beside the database; other processes' writes are found by
polling, as SQLite has no notifications across processes.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from commands.forgetting import DeleteEvents
from projections.background import Background, Poller
from projections.locks import Lock
from stores.sqlite.locks import FileLock
from stores.sqlite.recorder import ClientesSQLiteFactory
from stores.store import OnPosition, Store, StoreSettingsError, StoreUnusable

WAL = ("-wal", "-shm")  # the files SQLite keeps beside a database in WAL mode
POLL_INTERVAL = 0.025  # seconds between looks at the head for other processes' writes


def private_file(path: Path) -> int:
    """A descriptor of ``path``, made if missing; readable and writable by its owner
    alone (mode 0600), whatever the umask."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


class SQLiteStore(Store):
    readable_recheck = 0.01
    driver_unreachable = (sqlite3.OperationalError,)

    @classmethod
    def from_url(cls, url: str, schema: str = "public", password: str | None = None) -> Store:
        if not url.startswith("sqlite:///"):
            raise StoreSettingsError(
                "CLIENTES_DATABASE_URL must be sqlite:///PATH or "
                "postgresql://user:pass@host:port/db"
            )
        return cls(url, Path(url.removeprefix("sqlite:///")))

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
                f"DELETE FROM {events.events_table_name} "
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
