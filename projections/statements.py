"""The read table's statements, written once for every store.

A store supplies only what it says its own way (``TableDialect``): its
placeholders, its column types and a few words of its SQL. Each statement
names its tables as ``ClientesView.statement`` formats them (``{rows}``,
``{counts}``, ``{blocks}``, ``{tipos}``, ``{terms}``, ``{tracking}``), and a
view turns them all into its store's form once, when it is made.

Parameters are named (a dict binds them), except the values of inserted rows:
rows are written by the thousand in a replay, and on SQLite a tuple binds them
over twice as fast as a dict of the same values.
"""

# Built of names and placeholders, never of values: no statement here can be injected.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from projections.columns import Column, column_definitions, columns
from projections.finding import Dialect
from projections.rows import COLUMNS, SPANS_PER_BLOCK, STORED_COLUMNS, ClienteRow
from projections.search import FOLDED_COLUMNS

# A statement in the store's own form: text for SQLite, composed SQL for psycopg.
Statement = Any
COLUMN_LIST = ", ".join(COLUMNS)
STORED_LIST = ", ".join(STORED_COLUMNS)
SELECT_ROWS = f"SELECT {COLUMN_LIST} FROM {{rows}}"
# Counts per block, from the spans' counts: for a table made before blocks were counted.
BY_BLOCK = f"span / {SPANS_PER_BLOCK}"


class TableDialect(Dialect, Protocol):
    """What a store's read table says its own way, beside the words of its searches."""

    column_types: Mapping[type, str]  # the store's type of each type of value
    folded_type: str  # the type of the folded copies of text that searches read
    text_keyed: str  # what ends the definition of a table whose key is text
    position_lock: str  # what keeps other writers from the position until this one commits
    positional_mark: str  # the placeholder of a parameter given by position


class Statements(NamedTuple):
    """The read table's statements that every store shares."""

    create_rows: Statement
    create_counts: Statement  # vigente Clientes per span of ids
    create_blocks: Statement  # vigente Clientes per block of spans
    create_tipos: Statement  # vigente Clientes per pair of tipoCliente and tipoDocumento
    create_terms: Statement  # vigente Clientes each kept search term finds
    select_row: Statement  # the row of ``id``
    select_page: Statement  # in id order, unfiltered: each record with the total
    select_position: Statement  # no other writer moves it until this one commits
    insert_rows: Statement  # a row's values by position, in STORED_COLUMNS order
    update_counts: Statement  # adds ``delta`` to a span's count
    update_blocks: Statement  # adds ``delta`` to a block's count
    update_tipos: Statement  # adds ``delta`` to a pair of types' count
    update_terms: Statement  # adds ``delta`` to a kept term's count
    insert_term: Statement  # keeps a term's count, unless it is kept already
    select_total: Statement
    select_spans: Statement  # the counts of the spans that hold vigente Clientes
    select_blocks: Statement  # the counts of the blocks that hold vigente Clientes
    select_tipos: Statement  # the counts of the pairs of types that vigente Clientes have
    select_terms: Statement  # the kept terms, with their counts
    count_blocks: Statement  # for a table made by an older release: its spans' counts added up
    count_tipos: Statement  # for a table made by an older release: its rows counted by type
    select_any_row: Statement  # a record if the table holds any row
    analyze: Statement  # gathers the statistics the planner chooses indexes by

    def composed(self, compose: Callable[[str], Statement]) -> Statements:
        """The statements in a store's own form."""
        return Statements(*map(compose, self))


def stored_columns(column_types: Mapping[type, str], folded_type: str) -> list[Column]:
    """The read table's columns, in STORED_COLUMNS order: the row's fields, then the
    folded copies of its text."""
    return [*columns(ClienteRow, column_types), *_folded(folded_type)]


def table_columns(column_types: Mapping[type, str], folded_type: str) -> str:
    """The column list of the read table: the id first, as earlier releases made it."""
    row = column_definitions(ClienteRow, column_types, key="id")
    return ", ".join([row, *(column.definition() for column in _folded(folded_type))])


def _folded(folded_type: str) -> list[Column]:
    return [Column(name, folded_type, nullable=False) for name in FOLDED_COLUMNS]


def add_column(column: Column, *, nullable: bool) -> str:
    """Adds ``column`` to the read table (admitting null if ``nullable``)."""
    return f"ALTER TABLE {{rows}} ADD COLUMN {column.definition(nullable=nullable)}"


def read_table_statements(dialect: TableDialect) -> Statements:
    """The read table's statements in ``dialect``, naming the tables as ``statement`` does."""
    mark = dialect.mark
    integer, text = dialect.column_types[int], dialect.column_types[str]
    # Each count is under 2**31: summed as integers (int4 on PostgreSQL), not as numerics.
    counted = "CAST(vigentes AS INTEGER)"

    def counts_by(table: str, key: str) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {{{table}}}"
            f" ({key} {integer} PRIMARY KEY, vigentes {integer} NOT NULL)"
        )

    def adds_to(table: str, keys: Sequence[str]) -> str:
        values = ", ".join(mark(name) for name in (*keys, "delta"))
        return (
            f"INSERT INTO {{{table}}} AS c VALUES ({values}) ON CONFLICT ({', '.join(keys)})"
            " DO UPDATE SET vigentes = c.vigentes + excluded.vigentes"
        )

    def running_sum(key: str) -> str:
        return f"sum({counted}) OVER (ORDER BY {key}) AS upto"

    return Statements(
        create_rows=(
            "CREATE TABLE IF NOT EXISTS {rows}"
            f" ({table_columns(dialect.column_types, dialect.folded_type)})"
        ),
        create_counts=counts_by("counts", "span"),
        create_blocks=counts_by("blocks", "block"),
        create_tipos=(
            f"CREATE TABLE IF NOT EXISTS {{tipos}} (tipo_cliente {text}, tipo_documento {text},"
            f" vigentes {integer} NOT NULL, PRIMARY KEY (tipo_cliente, tipo_documento))"
            f"{dialect.text_keyed}"
        ),
        create_terms=(
            f"CREATE TABLE IF NOT EXISTS {{terms}} (term {text} PRIMARY KEY,"
            f" matches {integer} NOT NULL){dialect.text_keyed}"
        ),
        select_row=f"{SELECT_ROWS} WHERE id = {mark('id')}",
        # The total is the sum of the blocks' counts, and the page starts in the span
        # that holds row number ``offset`` (found in the block that holds it), skipping
        # fewer than SPAN rows rather than ``offset`` of them. A page past the end has
        # no span to start from: SQLite refuses the null OFFSET, hence the coalesce.
        select_page=(
            f"WITH block AS (SELECT block, {mark('offset')} - (upto - vigentes) AS skip"
            f"   FROM (SELECT block, vigentes, {running_sum('block')} FROM {{blocks}}) AS counted"
            f"   WHERE upto > {mark('offset')} ORDER BY block LIMIT 1),"
            " start AS (SELECT span, (SELECT skip FROM block) - (upto - vigentes) AS skip"
            f"   FROM (SELECT span, vigentes, {running_sum('span')}"
            f"     FROM {{counts}} WHERE span >= (SELECT block FROM block) * {mark('spans')}"
            f"     AND span < ((SELECT block FROM block) + 1) * {mark('spans')}) AS counted"
            "   WHERE upto > (SELECT skip FROM block) ORDER BY span LIMIT 1)"
            f" SELECT (SELECT coalesce(sum({counted}), 0) FROM {{blocks}}) AS total, c.*"
            f" FROM (SELECT 1) AS one LEFT JOIN {dialect.lateral}({SELECT_ROWS}"
            f"   WHERE id >= (SELECT span FROM start) * {mark('span')} ORDER BY id"
            f"   LIMIT {mark('limit')} OFFSET coalesce((SELECT skip FROM start), 0)) AS c ON true"
        ),
        select_position=(
            "SELECT notification_id FROM {tracking}"
            f" WHERE application_name = {mark('application_name')}{dialect.position_lock}"
        ),
        insert_rows=(
            f"INSERT INTO {{rows}} ({STORED_LIST})"
            f" VALUES ({', '.join(dialect.positional_mark for _ in STORED_COLUMNS)})"
        ),
        update_counts=adds_to("counts", ["span"]),
        update_blocks=adds_to("blocks", ["block"]),
        update_tipos=adds_to("tipos", ["tipo_cliente", "tipo_documento"]),
        update_terms=(
            f"UPDATE {{terms}} SET matches = matches + {mark('delta')} WHERE term = {mark('term')}"
        ),
        insert_term=(
            f"INSERT INTO {{terms}} VALUES ({mark('term')}, {mark('matches')})"
            " ON CONFLICT (term) DO NOTHING"
        ),
        select_total="SELECT coalesce(sum(vigentes), 0) AS total FROM {blocks}",
        select_spans="SELECT span, vigentes FROM {counts} WHERE vigentes <> 0",
        select_blocks="SELECT block, vigentes FROM {blocks} WHERE vigentes <> 0",
        select_tipos=(
            "SELECT tipo_cliente, tipo_documento, vigentes FROM {tipos} WHERE vigentes <> 0"
        ),
        select_terms="SELECT term, matches FROM {terms}",
        count_blocks=(
            f"INSERT INTO {{blocks}} SELECT {BY_BLOCK}, sum(vigentes) FROM {{counts}}"
            f" WHERE NOT EXISTS (SELECT 1 FROM {{blocks}}) GROUP BY {BY_BLOCK}"
        ),
        count_tipos=(
            "INSERT INTO {tipos} SELECT tipo_cliente, tipo_documento, count(*) FROM {rows}"
            " WHERE NOT EXISTS (SELECT 1 FROM {tipos}) GROUP BY tipo_cliente, tipo_documento"
        ),
        select_any_row="SELECT 1 AS held FROM {rows} LIMIT 1",
        analyze="ANALYZE {rows}",
    )
