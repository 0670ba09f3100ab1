"""What the read side offers: the read table, kept with its tracking position.

The sequence of each operation is written here once, and the statements they
run once too (projections/statements.py), in the words each store supplies.
A store keeps only what truly differs: how it takes its write lock, how its
values are converted, how it reads or writes many ids or rows at once, its
search indexes, and how a rebuilt table takes the live one's place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from eventsourcing.persistence import Tracking, TrackingRecorder

from projections.finding import count_statement, page_statement
from projections.rows import (
    COLUMNS,
    SPAN,
    SPANS_PER_BLOCK,
    TIMES,
    ClienteRow,
    IdRange,
    RowChanges,
    Tipos,
    block_ids,
    describe_differences,
    span_ids,
)
from projections.search import EVERY_CLIENTE, FOLDED_COLUMNS, ClienteQuery, folded_values
from projections.statements import (
    Statement,
    Statements,
    add_column,
    read_table_statements,
    stored_columns,
)

# A cursor of the view's database, inside a transaction the caller holds.
Cursor = Any
Params = tuple[Any, ...] | dict[str, Any]


# The most search terms a table keeps counts of: each costs every batch a test per row.
MAX_KEPT_TERMS = 200


class TrackingConflict(Exception):
    """The table's position is no longer the one the batch was read after:
    another projector, or a replay, has moved it. The batch is not applied."""


class Tables(NamedTuple):
    """The names of a read table and of the five tables kept with it."""

    rows: str
    counts: str  # vigente Clientes per span of ids
    blocks: str  # vigente Clientes per block of spans
    tipos: str  # vigente Clientes per pair of tipoCliente and tipoDocumento
    terms: str  # vigente Clientes each kept search term finds
    tracking: str

    @classmethod
    def named(cls, table_name: str) -> Tables:
        suffixes = ("", "_counts", "_blocks", "_tipos", "_terms", "_tracking")
        return cls(*(f"{table_name}{suffix}" for suffix in suffixes))


class ClientesView(TrackingRecorder, ABC):
    """The read table of vigente Clientes and the count of them.

    Each batch of changes is written with the tracking position of its last
    event, in one transaction, and only if the table is still at the position
    the batch was read after. Methods that take ``within`` run in the caller's
    transaction (from ``transaction()``) instead of one of their own.
    """

    # Set by each store, for its own tables.
    tables: Tables
    sql: Statements  # the shared statements, in the store's form (``compose_statements``)
    drop_statements: list[Statement]
    # The store's words (projections/statements.py, TableDialect).
    lateral: str
    column_types: Mapping[type, str]
    folded_type: str
    text_keyed: str
    position_lock: str
    positional_mark: str
    # The columns of this release's rows that the table lacks and that only a rebuild
    # can give its rows; found by ``add_search_indexes``.
    lacking: tuple[str, ...] = ()

    @abstractmethod
    def select_rows(self, ids: Collection[int]) -> tuple[Statement, Params]:
        """The rows of ``ids``."""

    @abstractmethod
    def delete_rows(self, ids: Collection[int]) -> tuple[Statement, Params]:
        """Deletes the rows of ``ids``."""

    @abstractmethod
    def statement(self, text: str) -> Statement:
        """The store's statement of ``text``, whose ``{rows}``, ``{counts}``, ``{blocks}``,
        ``{tipos}``, ``{terms}`` and ``{tracking}`` name its tables."""

    @abstractmethod
    def mark(self, name: str) -> str:
        """The placeholder of the parameter ``name``."""

    @abstractmethod
    def column_names(self, c: Cursor) -> set[str]:
        """The names of the columns the read table has."""

    @abstractmethod
    def contains(
        self, columns: tuple[str, ...], text: str, params: dict[str, Any], name: str
    ) -> str:
        """The condition that one of ``columns`` contains ``text``; adds its params,
        named from ``name``."""

    @abstractmethod
    def select_rows_not_in(self, other: Tables) -> Statement:
        """The rows of this table that ``other``'s lacks, every column compared."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Cursor]:
        """A transaction during which no projector can write to this table."""

    @abstractmethod
    def replace_with(self, within: Cursor, other: ClientesView) -> None:
        """Makes ``other``'s content, count and position this table's; ``other`` is gone."""

    @abstractmethod
    def close(self) -> None:
        """Closes the view's connections."""

    # The library's tracking recorder, which each store extends, provides these two.
    @abstractmethod
    def create_table(self) -> None:
        """Creates the tables that are missing, ready for searches."""

    @abstractmethod
    def create_bare_tables(self) -> None:
        """Creates the tables that are missing, without what searches read."""

    @abstractmethod
    def add_search_indexes(self) -> None:
        """Adds what searches read: the columns the table lacks (``add_missing_columns``),
        the counts, and the indexes; none of it to a table that lacks a column only a
        rebuild gives its rows, which is left as it is."""

    @abstractmethod
    def _insert_tracking(self, c: Cursor, tracking: Tracking) -> None: ...

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Cursor]:
        """A transaction of the view's own, committed at the end."""

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Cursor]:
        """A cursor outside any transaction: each statement reads one snapshot."""

    @abstractmethod
    def _time(self, value: Any) -> datetime:
        """A time as the store returns it, in UTC."""

    def compose_statements(self) -> None:
        """Puts the shared statements in the store's form, once its tables are named."""
        self.sql = read_table_statements(self).composed(self.statement)

    def add_missing_columns(self, c: Cursor) -> bool:
        """Adds the columns of this release's table that the table lacks, if it can;
        False, and ``lacking`` names them, if only a rebuild can.

        A table without rows takes any column as declared. A table with rows takes the
        row's optional fields admitting null, as they are, and the folded copies of its
        text admitting null too: searches miss those rows until `clientes replay` fills
        them in. A column every row needs cannot be filled in here.
        """
        present = self.column_names(c)
        missing = [
            column
            for column in stored_columns(self.column_types, self.folded_type)
            if column.name not in present
        ]
        self.lacking = ()
        if not missing:
            return True
        c.execute(self.sql.select_any_row)
        held = c.fetchone() is not None
        if held:
            self.lacking = tuple(
                column.name
                for column in missing
                if not column.nullable and column.name not in FOLDED_COLUMNS
            )
            if self.lacking:
                return False
        for column in missing:
            c.execute(self.statement(add_column(column, nullable=held)))
        return True

    def get_rows(self, ids: Collection[int], within: Cursor | None = None) -> list[ClienteRow]:
        """The rows of those of ``ids`` that are in the table."""
        if not ids:
            return []
        statement, params = self.select_rows(ids)
        return self._fetch(statement, params, within)

    def get(self, cliente_id: int) -> ClienteRow | None:
        """One vigente Cliente."""
        rows = self._fetch(self.sql.select_row, {"id": cliente_id})
        return rows[0] if rows else None

    def page(
        self, offset: int, limit: int, query: ClienteQuery = EVERY_CLIENTE, *, kept: bool = False
    ) -> tuple[list[ClienteRow], int]:
        """The rows ``query`` finds, in its order, from ``offset``, and how many it
        finds, from one snapshot (``kept`` as for ``select_page``)."""
        statement, params = self.select_page(query, offset, limit, kept=kept)
        with self._reading() as c:
            return self.page_of(self._query(c, statement, params))

    def select_page(
        self, query: ClienteQuery, offset: int, limit: int, *, kept: bool = False
    ) -> tuple[Statement, dict[str, Any]]:
        """The statement of a page and its parameters; ``kept`` when the table is
        known to keep the count of the query's term."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if not query.filtered and query.in_id_order:
            # The total and the page's first span, from the counts (statements.py).
            return self.sql.select_page, {**params, "span": SPAN, "spans": SPANS_PER_BLOCK}
        text, found = page_statement(query, self, kept=kept)
        return self.statement(text), {**params, **found}

    def kept_counts(self) -> dict[str, int]:
        """The search terms whose counts the table keeps, with their counts."""
        with self._reading() as c:
            return self._kept_terms(c)

    def keep_count(self, query: ClienteQuery) -> bool:
        """Keeps the count of what a query by text alone finds, which each batch then
        keeps current; False if MAX_KEPT_TERMS are kept already. Projectors wait
        while the matches are counted."""
        assert query.term is not None
        with self.transaction() as c:
            kept = self._kept_terms(c)
            if query.term in kept:
                return True
            if len(kept) >= MAX_KEPT_TERMS:
                return False
            self._count_and_keep(c, query.term)
        return True

    def keep_terms_of(self, other: ClientesView, within: Cursor | None = None) -> None:
        """Counts here the terms ``other`` keeps and this table does not yet, and keeps
        them (a rebuilt table, before it takes the live one's place)."""
        if within is None:
            with self._writing() as c:
                self.keep_terms_of(other, c)
            return
        for term in other._kept_terms(within).keys() - self._kept_terms(within).keys():
            self._count_and_keep(within, term)

    def _count_and_keep(self, c: Cursor, term: str) -> None:
        text, params = count_statement(ClienteQuery(text=term), self)
        c.execute(self.statement(text), params)
        c.execute(self.sql.insert_term, {"term": term, "matches": int(c.fetchone()["total"])})

    def page_of(self, records: list[Any]) -> tuple[list[ClienteRow], int]:
        """The rows and the total of a page statement's records."""
        total = int(records[0]["total"]) if records else 0
        return [self.row(r) for r in records if r["id"] is not None], total

    def save_changes(
        self, changes: RowChanges, tracking: Tracking, since: int, within: Cursor | None = None
    ) -> None:
        """Writes a batch's changes and its position; ``since`` is the batch's
        first position. Raises TrackingConflict if the table is already there."""
        if within is not None:
            self._save_changes(within, changes, tracking, since)
            return
        with self._writing() as c:
            self._save_changes(c, changes, tracking, since)

    def _save_changes(self, c: Cursor, changes: RowChanges, tracking: Tracking, since: int) -> None:
        c.execute(self.sql.select_position, {"application_name": tracking.application_name})
        position = c.fetchone()
        if position is not None and position["notification_id"] >= since:
            raise TrackingConflict(f"{self.tables.rows} is at {position['notification_id']}")
        if stale := changes.stale_ids:
            c.execute(*self.delete_rows(stale))
        if rows := changes.final_rows():
            self._insert(c, rows)
        if spans := [{"span": s, "delta": d} for s, d in changes.count_deltas.items() if d]:
            c.executemany(self.sql.update_counts, spans)
            blocks = [{"block": b, "delta": d} for b, d in changes.block_deltas.items() if d]
            c.executemany(self.sql.update_blocks, blocks)
        if tipos := [
            {"tipo_cliente": cliente, "tipo_documento": documento, "delta": d}
            for (cliente, documento), d in changes.tipos_deltas.items()
            if d
        ]:
            c.executemany(self.sql.update_tipos, tipos)
        # Read once this transaction holds the position: a term kept meanwhile was
        # counted with every batch before this one.
        if (kept := self._kept_terms(c)) and (found := changes.term_deltas(kept)):
            terms = [{"term": term, "delta": d} for term, d in found.items()]
            c.executemany(self.sql.update_terms, terms)
        if changes.erasures:
            self.forget_deleted(c)
        self._insert_tracking(c, tracking)

    def forget_deleted(self, c: Cursor) -> None:
        """Clears what the table's indexes keep of deleted rows, after an erasure: by
        default nothing (PostgreSQL's old row versions go with VACUUM, docs/personal-data.md)."""

    def _insert(self, c: Cursor, rows: list[ClienteRow]) -> None:
        c.executemany(self.sql.insert_rows, [self._values(row) for row in rows])

    def reset(self, *, searchable: bool = True) -> None:
        """Drops the tables and creates them empty (for a table being rebuilt); the
        search indexes only if ``searchable``: after a bulk load they are made faster."""
        self.drop()
        if searchable:
            self.create_table()
        else:
            self.create_bare_tables()

    def analyze(self) -> None:
        """Brings the planner's statistics of the table up to date (after a bulk load)."""
        with self._writing() as c:
            c.execute(self.sql.analyze)

    def drop(self) -> None:
        """Drops the tables."""
        with self._writing() as c:
            for statement in self.drop_statements:
                c.execute(statement)

    def differences(self, within: Cursor, other: ClientesView) -> list[str]:
        """Every way in which ``other`` differs from this table, in words."""

        def rows_not_in(a: ClientesView, b: ClientesView) -> dict[int, ClienteRow]:
            return {row.id: row for row in self._fetch(a.select_rows_not_in(b.tables), (), within)}

        return describe_differences(
            rows_not_in(self, other),
            rows_not_in(other, self),
            (self._total(within), other._total(within)),
            (self._id_ranges(within), other._id_ranges(within)),
            (self._tipos(within), other._tipos(within)),
            (self._kept_terms(within), other._kept_terms(within)),
        )

    def _kept_terms(self, c: Cursor) -> dict[str, int]:
        c.execute(self.sql.select_terms)
        return {r["term"]: int(r["matches"]) for r in c.fetchall()}

    def _total(self, c: Cursor) -> int:
        c.execute(self.sql.select_total)
        return int(c.fetchone()["total"])

    def _id_ranges(self, c: Cursor) -> dict[IdRange, int]:
        """The counts of the spans and of the blocks of ids that hold vigente Clientes."""
        c.execute(self.sql.select_spans)
        counts = {span_ids(r["span"]): int(r["vigentes"]) for r in c.fetchall()}
        c.execute(self.sql.select_blocks)
        return counts | {block_ids(r["block"]): int(r["vigentes"]) for r in c.fetchall()}

    def _tipos(self, c: Cursor) -> dict[Tipos, int]:
        c.execute(self.sql.select_tipos)
        return {(r["tipo_cliente"], r["tipo_documento"]): int(r["vigentes"]) for r in c.fetchall()}

    def _fetch(
        self, statement: Statement, params: Params, within: Cursor | None = None
    ) -> list[ClienteRow]:
        if within is not None:
            return [self.row(r) for r in self._query(within, statement, params)]
        with self._reading() as c:
            return [self.row(r) for r in self._query(c, statement, params)]

    def _query(self, c: Cursor, statement: Statement, params: Params) -> list[Any]:
        """The records a statement selects, each with its columns by name."""
        c.execute(statement, params)
        return list(c.fetchall())

    def _values(self, row: ClienteRow) -> tuple[Any, ...]:
        """A row's values in the order of STORED_COLUMNS, as the store takes them."""
        return (*msgspec.structs.astuple(row), *folded_values(row))

    def row(self, record: Any) -> ClienteRow:
        """A row from a record of its columns, by name."""
        fields = {name: record[name] for name in COLUMNS}
        for name in TIMES:
            fields[name] = self._time(fields[name])
        return ClienteRow(**fields)
