"""The named lock on PostgreSQL: a session advisory lock, held on a connection of its own.

If the process dies or the connection drops, the lock is gone and another
process takes it.
"""

from __future__ import annotations

import hashlib

import psycopg

Connection = psycopg.Connection[tuple[object, ...]]


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
