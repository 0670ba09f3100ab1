"""The read table on the embedded SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.rows import COLUMNS, ClienteRow, RowChanges
from projections.view import ClientesView

COLUMN_LIST = ", ".join(COLUMNS)


class SQLiteClientesView(SQLiteTrackingRecorder, ClientesView):
    """The library's embedded recorder tracks every view in one table, named
    ``tracking``; each read table here keeps its own, as on PostgreSQL, so
    that a table rebuilt beside the live one starts from nothing.
    """

    def __init__(self, datastore: SQLiteDatastore, *, table_name: str = "clientes") -> None:
        self.table = table_name
        self.totals = f"{table_name}_totals"
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
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "id INTEGER PRIMARY KEY, codigo_cliente TEXT NOT NULL, nombre TEXT NOT NULL, "
            "tipo_cliente TEXT NOT NULL, tipo_documento TEXT NOT NULL, "
            "numero_documento TEXT NOT NULL, direccion TEXT, telefono TEXT, email TEXT, "
            "contacto_representante TEXT, version INTEGER NOT NULL, "
            "fecha_creacion TEXT NOT NULL, fecha_modificacion TEXT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.table}_codigo_key "
            f"ON {self.table} (lower(codigo_cliente))",
            f"CREATE TABLE IF NOT EXISTS {self.totals} "
            "(name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
            f"INSERT INTO {self.totals} VALUES ('vigentes', 0) ON CONFLICT DO NOTHING",
        ]

    def close(self) -> None:
        self.datastore.close()

    def get_rows(self, ids: Collection[int]) -> list[ClienteRow]:
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return self._fetch(f"{self._select} WHERE id IN ({marks})", tuple(ids))

    def get(self, cliente_id: int) -> ClienteRow | None:
        rows = self._fetch(f"{self._select} WHERE id = ?", (cliente_id,))
        return rows[0] if rows else None

    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        # One read transaction, so the rows and the total come from the same snapshot.
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"{self._select} ORDER BY id LIMIT ? OFFSET ?", (limit, offset))
            rows = [_row(r) for r in c.fetchall()]
            c.execute(f"SELECT value FROM {self.totals} WHERE name = 'vigentes'")
            return rows, int(c.fetchone()[0])

    def save_changes(self, changes: RowChanges, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"DELETE FROM {self.table} WHERE id = ?",
                [(i,) for i in changes.touched],
            )
            c.executemany(
                f"INSERT INTO {self.table} ({COLUMN_LIST}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                [_values(row) for row in changes.final_rows()],
            )
            if changes.total_delta:
                c.execute(
                    f"UPDATE {self.totals} SET value = value + ? WHERE name = 'vigentes'",
                    (changes.total_delta,),
                )
            self._insert_tracking(c, tracking)

    def _fetch(self, statement: str, params: tuple[Any, ...]) -> list[ClienteRow]:
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
