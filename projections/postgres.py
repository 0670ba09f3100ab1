"""The read table on PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from projections.columns import column_definitions
from projections.rows import COLUMNS, SPAN, ClienteRow, RowChanges
from projections.view import ClientesView, TrackingConflict, describe_differences

COLUMN_LIST = SQL(", ").join(map(Identifier, COLUMNS))
COLUMN_TYPES = {int: "bigint", str: "text", datetime: "timestamptz"}
TABLE_COLUMNS = column_definitions(ClienteRow, COLUMN_TYPES, key="id")
COPY_FROM = 50  # rows in a batch from which COPY beats INSERTs


class PostgresClientesView(PostgresTrackingRecorder, ClientesView):
    """Writes also notify ``channel`` with the new position, on commit."""

    def __init__(self, datastore: PostgresDatastore, *, table_name: str = "clientes") -> None:
        super().__init__(datastore, tracking_table_name=f"{table_name}_tracking")
        self.schema = datastore.schema
        self.names = {
            "table": table_name,
            "counts": f"{table_name}_counts",
            "tracking": f"{table_name}_tracking",
        }
        self.table, self.counts, self.tracking = (
            Identifier(self.schema, name) for name in self.names.values()
        )
        self.channel = f"{self.schema}.{table_name}"[:63]
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(self.table, SQL(TABLE_COLUMNS)),
            SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (lower(codigo_cliente))").format(
                Identifier(f"{table_name}_codigo_key"), self.table
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (span bigint PRIMARY KEY, vigentes bigint NOT NULL)"
            ).format(self.counts),
        ]
        self._select = SQL("SELECT {} FROM {}").format(COLUMN_LIST, self.table)

    def close(self) -> None:
        self.datastore.close()

    def get_rows(
        self, ids: Collection[int], within: Cursor[DictRow] | None = None
    ) -> list[ClienteRow]:
        if not ids:
            return []
        return self._fetch(self._select + SQL(" WHERE id = ANY(%s)"), (list(ids),), within)

    def get(self, cliente_id: int) -> ClienteRow | None:
        rows = self._fetch(self._select + SQL(" WHERE id = %s"), (cliente_id,))
        return rows[0] if rows else None

    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        # One statement, one snapshot: the total is the sum of the spans' counts, and
        # the page starts in the span that holds row number ``offset``, skipping
        # fewer than SPAN rows rather than ``offset`` of them.
        statement = SQL(
            "WITH counted AS (SELECT span, vigentes, "
            "   sum(vigentes) OVER (ORDER BY span) AS upto FROM {counts}),"
            " start AS (SELECT span, %(offset)s - (upto - vigentes) AS skip FROM counted"
            "   WHERE upto > %(offset)s ORDER BY span LIMIT 1)"
            " SELECT (SELECT coalesce(max(upto), 0) FROM counted) AS total, c.*"
            " FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT {columns} FROM {table}"
            "   WHERE id >= (SELECT span FROM start) * %(span)s ORDER BY id"
            "   LIMIT %(limit)s OFFSET (SELECT skip FROM start)) AS c ON true"
        ).format(counts=self.counts, columns=COLUMN_LIST, table=self.table)
        params = {"offset": offset, "limit": limit, "span": SPAN}
        with self.datastore.get_connection() as conn:
            records = conn.execute(statement, params, prepare=True).fetchall()
        total = int(records[0]["total"]) if records else 0
        return [_row(r) for r in records if r["id"] is not None], total

    def save_changes(
        self,
        changes: RowChanges,
        tracking: Tracking,
        since: int,
        within: Cursor[DictRow] | None = None,
    ) -> None:
        if within is not None:
            self._save_changes(within, changes, tracking, since)
            return
        with self.datastore.transaction(commit=True) as curs:
            self._save_changes(curs, changes, tracking, since)

    def _save_changes(
        self, curs: Cursor[DictRow], changes: RowChanges, tracking: Tracking, since: int
    ) -> None:
        position = curs.execute(
            SQL("SELECT notification_id FROM {} WHERE application_name = %s FOR UPDATE").format(
                self.tracking
            ),
            (tracking.application_name,),
        ).fetchone()
        if position is not None and position["notification_id"] >= since:
            raise TrackingConflict(f"{self.names['table']} is at {position['notification_id']}")
        if stale := changes.stale_ids:
            curs.execute(
                SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self.table), (list(stale),)
            )
        self._insert(curs, changes.final_rows())
        if deltas := [(span, delta) for span, delta in changes.count_deltas.items() if delta]:
            curs.executemany(
                SQL(
                    "INSERT INTO {} AS c VALUES (%s, %s) "
                    "ON CONFLICT (span) DO UPDATE SET vigentes = c.vigentes + excluded.vigentes"
                ).format(self.counts),
                deltas,
            )
        self._insert_tracking(curs, tracking)
        curs.execute("SELECT pg_notify(%s, %s)", (self.channel, str(tracking.notification_id)))

    def _insert(self, curs: Cursor[DictRow], rows: list[ClienteRow]) -> None:
        values = [msgspec.structs.astuple(row) for row in rows]
        if len(values) >= COPY_FROM:
            with curs.copy(SQL("COPY {} ({}) FROM STDIN").format(self.table, COLUMN_LIST)) as copy:
                for row_values in values:
                    copy.write_row(row_values)
        elif values:
            curs.executemany(
                SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    self.table, COLUMN_LIST, SQL(", ").join(SQL("%s") for _ in COLUMNS)
                ),
                values,
            )

    @contextmanager
    def transaction(self) -> Iterator[Cursor[DictRow]]:
        with self.datastore.transaction(commit=True) as curs:
            # Projectors check their position with SELECT ... FOR UPDATE: they wait here.
            curs.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self.tracking))
            yield curs

    def reset(self) -> None:
        self.drop()
        self.create_table()

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("DROP TABLE IF EXISTS {}, {}, {}").format(
                    self.table, self.counts, self.tracking
                )
            )

    def differences(self, within: Cursor[DictRow], other: ClientesView) -> list[str]:
        assert isinstance(other, PostgresClientesView)

        def rows_not_in(a: PostgresClientesView, b: PostgresClientesView) -> dict[int, ClienteRow]:
            statement = SQL("SELECT {} FROM {} EXCEPT SELECT {} FROM {}").format(
                COLUMN_LIST, a.table, COLUMN_LIST, b.table
            )
            return {row.id: row for row in self._fetch(statement, (), within)}

        def total(view: PostgresClientesView) -> int:
            statement = SQL("SELECT coalesce(sum(vigentes), 0) AS total FROM {}").format(
                view.counts
            )
            record = within.execute(statement).fetchone()
            return int(record["total"]) if record else 0

        return describe_differences(
            rows_not_in(self, other), rows_not_in(other, self), (total(self), total(other))
        )

    def replace_with(self, within: Cursor[DictRow], other: ClientesView) -> None:
        # Renames are metadata only: the swap takes no longer for a large table.
        assert isinstance(other, PostgresClientesView)
        within.execute(SQL("DROP TABLE {}, {}, {}").format(self.table, self.counts, self.tracking))
        for part, new in self.names.items():
            old = other.names[part]
            within.execute(
                SQL("ALTER TABLE {} RENAME TO {}").format(
                    Identifier(self.schema, old), Identifier(new)
                )
            )
            self._rename_index(within, f"{old}_pkey", f"{new}_pkey")
        self._rename_index(
            within, f"{other.names['table']}_codigo_key", f"{self.names['table']}_codigo_key"
        )

    def _rename_index(self, within: Cursor[DictRow], old: str, new: str) -> None:
        within.execute(
            SQL("ALTER INDEX {} RENAME TO {}").format(Identifier(self.schema, old), Identifier(new))
        )

    def _fetch(
        self,
        statement: Composed,
        params: tuple[Any, ...],
        within: Cursor[DictRow] | None = None,
    ) -> list[ClienteRow]:
        if within is not None:
            return [_row(r) for r in within.execute(statement, params).fetchall()]
        with self.datastore.get_connection() as conn:
            return [_row(r) for r in conn.execute(statement, params, prepare=True).fetchall()]


def _row(record: dict[str, Any]) -> ClienteRow:
    fields = {name: record[name] for name in COLUMNS}
    fields["fecha_creacion"] = fields["fecha_creacion"].astimezone(UTC)
    fields["fecha_modificacion"] = fields["fecha_modificacion"].astimezone(UTC)
    return ClienteRow(**fields)
