"""The read table on PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier

from projections.rows import COLUMNS, ClienteRow, RowChanges
from projections.view import ClientesView

COLUMN_LIST = SQL(", ").join(map(Identifier, COLUMNS))


class PostgresClientesView(PostgresTrackingRecorder, ClientesView):
    """Writes also notify ``channel`` with the new position, on commit."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "clientes_projection_tracking",
        table_name: str = "clientes",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        schema = datastore.schema
        self.table = Identifier(schema, table_name)
        self.totals = Identifier(schema, f"{table_name}_totals")
        self.channel = f"{schema}.{table_name}"[:63]
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "id bigint PRIMARY KEY, codigo_cliente text NOT NULL, nombre text NOT NULL, "
                "tipo_cliente text NOT NULL, tipo_documento text NOT NULL, "
                "numero_documento text NOT NULL, direccion text, telefono text, email text, "
                "contacto_representante text, version bigint NOT NULL, "
                "fecha_creacion timestamptz NOT NULL, fecha_modificacion timestamptz NOT NULL)"
            ).format(self.table),
            SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (lower(codigo_cliente))").format(
                Identifier(f"{table_name}_codigo_key"), self.table
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, value bigint NOT NULL)"
            ).format(self.totals),
            SQL("INSERT INTO {} VALUES ('vigentes', 0) ON CONFLICT DO NOTHING").format(self.totals),
        ]
        self._select = SQL("SELECT {} FROM {}").format(COLUMN_LIST, self.table)
        self._insert = SQL("INSERT INTO {} ({}) VALUES ({})").format(
            self.table, COLUMN_LIST, SQL(", ").join(SQL("%s") for _ in COLUMNS)
        )

    def close(self) -> None:
        self.datastore.close()

    def get_rows(self, ids: Collection[int]) -> list[ClienteRow]:
        if not ids:
            return []
        return self._fetch(self._select + SQL(" WHERE id = ANY(%s)"), (list(ids),))

    def get(self, cliente_id: int) -> ClienteRow | None:
        rows = self._fetch(self._select + SQL(" WHERE id = %s"), (cliente_id,))
        return rows[0] if rows else None

    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        # One statement, so the rows and the total come from the same snapshot.
        statement = SQL(
            "SELECT t.value AS total, c.* FROM {} t LEFT JOIN LATERAL "
            "(SELECT {} FROM {} ORDER BY id LIMIT %s OFFSET %s) c ON true "
            "WHERE t.name = 'vigentes'"
        ).format(self.totals, COLUMN_LIST, self.table)
        with self.datastore.get_connection() as conn:
            records = conn.execute(statement, (limit, offset), prepare=True).fetchall()
        total = int(records[0]["total"]) if records else 0
        return [_row(r) for r in records if r["id"] is not None], total

    def save_changes(self, changes: RowChanges, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            if changes.touched:
                curs.execute(
                    SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self.table),
                    (list(changes.touched),),
                )
            rows = changes.final_rows()
            if rows:
                curs.executemany(self._insert, [tuple(_values(row)) for row in rows])
            if changes.total_delta:
                curs.execute(
                    SQL("UPDATE {} SET value = value + %s WHERE name = 'vigentes'").format(
                        self.totals
                    ),
                    (changes.total_delta,),
                )
            self._insert_tracking(curs, tracking)
            curs.execute("SELECT pg_notify(%s, %s)", (self.channel, str(tracking.notification_id)))

    def _fetch(self, statement: Composed, params: tuple[Any, ...]) -> list[ClienteRow]:
        with self.datastore.get_connection() as conn:
            return [_row(r) for r in conn.execute(statement, params, prepare=True).fetchall()]


def _values(row: ClienteRow) -> list[Any]:
    return [getattr(row, name) for name in COLUMNS]


def _row(record: dict[str, Any]) -> ClienteRow:
    fields = {name: record[name] for name in COLUMNS}
    fields["fecha_creacion"] = fields["fecha_creacion"].astimezone(UTC)
    fields["fecha_modificacion"] = fields["fecha_modificacion"].astimezone(UTC)
    return ClienteRow(**fields)
