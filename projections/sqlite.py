"""The read table on the embedded SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from projections.columns import column_definitions
from projections.rows import COLUMNS, SPAN, ClienteRow, RowChanges
from projections.view import ClientesView, TrackingConflict, describe_differences

COLUMN_LIST = ", ".join(COLUMNS)
# Times are ISO 8601 text; INTEGER PRIMARY KEY makes the id the table's rowid.
COLUMN_TYPES = {int: "INTEGER", str: "TEXT", datetime: "TEXT"}
TABLE_COLUMNS = column_definitions(ClienteRow, COLUMN_TYPES, key="id")


class SQLiteClientesView(SQLiteTrackingRecorder, ClientesView):
    """The library's embedded recorder tracks every view in one table, named
    ``tracking``; each read table here keeps its own, as on PostgreSQL, so
    that a table rebuilt beside the live one starts from nothing.
    """

    def __init__(self, datastore: SQLiteDatastore, *, table_name: str = "clientes") -> None:
        self.table = table_name
        self.counts = f"{table_name}_counts"
        self.tracking = f"{table_name}_tracking"
        super().__init__(datastore)
        self.insert_tracking_statement = (
            f"INSERT INTO {self.tracking} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {self.tracking}.notification_id < :notification_id "
            "RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {self.tracking} WHERE application_name=?"
        )
        self._select = f"SELECT {COLUMN_LIST} FROM {self.table}"

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tracking} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {self.table} ({TABLE_COLUMNS})",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.table}_codigo_key "
            f"ON {self.table} (lower(codigo_cliente))",
            f"CREATE TABLE IF NOT EXISTS {self.counts} "
            "(span INTEGER PRIMARY KEY, vigentes INTEGER NOT NULL)",
        ]

    def close(self) -> None:
        self.datastore.close()

    def get_rows(
        self, ids: Collection[int], within: SQLiteCursor | None = None
    ) -> list[ClienteRow]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return self._fetch(f"{self._select} WHERE id IN ({marks})", tuple(ids), within)

    def get(self, cliente_id: int) -> ClienteRow | None:
        rows = self._fetch(f"{self._select} WHERE id = ?", (cliente_id,))
        return rows[0] if rows else None

    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        # One read transaction, one snapshot: the total is the sum of the spans'
        # counts, and the page starts in the span that holds row number ``offset``.
        with self.datastore.transaction(commit=False) as c:
            total = self._total(c)
            if offset >= total:
                return [], total
            c.execute(
                f"SELECT span, ? - (upto - vigentes) FROM (SELECT span, vigentes, "
                f"sum(vigentes) OVER (ORDER BY span) AS upto FROM {self.counts}) "
                "WHERE upto > ? ORDER BY span LIMIT 1",
                (offset, offset),
            )
            span, skip = c.fetchone()
            c.execute(
                f"{self._select} WHERE id >= ? ORDER BY id LIMIT ? OFFSET ?",
                (span * SPAN, limit, skip),
            )
            return [_row(r) for r in c.fetchall()], total

    def save_changes(
        self,
        changes: RowChanges,
        tracking: Tracking,
        since: int,
        within: SQLiteCursor | None = None,
    ) -> None:
        if within is not None:
            self._save_changes(within, changes, tracking, since)
            return
        # Write-locked from the start: a transaction that reads the position first
        # and writes after could not take the lock if another writer came between.
        with self.transaction() as c:
            self._save_changes(c, changes, tracking, since)

    def _save_changes(
        self, c: SQLiteCursor, changes: RowChanges, tracking: Tracking, since: int
    ) -> None:
        c.execute(
            f"SELECT notification_id FROM {self.tracking} WHERE application_name = ?",
            (tracking.application_name,),
        )
        position = c.fetchone()
        if position is not None and position[0] >= since:
            raise TrackingConflict(f"{self.table} is at {position[0]}")
        c.executemany(f"DELETE FROM {self.table} WHERE id = ?", [(i,) for i in changes.stale_ids])
        c.executemany(
            f"INSERT INTO {self.table} ({COLUMN_LIST}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [_values(row) for row in changes.final_rows()],
        )
        c.executemany(
            f"INSERT INTO {self.counts} VALUES (?, ?) "
            "ON CONFLICT (span) DO UPDATE SET vigentes = vigentes + excluded.vigentes",
            [(span, delta) for span, delta in changes.count_deltas.items() if delta],
        )
        self._insert_tracking(c, tracking)

    @contextmanager
    def transaction(self) -> Iterator[SQLiteCursor]:
        # BEGIN IMMEDIATE takes the database's write lock at once: projectors wait.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def reset(self) -> None:
        self.drop()
        self.create_table()

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in (self.table, self.counts, self.tracking):
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def differences(self, within: SQLiteCursor, other: ClientesView) -> list[str]:
        assert isinstance(other, SQLiteClientesView)

        def rows_not_in(a: SQLiteClientesView, b: SQLiteClientesView) -> dict[int, ClienteRow]:
            statement = (
                f"SELECT {COLUMN_LIST} FROM {a.table} EXCEPT SELECT {COLUMN_LIST} FROM {b.table}"
            )
            return {row.id: row for row in self._fetch(statement, (), within)}

        return describe_differences(
            rows_not_in(self, other),
            rows_not_in(other, self),
            (self._total(within), other._total(within)),
        )

    def replace_with(self, within: SQLiteCursor, other: ClientesView) -> None:
        # Copies rather than renames: an index cannot be renamed in SQLite, and the
        # embedded store's tables are small enough to copy in the swap. The columns
        # are named: a table created by an older release may have another order.
        assert isinstance(other, SQLiteClientesView)
        for mine, theirs, columns in (
            (self.table, other.table, COLUMN_LIST),
            (self.counts, other.counts, "span, vigentes"),
            (self.tracking, other.tracking, "application_name, notification_id"),
        ):
            within.execute(f"DELETE FROM {mine}")
            within.execute(f"INSERT INTO {mine} ({columns}) SELECT {columns} FROM {theirs}")
            within.execute(f"DROP TABLE {theirs}")

    def _total(self, c: SQLiteCursor) -> int:
        c.execute(f"SELECT coalesce(sum(vigentes), 0) FROM {self.counts}")
        return int(c.fetchone()[0])

    def _fetch(
        self, statement: str, params: tuple[Any, ...], within: SQLiteCursor | None = None
    ) -> list[ClienteRow]:
        if within is not None:
            within.execute(statement, params)
            return [_row(r) for r in within.fetchall()]
        # One statement needs no transaction of its own: it reads one snapshot.
        with self.datastore.get_connection(commit=False) as conn:
            cursor = conn.cursor()
            cursor.execute(statement, params)
            return [_row(r) for r in cursor.fetchall()]


def _values(row: ClienteRow) -> tuple[Any, ...]:
    values = [getattr(row, name) for name in COLUMNS]
    return tuple(v.isoformat() if isinstance(v, datetime) else v for v in values)


def _row(record: sqlite3.Row) -> ClienteRow:
    fields = dict(zip(COLUMNS, record, strict=True))
    fields["fecha_creacion"] = datetime.fromisoformat(fields["fecha_creacion"])
    fields["fecha_modificacion"] = datetime.fromisoformat(fields["fecha_modificacion"])
    return ClienteRow(**fields)
