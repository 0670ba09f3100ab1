"""Rows of the read table, a batch of changes to them, and how two tables' rows differ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from commands import ClienteDatos
from projections.search import FOLDED_COLUMNS


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
# the total is a sum of a few counts and a page deep in the list starts from its
# span instead of skipping every row before it.
SPAN = 1024


def span_of(cliente_id: int) -> int:
    return cliente_id // SPAN


class RowChanges:
    """The net effect of a batch of events on the read table.

    Starts from the rows the batch touches that exist already; each event
    updates this working set in memory; the result is written at once: the
    stale rows are deleted and the final versions inserted, which never trips
    the unique-code index on an intermediate state.
    """

    def __init__(self, existing: Iterable[ClienteRow] = ()) -> None:
        self.rows: dict[int, ClienteRow | None] = {row.id: row for row in existing}
        self.existing = frozenset(self.rows)
        self.touched: set[int] = set()
        self.count_deltas: dict[int, int] = {}  # span -> change in its count

    @property
    def total_delta(self) -> int:
        return sum(self.count_deltas.values())

    def add(self, row: ClienteRow) -> None:
        self.rows[row.id] = row
        self.touched.add(row.id)
        self._count(row.id, +1)

    def change(
        self, cliente_id: int, changes: Mapping[str, object], version: int, at: datetime
    ) -> None:
        row = self._current(cliente_id)
        self.rows[cliente_id] = msgspec.structs.replace(
            row, **changes, version=version, fecha_modificacion=at
        )
        self.touched.add(cliente_id)

    def remove(self, cliente_id: int) -> None:
        self._current(cliente_id)
        self.rows[cliente_id] = None
        self.touched.add(cliente_id)
        self._count(cliente_id, -1)

    def _count(self, cliente_id: int, delta: int) -> None:
        span = span_of(cliente_id)
        self.count_deltas[span] = self.count_deltas.get(span, 0) + delta

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

    def _current(self, cliente_id: int) -> ClienteRow:
        row = self.rows.get(cliente_id)
        if row is None:
            raise LookupError(f"Cliente {cliente_id} is not in the read table")
        return row


def describe_differences(
    mine: dict[int, ClienteRow], theirs: dict[int, ClienteRow], totals: tuple[int, int]
) -> list[str]:
    """Rows that differ between a live table (mine) and a rebuilt one (theirs), in words."""
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
    return found
