"""The read table on the embedded SQLite store."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from projections.finding import INDEXES
from projections.rows import ClienteRow
from projections.search import containing
from projections.statements import SELECT_ROWS, STORED_LIST, table_columns
from projections.view import ClientesView, Tables

# Times are ISO 8601 text; INTEGER PRIMARY KEY makes the id the table's rowid.
COLUMN_TYPES = {int: "INTEGER", str: "TEXT", datetime: "TEXT"}
FOLDED_TYPE = "TEXT"
TABLE_COLUMNS = table_columns(COLUMN_TYPES, FOLDED_TYPE)
TRIGRAMS = 3  # the shortest text the trigram index can find; shorter text is looked for row by row
# The columns a search looks inside, in the trigram index.
TRIGRAM_COLUMNS = ("nombre_folded", "contacto_representante_folded", "telefono_digits")


class SQLiteClientesView(SQLiteTrackingRecorder, ClientesView):
    """The library's embedded recorder tracks every view in one table, named
    ``tracking``; each read table here keeps its own, as on PostgreSQL, so
    that a table rebuilt beside the live one starts from nothing.
    """

    lateral = ""
    column_types = COLUMN_TYPES
    folded_type = FOLDED_TYPE
    # A table keyed by text is stored in its key's order, without a rowid beside it.
    text_keyed = " WITHOUT ROWID"
    position_lock = ""  # the transaction holds the database's write lock from its start
    positional_mark = "?"

    def __init__(self, datastore: SQLiteDatastore, *, table_name: str = "clientes") -> None:
        # Named and composed before the library's constructor, which asks for the
        # tables to create.
        self.tables = Tables.named(table_name)
        self.compose_statements()
        super().__init__(datastore)
        rows, _, _, _, _, tracking = self.tables
        self.insert_tracking_statement = (
            f"INSERT INTO {tracking} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {tracking}.notification_id < :notification_id "
            "RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {tracking} WHERE application_name=?"
        )
        self.trigrams = f"{rows}_text_trigrams"
        retired = f"{rows}_nombre_trigrams"  # the nombre's alone, made by earlier releases
        self.drop_statements = [
            f"DROP TABLE IF EXISTS {table}" for table in (*self.tables, self.trigrams, retired)
        ]
        # The trigrams of the columns a search looks inside, an FTS5 index of the
        # table's own columns kept by triggers: the projection only ever inserts and
        # deletes rows.
        indexed = ", ".join(TRIGRAM_COLUMNS)
        old = ", ".join(f"old.{column}" for column in TRIGRAM_COLUMNS)
        new = ", ".join(f"new.{column}" for column in TRIGRAM_COLUMNS)
        self.search_statements = [
            f"DROP TRIGGER IF EXISTS {retired}_insert",
            f"DROP TRIGGER IF EXISTS {retired}_delete",
            f"DROP TABLE IF EXISTS {retired}",
            *(
                f"CREATE INDEX IF NOT EXISTS {rows}_{suffix} ON {rows} ({columns})"
                for suffix, columns in INDEXES.items()
            ),
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.trigrams} USING fts5("
            f"{indexed}, content='{rows}', content_rowid='id', tokenize='trigram')",
            f"CREATE TRIGGER IF NOT EXISTS {self.trigrams}_insert AFTER INSERT ON {rows} BEGIN"
            f" INSERT INTO {self.trigrams} (rowid, {indexed}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS {self.trigrams}_delete AFTER DELETE ON {rows} BEGIN"
            f" INSERT INTO {self.trigrams} ({self.trigrams}, rowid, {indexed})"
            f" VALUES ('delete', old.id, {old}); END",
        ]

    def create_table(self) -> None:
        self.create_bare_tables()
        self.add_search_indexes()

    def create_bare_tables(self) -> None:
        SQLiteTrackingRecorder.create_table(self)

    def add_search_indexes(self) -> None:
        with self.transaction() as c:
            if not self.add_missing_columns(c):
                return  # left as it is, for `clientes replay` to make anew
            c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (self.trigrams,))
            trigrams_made = c.fetchone() is not None
            for statement in self.search_statements:
                c.execute(statement)
            for counting in (self.sql.count_blocks, self.sql.count_tipos):  # older tables
                c.execute(counting)
            if not trigrams_made:  # the rows already there, indexed at once
                c.execute(f"INSERT INTO {self.trigrams} ({self.trigrams}) VALUES ('rebuild')")

    def forget_deleted(self, c: SQLiteCursor) -> None:
        # The trigram index keeps a deleted row's entries in its older segments until
        # they are merged: merged now, in the erasure's transaction, the erased
        # person's text goes (and secure_delete overwrites the pages it was on). A table
        # being rebuilt has no index yet: it gets one made from its rows alone.
        c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (self.trigrams,))
        if c.fetchone() is not None:
            c.execute(f"INSERT INTO {self.trigrams} ({self.trigrams}) VALUES ('optimize')")

    def statement(self, text: str) -> str:
        return text.format(**self.tables._asdict())

    def mark(self, name: str) -> str:
        return f":{name}"

    def column_names(self, c: SQLiteCursor) -> set[str]:
        c.execute(f"SELECT name FROM pragma_table_info('{self.tables.rows}')")
        return {name for (name,) in c.fetchall()}

    def contains(
        self, columns: tuple[str, ...], text: str, params: dict[str, Any], name: str
    ) -> str:
        if len(text) < TRIGRAMS:
            params[name] = containing(text)
            alternatives = (f"{column} LIKE :{name} ESCAPE '\\'" for column in columns)
            return f"({' OR '.join(alternatives)})"
        # A phrase of the trigram tokenizer matches where the text occurs whole, in
        # the columns named before it.
        params[name] = "{" + " ".join(columns) + '} : "' + text.replace('"', '""') + '"'
        return f"id IN (SELECT rowid FROM {self.trigrams} WHERE {self.trigrams} MATCH :{name})"

    def construct_create_table_statements(self) -> list[str]:
        rows, tracking = self.tables.rows, self.tables.tracking
        return [
            f"CREATE TABLE IF NOT EXISTS {tracking} (application_name TEXT, "
            f"notification_id INTEGER, PRIMARY KEY (application_name)){self.text_keyed}",
            self.sql.create_rows,
            f"CREATE UNIQUE INDEX IF NOT EXISTS {rows}_codigo_key "
            f"ON {rows} (lower(codigo_cliente))",
            self.sql.create_counts,
            self.sql.create_blocks,
            self.sql.create_tipos,
            self.sql.create_terms,
        ]

    def select_rows(self, ids: Collection[int]) -> tuple[str, tuple[int, ...]]:
        return self.statement(f"{SELECT_ROWS} WHERE id IN ({_marks(ids)})"), tuple(ids)

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
