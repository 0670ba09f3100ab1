"""Named locks that one process at a time holds: the active projector, the one replay.

On PostgreSQL a session advisory lock, held on a connection of its own: if the
process dies or the connection drops, the lock is gone and another process
takes it. On SQLite an exclusive lock on a file beside the database plays the
same part. A lock only locks; how a projector hears of new events is the
store's follower's business (projections/listeners.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Protocol

import psycopg

Connection = psycopg.Connection[tuple[object, ...]]


class Lock(Protocol):
    def acquire(self) -> bool:
        """Takes the lock if it is free, without waiting; True while this process holds it.

        Called again by the holder, it checks that the lock is still held.
        """
        ...

    def release(self) -> None:
        """Gives the lock up (or the attempt at it)."""
        ...

    def held(self) -> bool:
        """Whether some process, this one included, holds the lock now."""
        ...


def advisory_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """A PostgreSQL session advisory lock, on a connection kept for as long as it is wanted."""

    def __init__(self, conninfo: str, key: int) -> None:
        self._conninfo = conninfo
        self._key = key
        self._conn: Connection | None = None
        self._holding = False

    def acquire(self) -> bool:
        conn = self._connection()
        if self._holding:
            conn.execute("SELECT 1")  # a dropped connection raises: the lock went with it
            return True
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        self._holding = bool(row and row[0])
        return self._holding

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session, and with it the lock
        self._conn, self._holding = None, False

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

    def _connection(self) -> Connection:
        # A standby keeps its connection between attempts instead of opening one each time.
        if self._conn is None or self._conn.closed:
            self._holding = False
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
        return self._conn


class FileLock:
    """An exclusive flock on a file: the embedded store's named lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    def held(self) -> bool:
        if self._fd is not None:
            return True
        try:
            # Read-only: the question must have an answer on a disk that turned read-only.
            fd = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return False  # never taken
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # refused while a holder has it
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
