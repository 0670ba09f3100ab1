"""The read table on the embedded SQLite store."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from projections.columns import column_definitions
from projections.finding import INDEXES
from projections.rows import COLUMNS, STORED_COLUMNS, ClienteRow
from projections.search import FOLDED_COLUMNS, containing
from projections.view import COUNT_BLOCKS, COUNT_TIPOS, ClientesView, Tables

COLUMN_LIST = ", ".join(COLUMNS)
STORED_LIST = ", ".join(STORED_COLUMNS)
# Times are ISO 8601 text; INTEGER PRIMARY KEY makes the id the table's rowid.
COLUMN_TYPES = {int: "INTEGER", str: "TEXT", datetime: "TEXT"}
TABLE_COLUMNS = ", ".join(
    [
        column_definitions(ClienteRow, COLUMN_TYPES, key="id"),
        *(f"{name} TEXT NOT NULL" for name in FOLDED_COLUMNS),
    ]
)
TRIGRAMS = 3  # the shortest text the trigram index can find; shorter text is looked for row by row


class SQLiteClientesView(SQLiteTrackingRecorder, ClientesView):
    """The library's embedded recorder tracks every view in one table, named
    ``tracking``; each read table here keeps its own, as on PostgreSQL, so
    that a table rebuilt beside the live one starts from nothing.
    """

    lateral = ""

    def __init__(self, datastore: SQLiteDatastore, *, table_name: str = "clientes") -> None:
        # Named before the library's constructor, which asks for the tables to create.
        self.tables = Tables.named(table_name)
        super().__init__(datastore)
        rows, counts, blocks, tipos, terms, tracking = self.tables
        self.insert_tracking_statement = (
            f"INSERT INTO {tracking} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {tracking}.notification_id < :notification_id "
            "RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {tracking} WHERE application_name=?"
        )
        self._select = f"SELECT {COLUMN_LIST} FROM {rows}"
        self.select_row_statement = f"{self._select} WHERE id = ?"
        # An empty page past the end has no span to start from: SQLite refuses the
        # null OFFSET that PostgreSQL takes as 0, hence the coalesce.
        self.select_page_statement = (
            "WITH block AS (SELECT block, :offset - (upto - vigentes) AS skip"
            "   FROM (SELECT block, vigentes, sum(vigentes) OVER (ORDER BY block) AS upto"
            f"     FROM {blocks}) AS counted"
            "   WHERE upto > :offset ORDER BY block LIMIT 1),"
            " start AS (SELECT span, (SELECT skip FROM block) - (upto - vigentes) AS skip"
            "   FROM (SELECT span, vigentes, sum(vigentes) OVER (ORDER BY span) AS upto"
            f"     FROM {counts} WHERE span >= (SELECT block FROM block) * :spans"
            "     AND span < ((SELECT block FROM block) + 1) * :spans) AS counted"
            "   WHERE upto > (SELECT skip FROM block) ORDER BY span LIMIT 1)"
            f" SELECT (SELECT coalesce(sum(vigentes), 0) FROM {blocks}) AS total, c.*"
            f" FROM (SELECT 1) AS one LEFT JOIN ({self._select}"
            "   WHERE id >= (SELECT span FROM start) * :span ORDER BY id"
            "   LIMIT :limit OFFSET coalesce((SELECT skip FROM start), 0)) AS c ON true"
        )
        self.select_position_statement = (
            f"SELECT notification_id FROM {tracking} WHERE application_name = ?"
        )
        self.insert_rows_statement = (
            f"INSERT INTO {rows} ({STORED_LIST}) VALUES ({_marks(STORED_COLUMNS)})"
        )
        self.update_counts_statement = (
            f"INSERT INTO {counts} VALUES (?, ?) "
            "ON CONFLICT (span) DO UPDATE SET vigentes = vigentes + excluded.vigentes"
        )
        self.update_blocks_statement = (
            f"INSERT INTO {blocks} VALUES (?, ?) "
            "ON CONFLICT (block) DO UPDATE SET vigentes = vigentes + excluded.vigentes"
        )
        self.update_tipos_statement = (
            f"INSERT INTO {tipos} VALUES (?, ?, ?) ON CONFLICT (tipo_cliente, tipo_documento)"
            " DO UPDATE SET vigentes = vigentes + excluded.vigentes"
        )
        self.update_terms_statement = f"UPDATE {terms} SET matches = matches + ? WHERE term = ?"
        self.insert_term_statement = (
            f"INSERT INTO {terms} VALUES (?, ?) ON CONFLICT (term) DO NOTHING"
        )
        self.select_total_statement = f"SELECT coalesce(sum(vigentes), 0) AS total FROM {blocks}"
        self.analyze_statement = f"ANALYZE {rows}"
        self.trigrams = f"{rows}_nombre_trigrams"
        self.drop_statements = [
            f"DROP TABLE IF EXISTS {table}" for table in (*self.tables, self.trigrams)
        ]
        # The folded nombre's trigrams, an FTS5 index of the table's own column kept
        # by triggers: the projection only ever inserts and deletes rows.
        self.search_statements = [
            *(
                f"CREATE INDEX IF NOT EXISTS {rows}_{suffix} ON {rows} ({columns})"
                for suffix, columns in INDEXES.items()
            ),
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.trigrams} USING fts5("
            f"nombre_folded, content='{rows}', content_rowid='id', tokenize='trigram')",
            f"CREATE TRIGGER IF NOT EXISTS {self.trigrams}_insert AFTER INSERT ON {rows} BEGIN"
            f" INSERT INTO {self.trigrams} (rowid, nombre_folded)"
            " VALUES (new.id, new.nombre_folded); END",
            f"CREATE TRIGGER IF NOT EXISTS {self.trigrams}_delete AFTER DELETE ON {rows} BEGIN"
            f" INSERT INTO {self.trigrams} ({self.trigrams}, rowid, nombre_folded)"
            " VALUES ('delete', old.id, old.nombre_folded); END",
        ]

    def create_table(self) -> None:
        self.create_bare_tables()
        self.add_search_indexes()

    def create_bare_tables(self) -> None:
        SQLiteTrackingRecorder.create_table(self)

    def add_search_indexes(self) -> None:
        rows = self.tables.rows
        with self.transaction() as c:
            # A table made by an older release lacks the folded columns: they are
            # added, empty, until `clientes replay` makes the table anew.
            c.execute(f"SELECT name FROM pragma_table_info('{rows}')")
            present = {name for (name,) in c.fetchall()}
            for name in FOLDED_COLUMNS:
                if name not in present:
                    c.execute(f"ALTER TABLE {rows} ADD COLUMN {name} TEXT")
            c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (self.trigrams,))
            trigrams_made = c.fetchone() is not None
            for statement in self.search_statements:
                c.execute(statement)
            for counting in (COUNT_BLOCKS, COUNT_TIPOS):  # if made by an older release
                c.execute(self.statement(counting))
            if not trigrams_made:  # the rows already there, indexed at once
                c.execute(f"INSERT INTO {self.trigrams} ({self.trigrams}) VALUES ('rebuild')")

    def statement(self, text: str) -> str:
        rows, counts, blocks, tipos, terms, _ = self.tables
        return text.format(rows=rows, counts=counts, blocks=blocks, tipos=tipos, terms=terms)

    def mark(self, name: str) -> str:
        return f":{name}"

    def nombre_contains(self, text: str, params: dict[str, Any]) -> str:
        if len(text) < TRIGRAMS:
            params["contains"] = containing(text)
            return "nombre_folded LIKE :contains ESCAPE '\\'"
        # A phrase of the trigram tokenizer matches where the text occurs whole.
        params["phrase"] = '"' + text.replace('"', '""') + '"'
        return f"id IN (SELECT rowid FROM {self.trigrams} WHERE {self.trigrams} MATCH :phrase)"

    def construct_create_table_statements(self) -> list[str]:
        rows, counts, blocks, tipos, terms, tracking = self.tables
        return [
            f"CREATE TABLE IF NOT EXISTS {tracking} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {rows} ({TABLE_COLUMNS})",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {rows}_codigo_key "
            f"ON {rows} (lower(codigo_cliente))",
            f"CREATE TABLE IF NOT EXISTS {counts} "
            "(span INTEGER PRIMARY KEY, vigentes INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {blocks} "
            "(block INTEGER PRIMARY KEY, vigentes INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {tipos} (tipo_cliente TEXT, tipo_documento TEXT,"
            " vigentes INTEGER NOT NULL, PRIMARY KEY (tipo_cliente, tipo_documento)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {terms} (term TEXT PRIMARY KEY, matches INTEGER NOT NULL)"
            " WITHOUT ROWID",
        ]

    def select_rows(self, ids: Collection[int]) -> tuple[str, tuple[int, ...]]:
        return f"{self._select} WHERE id IN ({_marks(ids)})", tuple(ids)

    def delete_rows(self, ids: Collection[int]) -> tuple[str, tuple[int, ...]]:
        return f"DELETE FROM {self.tables.rows} WHERE id IN ({_marks(ids)})", tuple(ids)

    def select_rows_not_in(self, other: Tables) -> str:
        return (
            f"SELECT {STORED_LIST} FROM {self.tables.rows}"
            f" EXCEPT SELECT {STORED_LIST} FROM {other.rows}"
        )

    def close(self) -> None:
        self.datastore.close()

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

    def _writing(self) -> AbstractContextManager[SQLiteCursor]:
        # Write-locked from the start: a transaction that reads the position first
        # and writes after could not take the lock if another writer came between.
        return self.transaction()

    @contextmanager
    def _reading(self) -> Iterator[SQLiteCursor]:
        with self.datastore.get_connection(commit=False) as conn:
            yield conn.cursor()

    def replace_with(self, within: SQLiteCursor, other: ClientesView) -> None:
        # Copies rather than renames: an index cannot be renamed in SQLite, and the
        # embedded store's tables are small enough to copy in the swap. The live
        # tables are made anew first, as this release makes them: one made by an
        # older release may lack columns or have them in another order.
        remade = [*self.drop_statements, *self.construct_create_table_statements()]
        for statement in [*remade, *self.search_statements]:
            within.execute(statement)
        columns = (
            STORED_LIST,
            "span, vigentes",
            "block, vigentes",
            "tipo_cliente, tipo_documento, vigentes",
            "term, matches",
            "application_name, notification_id",
        )
        for mine, theirs, names in zip(self.tables, other.tables, columns, strict=True):
            within.execute(f"INSERT INTO {mine} ({names}) SELECT {names} FROM {theirs}")
        for statement in other.drop_statements:
            within.execute(statement)

    def _values(self, row: ClienteRow) -> tuple[Any, ...]:
        values = super()._values(row)
        return tuple(v.isoformat() if isinstance(v, datetime) else v for v in values)

    def _time(self, value: str) -> datetime:
        return datetime.fromisoformat(value)


def _marks(values: Collection[Any]) -> str:
    """A parameter mark for each of ``values``."""
    return ", ".join("?" * len(values))
