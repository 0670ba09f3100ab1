"""The read table on PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from projections.columns import column_types
from projections.finding import INDEXES
from projections.rows import STORED_COLUMNS, ClienteRow, RowChanges
from projections.search import FOLDED_COLUMNS, containing
from projections.statements import SELECT_ROWS, table_columns
from projections.view import ClientesView, Params, Tables
from stores.postgres.locks import advisory_key

STORED_LIST = SQL(", ").join(map(Identifier, STORED_COLUMNS))
COLUMN_TYPES = {int: "bigint", str: "text", datetime: "timestamptz"}
# Folded text sorts by code point, as on every store, and its btree indexes serve prefixes.
FOLDED_TYPE = 'text COLLATE "C"'
TABLE_COLUMNS = table_columns(COLUMN_TYPES, FOLDED_TYPE)
# The trigram indexes of the columns a search looks inside, by their names' suffix.
TRIGRAM_INDEXES = {
    "nombre_folded": "nombre_trgm",
    "contacto_representante_folded": "contacto_trgm",
    "telefono_digits": "telefono_trgm",
}
# The stored columns' types, in STORED_COLUMNS order, for a binary COPY.
COPY_TYPES = [*column_types(ClienteRow, COLUMN_TYPES), *("text" for _ in FOLDED_COLUMNS)]
COPY_FROM = 50  # rows in a batch from which COPY beats INSERTs


class PostgresClientesView(PostgresTrackingRecorder, ClientesView):
    """Writes also notify ``channel`` with the new position, on commit."""

    lateral = "LATERAL "
    column_types = COLUMN_TYPES
    folded_type = FOLDED_TYPE
    text_keyed = ""
    # Projectors read the position first: the second waits for the first to commit.
    position_lock = " FOR UPDATE"
    positional_mark = "%s"

    def __init__(self, datastore: PostgresDatastore, *, table_name: str = "clientes") -> None:
        self.tables = Tables.named(table_name)
        super().__init__(datastore, tracking_table_name=self.tables.tracking)
        self.schema = datastore.schema
        self.table, self.counts, self.blocks, self.tipos, self.terms, self.tracking = (
            Identifier(self.schema, name) for name in self.tables
        )
        self.channel = f"{self.schema}.{table_name}"[:63]
        self.compose_statements()
        self.sql_create_statements += [
            self.sql.create_rows,
            SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (lower(codigo_cliente))").format(
                Identifier(f"{table_name}_codigo_key"), self.table
            ),
            self.sql.create_counts,
            self.sql.create_blocks,
            self.sql.create_tipos,
            self.sql.create_terms,
        ]
        # The ids as one array: one statement, prepared once, whatever their number.
        self.select_rows_statement = self.statement(f"{SELECT_ROWS} WHERE id = ANY(%s)")
        self.copy_rows_statement = SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            self.table, STORED_LIST
        )
        self.drop_statements = [
            SQL("DROP TABLE IF EXISTS {}").format(SQL(", ").join(self._identifiers()))
        ]

    def create_table(self) -> None:
        self.create_bare_tables()
        self.add_search_indexes()

    def create_bare_tables(self) -> None:
        PostgresTrackingRecorder.create_table(self)

    def add_search_indexes(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            # Room to sort and collect each index in memory (the default is 64 MB):
            # a replay's indexes over a million rows build several times faster.
            c.execute("SET LOCAL maintenance_work_mem = '256MB'")
            if not self.add_missing_columns(c):
                return  # left as it is, for `clientes replay` to make anew
            for counting in (self.sql.count_blocks, self.sql.count_tipos):  # older tables
                c.execute(counting)
            for suffix, columns in INDEXES.items():
                c.execute(
                    SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        Identifier(f"{self.tables.rows}_{suffix}"), self.table, SQL(columns)
                    )
                )
            trigram_ops = Identifier(self._trigram_schema(c), "gin_trgm_ops")
            for column, suffix in TRIGRAM_INDEXES.items():
                c.execute(
                    SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({} {})").format(
                        Identifier(f"{self.tables.rows}_{suffix}"),
                        self.table,
                        Identifier(column),
                        trigram_ops,
                    )
                )

    def _trigram_schema(self, c: Cursor[DictRow]) -> str:
        """The schema of pg_trgm's operators, which are made there if no schema has them."""
        # One session at a time, in the whole database: the extension is not per schema.
        c.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("pg_trgm"),))
        c.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        c.execute(
            "SELECT nspname FROM pg_extension JOIN pg_namespace ON pg_namespace.oid = extnamespace"
            " WHERE extname = 'pg_trgm'"
        )
        record = c.fetchone()
        assert record is not None  # made just now if it was missing
        return str(record["nspname"])

    def statement(self, text: str) -> Composed:
        return SQL(text).format(
            rows=self.table,
            counts=self.counts,
            blocks=self.blocks,
            tipos=self.tipos,
            terms=self.terms,
            tracking=self.tracking,
        )

    def mark(self, name: str) -> str:
        return f"%({name})s"

    def column_names(self, c: Cursor[DictRow]) -> set[str]:
        c.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (self.schema, self.tables.rows),
        )
        return {record["column_name"] for record in c.fetchall()}

    def contains(
        self, columns: tuple[str, ...], text: str, params: dict[str, Any], name: str
    ) -> str:
        # Each column's trigram index serves LIKE, whose escape character is the backslash.
        params[name] = containing(text)
        return "(" + " OR ".join(f"{column} LIKE %({name})s" for column in columns) + ")"

    def select_rows(self, ids: Collection[int]) -> tuple[Composed, tuple[list[int]]]:
        return self.select_rows_statement, (list(ids),)

    def delete_rows(self, ids: Collection[int]) -> tuple[Composed, tuple[list[int]]]:
        return SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self.table), (list(ids),)

    def select_rows_not_in(self, other: Tables) -> Composed:
        return SQL("SELECT {} FROM {} EXCEPT SELECT {} FROM {}").format(
            STORED_LIST, self.table, STORED_LIST, Identifier(self.schema, other.rows)
        )

    def close(self) -> None:
        self.datastore.close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor[DictRow]]:
        with self.datastore.transaction(commit=True) as curs:
            # Projectors check their position with SELECT ... FOR UPDATE: they wait here.
            curs.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self.tracking))
            yield curs

    def _writing(self) -> AbstractContextManager[Cursor[DictRow]]:
        return self.datastore.transaction(commit=True)

    def _reading(self) -> AbstractContextManager[Cursor[DictRow]]:
        return self.datastore.cursor()

    def _save_changes(
        self, c: Cursor[DictRow], changes: RowChanges, tracking: Tracking, since: int
    ) -> None:
        super()._save_changes(c, changes, tracking, since)
        c.execute("SELECT pg_notify(%s, %s)", (self.channel, str(tracking.notification_id)))

    def _insert(self, c: Cursor[DictRow], rows: list[ClienteRow]) -> None:
        if len(rows) < COPY_FROM:
            super()._insert(c, rows)
            return
        with c.copy(self.copy_rows_statement) as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(self._values(row))

    def _query(self, c: Cursor[DictRow], statement: Composed, params: Params) -> list[Any]:
        # Prepared at once: the reads of a page or a row repeat on every connection.
        return c.execute(statement, params, prepare=True).fetchall()

    def replace_with(self, within: Cursor[DictRow], other: ClientesView) -> None:
        # Renames are metadata only: the swap takes no longer for a large table.
        within.execute(SQL("DROP TABLE {}").format(SQL(", ").join(self._identifiers())))
        for old, new in zip(other.tables, self.tables, strict=True):
            within.execute(
                SQL("ALTER TABLE {} RENAME TO {}").format(
                    Identifier(self.schema, old), Identifier(new)
                )
            )
            self._rename_index(within, f"{old}_pkey", f"{new}_pkey")
        for suffix in ["codigo_key", *INDEXES, *TRIGRAM_INDEXES.values()]:
            self._rename_index(
                within, f"{other.tables.rows}_{suffix}", f"{self.tables.rows}_{suffix}"
            )

    def _identifiers(self) -> list[Identifier]:
        return [Identifier(self.schema, name) for name in self.tables]

    def _rename_index(self, within: Cursor[DictRow], old: str, new: str) -> None:
        within.execute(
            SQL("ALTER INDEX {} RENAME TO {}").format(Identifier(self.schema, old), Identifier(new))
        )

    def _time(self, value: datetime) -> datetime:
        # Already in UTC from a session in UTC (the async reads' are).
        return value if value.tzinfo is UTC else value.astimezone(UTC)
