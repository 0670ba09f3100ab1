"""Rows of the read table, a batch of changes to them, and how two tables' rows differ."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

import msgspec

from commands import ClienteDatos
from projections.search import FOLDED_COLUMNS, folded_values, matches


class ClienteRow(ClienteDatos, frozen=True, kw_only=True):
    """A vigente Cliente as the read table holds it: its data, with its id,
    its version and the times it was created and last changed."""

    id: int
    version: int
    fecha_creacion: datetime
    fecha_modificacion: datetime


COLUMNS = ClienteRow.__struct_fields__
DATOS_COLUMNS = ClienteDatos.__struct_fields__  # what the Cliente's own data fills
# What the table stores of each row: its fields, then the folded copies searches read.
STORED_COLUMNS = (*COLUMNS, *FOLDED_COLUMNS)
TIMES = tuple(f.name for f in msgspec.structs.fields(ClienteRow) if f.type is datetime)

# The read table keeps how many vigente Clientes each span of ids holds, so that
# a page deep in the list starts from its span instead of skipping every row
# before it; and how many each block of spans holds, so that the total and the
# span a page starts in are sums of a few counts at any size (a thousand spans
# at 1,000,000 Clientes, but 31 blocks).
SPAN = 1024
SPANS_PER_BLOCK = 32
# It also keeps how many each pair of tipoCliente and tipoDocumento holds, so
# that the total of a list filtered by type is a sum of a few counts too.
Tipos = tuple[str, str]  # (tipo_cliente, tipo_documento)
IdRange = tuple[int, int]  # the first and the last id of a span or a block


def span_of(cliente_id: int) -> int:
    return cliente_id // SPAN


def block_of(span: int) -> int:
    return span // SPANS_PER_BLOCK


def span_ids(span: int) -> IdRange:
    return span * SPAN, (span + 1) * SPAN - 1


def block_ids(block: int) -> IdRange:
    ids = SPAN * SPANS_PER_BLOCK
    return block * ids, (block + 1) * ids - 1


def tipos_of(row: ClienteRow) -> Tipos:
    return row.tipo_cliente, row.tipo_documento


class RowChanges:
    """The net effect of a batch of events on the read table.

    Starts from the rows the batch touches that exist already; each event
    updates this working set in memory; the result is written at once: the
    stale rows are deleted and the final versions inserted, which never trips
    the unique-code index on an intermediate state.
    """

    def __init__(self, existing: Iterable[ClienteRow] = ()) -> None:
        self.before = {row.id: row for row in existing}
        self.rows: dict[int, ClienteRow | None] = dict(self.before)
        self.existing = frozenset(self.before)
        self.touched: set[int] = set()
        self.count_deltas: dict[int, int] = {}  # span -> change in its count
        self.tipos_deltas: dict[Tipos, int] = {}  # pair of types -> change in its count
        self.erasures = 0  # Clientes the batch erases

    @property
    def total_delta(self) -> int:
        return sum(self.count_deltas.values())

    @property
    def block_deltas(self) -> dict[int, int]:
        """Block -> change in its count: its spans' changes."""
        deltas: dict[int, int] = {}
        for span, delta in self.count_deltas.items():
            block = block_of(span)
            deltas[block] = deltas.get(block, 0) + delta
        return deltas

    def add(self, row: ClienteRow) -> None:
        self.rows[row.id] = row
        self.touched.add(row.id)
        self._count(row, +1)

    def change(
        self, cliente_id: int, changes: Mapping[str, object], version: int, at: datetime
    ) -> None:
        row = self._current(cliente_id)
        changed = msgspec.structs.replace(row, **changes, version=version, fecha_modificacion=at)
        self.rows[cliente_id] = changed
        self.touched.add(cliente_id)
        if tipos_of(changed) != tipos_of(row):
            self._count_tipos(tipos_of(row), -1)
            self._count_tipos(tipos_of(changed), +1)

    def remove(self, cliente_id: int) -> None:
        row = self._current(cliente_id)
        self.rows[cliente_id] = None
        self.touched.add(cliente_id)
        self._count(row, -1)

    def discard(self, cliente_id: int) -> None:
        """Removes the Cliente's row if the table, or the batch, has one."""
        if self.rows.get(cliente_id) is not None:
            self.remove(cliente_id)

    def erase(self, cliente_id: int) -> None:
        """Removes an erased Cliente's row, if any, and notes that the batch erases:
        the store then clears what its indexes may keep of deleted rows."""
        self.discard(cliente_id)
        self.erasures += 1

    def _count(self, row: ClienteRow, delta: int) -> None:
        span = span_of(row.id)
        self.count_deltas[span] = self.count_deltas.get(span, 0) + delta
        self._count_tipos(tipos_of(row), delta)

    def _count_tipos(self, tipos: Tipos, delta: int) -> None:
        self.tipos_deltas[tipos] = self.tipos_deltas.get(tipos, 0) + delta

    @property
    def stale_ids(self) -> set[int]:
        """Rows in the table that the batch changed or removed: to delete before inserting."""
        return self.touched & self.existing

    def final_rows(self) -> list[ClienteRow]:
        """The touched rows that are still vigente, in id order."""
        return sorted(
            (row for i in self.touched if (row := self.rows[i]) is not None),
            key=lambda row: row.id,
        )

    def term_deltas(self, terms: Collection[str]) -> dict[str, int]:
        """How many more rows each of ``terms`` finds after the batch than before it
        (only the terms whose count changes)."""
        deltas = dict.fromkeys(terms, 0)
        for cliente_id in self.touched:
            for row, delta in ((self.before.get(cliente_id), -1), (self.rows[cliente_id], +1)):
                if row is not None:
                    folded = folded_values(row)
                    for term in terms:
                        if matches(term, folded):
                            deltas[term] += delta
        return {term: delta for term, delta in deltas.items() if delta}

    def _current(self, cliente_id: int) -> ClienteRow:
        row = self.rows.get(cliente_id)
        if row is None:
            raise LookupError(f"Cliente {cliente_id} is not in the read table")
        return row


def describe_differences(
    mine: dict[int, ClienteRow],
    theirs: dict[int, ClienteRow],
    totals: tuple[int, int],
    spans: tuple[dict[IdRange, int], dict[IdRange, int]],
    tipos: tuple[dict[Tipos, int], dict[Tipos, int]],
    terms: tuple[dict[str, int], dict[str, int]],
) -> list[str]:
    """How a live table (mine) differs from a rebuilt one (theirs), in words: its rows,
    its total, its counts per span and per block of ids, its counts per pair of types
    and its kept counts of search terms."""
    found = []
    for cliente_id in sorted(mine.keys() | theirs.keys()):
        if cliente_id not in theirs:
            found.append(f"Cliente {cliente_id}: in the table, but not vigente in the events")
        elif cliente_id not in mine:
            found.append(f"Cliente {cliente_id}: vigente in the events, missing from the table")
        else:
            columns = [
                name
                for name in COLUMNS
                if getattr(mine[cliente_id], name) != getattr(theirs[cliente_id], name)
            ]
            # Equal in every field, the rows differ in the folded copies searches read.
            named = ", ".join(columns) or "the folded copies of its text"
            found.append(f"Cliente {cliente_id}: differs in {named}")
    if totals[0] != totals[1]:
        found.append(
            f"count of vigente Clientes: {totals[0]} in the table, {totals[1]} in the events"
        )
    found += _counts_differing(spans, lambda ids: f"with ids {ids[0]} to {ids[1]}")
    found += _counts_differing(tipos, "/".join)
    kept, recounted_terms = terms
    for term, count in sorted(kept.items()):
        if count != recounted_terms.get(term):
            found.append(
                f"count of vigente Clientes found by {term!r}: "
                f"{count} kept by the table, {recounted_terms.get(term)} in the events"
            )
    return found


Key = TypeVar("Key", IdRange, Tipos)


def _counts_differing(
    counts: tuple[dict[Key, int], dict[Key, int]], named: Callable[[Key], str]
) -> list[str]:
    """The counts kept per key that differ between a live table and a rebuilt one."""
    counted, recounted = counts
    return [
        f"count of vigente Clientes {named(key)}: {count} in the table, {recount} in the events"
        for key in sorted(counted.keys() | recounted.keys())
        if (count := counted.get(key, 0)) != (recount := recounted.get(key, 0))
    ]
