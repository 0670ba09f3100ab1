"""What the read side offers: the read table, kept with its tracking position."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder

from projections.rows import ClienteRow, RowChanges

# A cursor of the view's database, inside a transaction the caller holds.
Cursor = Any


class TrackingConflict(Exception):
    """The table's position is no longer the one the batch was read after:
    another projector, or a replay, has moved it. The batch is not applied."""


class ClientesView(TrackingRecorder, ABC):
    """The read table of vigente Clientes and the count of them.

    Each batch of changes is written with the tracking position of its last
    event, in one transaction, and only if the table is still at the position
    the batch was read after. Methods that take ``within`` run in the caller's
    transaction (from ``transaction()``) instead of one of their own.
    """

    @abstractmethod
    def create_table(self) -> None:
        """Creates the tables, if missing."""

    @abstractmethod
    def get_rows(self, ids: Collection[int], within: Cursor | None = None) -> list[ClienteRow]:
        """The rows of those of ``ids`` that are in the table."""

    @abstractmethod
    def save_changes(
        self,
        changes: RowChanges,
        tracking: Tracking,
        since: int,
        within: Cursor | None = None,
    ) -> None:
        """Writes a batch's changes and its position; ``since`` is the batch's
        first position. Raises TrackingConflict if the table is already there."""

    @abstractmethod
    def get(self, cliente_id: int) -> ClienteRow | None:
        """One vigente Cliente."""

    @abstractmethod
    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        """Rows in id order from ``offset``, and the total, from one snapshot."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Cursor]:
        """A transaction during which no projector can write to this table."""

    @abstractmethod
    def reset(self) -> None:
        """Drops the tables and creates them empty (for a table being rebuilt)."""

    @abstractmethod
    def drop(self) -> None:
        """Drops the tables."""

    @abstractmethod
    def differences(self, within: Cursor, other: ClientesView) -> list[str]:
        """Every way in which ``other`` differs from this table, in words."""

    @abstractmethod
    def replace_with(self, within: Cursor, other: ClientesView) -> None:
        """Makes ``other``'s content, count and position this table's; ``other`` is gone."""

    @abstractmethod
    def close(self) -> None:
        """Closes the view's connections."""


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
                for name in ClienteRow.__struct_fields__
                if getattr(mine[cliente_id], name) != getattr(theirs[cliente_id], name)
            ]
            found.append(f"Cliente {cliente_id}: differs in {', '.join(columns)}")
    if totals[0] != totals[1]:
        found.append(
            f"count of vigente Clientes: {totals[0]} in the table, {totals[1]} in the events"
        )
    return found
