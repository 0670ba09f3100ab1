"""One active projector per projection, and a way to wake it.

On PostgreSQL the active projector holds a session advisory lock on a
connection of its own, which also LISTENs to the event store's channel: if
the process dies or the connection drops, the lock is gone and a standby
takes over. On SQLite an exclusive lock on a file beside the database plays
the same part, and new events are found by polling (the embedded store has
no notifications across processes), or at once when this process wrote them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg.sql import SQL, Identifier


class Leadership(Protocol):
    """Held while this process is the active projector."""

    def acquire(self) -> bool:
        """Tries once, without blocking; True when now held."""
        ...

    def wait_for_events(self, timeout: float) -> None:
        """Returns when new events may have been recorded, or after ``timeout``."""
        ...

    def wake(self) -> None:
        """Ends a wait early: this process has just recorded events."""
        ...

    def release(self) -> None:
        """Gives up the role (or the attempt at it)."""
        ...

    def held(self) -> bool:
        """Whether some process, this one included, holds the role now."""
        ...


def advisory_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeadership:
    def __init__(self, conninfo: str, key: int, channel: str) -> None:
        self._conninfo = conninfo
        self._key = key
        self._channel = channel
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        if not (row and row[0]):
            return False
        # Listen only once active: a standby would pile up notifications unread.
        self._conn.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
        return True

    def wait_for_events(self, timeout: float) -> None:
        assert self._conn is not None
        # Drains what is queued and returns at the first notification or the timeout;
        # a dropped connection raises here, which ends the leadership.
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            pass

    def wake(self) -> None:
        """The NOTIFY of the event store wakes the wait already."""

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session, and with it the lock and the LISTEN
            self._conn = None

    def held(self) -> bool:
        # pg_locks shows a bigint advisory key as its high and low 32 bits.
        high, low = (self._key >> 32) & 0xFFFFFFFF, self._key & 0xFFFFFFFF
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
                (high, low),
            ).fetchone()
        return bool(row and row[0])


class FileLeadership:
    def __init__(self, path: Path, poll_interval: float = 0.01) -> None:
        self._path = path
        self._poll_interval = poll_interval
        self._fd: int | None = None
        self._wakeup = threading.Event()

    def acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def wait_for_events(self, timeout: float) -> None:
        self._wakeup.wait(min(timeout, self._poll_interval))
        self._wakeup.clear()

    def wake(self) -> None:
        self._wakeup.set()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    def held(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # refused while a holder has it
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
