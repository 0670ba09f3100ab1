"""What the read side offers: the read table, kept with its tracking position."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection

from eventsourcing.persistence import Tracking, TrackingRecorder

from projections.rows import ClienteRow, RowChanges


class ClientesView(TrackingRecorder, ABC):
    """The read table of vigente Clientes and the count of them.

    Changes are written together with the tracking position of the last
    event they include, in one transaction.
    """

    @abstractmethod
    def get_rows(self, ids: Collection[int]) -> list[ClienteRow]:
        """The rows of those of ``ids`` that are in the table."""

    @abstractmethod
    def save_changes(self, changes: RowChanges, tracking: Tracking) -> None:
        """Writes a batch's changes and its tracking position atomically."""

    @abstractmethod
    def get(self, cliente_id: int) -> ClienteRow | None:
        """One vigente Cliente."""

    @abstractmethod
    def page(self, offset: int, limit: int) -> tuple[list[ClienteRow], int]:
        """Rows in id order from ``offset``, and the total, from one snapshot."""

    @abstractmethod
    def close(self) -> None:
        """Closes the view's connections."""
