"""The projection that keeps the read table of vigente Clientes."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from commands import ClienteCreated, ClienteDeactivated, ClienteErased, ClienteUpdated
from projections.feed import CLIENTE_TOPICS
from projections.rows import DATOS_COLUMNS, ClienteRow, RowChanges
from projections.view import ClientesView, Cursor

Batch = Sequence[tuple[Any, Tracking]]
_datos_of = attrgetter(*DATOS_COLUMNS)  # a created event's values of the Cliente's data


class ClientesProjection(Projection[ClientesView]):
    """Folds Cliente events into the read table, a batch per transaction.

    A batch is folded in memory and written with its last tracking position
    in one transaction, so each event is applied exactly once and a catching-up
    projector is not held to one commit per event.
    """

    name = "clientes_projection"
    topics = tuple(CLIENTE_TOPICS)  # a bulk read leaves the code index's events unread

    def process_batch(self, batch: Batch, within: Cursor | None = None) -> None:
        """Applies a batch in one transaction (``within`` the caller's, when given).

        Raises TrackingConflict, applying nothing, if the table has moved on
        from where the batch was read.
        """
        changes = RowChanges(self.view.get_rows(_ids_to_load(batch), within))
        fold = self.fold  # bound once: the dispatcher costs at each attribute access
        for domain_event, _ in batch:
            fold(domain_event, changes)
        first, last = batch[0][1], batch[-1][1]
        self.view.save_changes(changes, last, since=first.notification_id, within=within)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([(domain_event, tracking)])

    @singledispatchmethod
    def fold(self, domain_event: Any, changes: RowChanges) -> None:
        """Events of other aggregates (the code index) leave the table alone."""

    @fold.register
    def _(self, domain_event: ClienteCreated, changes: RowChanges) -> None:
        if domain_event.erased:
            return  # its personal data is gone: it is in no list, and never was to a reader
        fields = dict(zip(DATOS_COLUMNS, _datos_of(domain_event), strict=True))
        changes.add(
            ClienteRow(
                id=domain_event.cliente_id,
                **fields,
                version=domain_event.originator_version,
                fecha_creacion=domain_event.timestamp,
                fecha_modificacion=domain_event.timestamp,
            )
        )

    @fold.register
    def _(self, domain_event: ClienteUpdated, changes: RowChanges) -> None:
        if domain_event.erased:
            return  # its row, if any, goes with the ClienteErased that follows
        changes.change(
            domain_event.cliente_id,
            domain_event.changes,
            domain_event.originator_version,
            domain_event.timestamp,
        )

    @fold.register
    def _(self, domain_event: ClienteDeactivated, changes: RowChanges) -> None:
        if domain_event.erased:  # its creation may have been left out (above)
            changes.discard(domain_event.cliente_id)
        else:
            changes.remove(domain_event.cliente_id)

    @fold.register
    def _(self, domain_event: ClienteErased, changes: RowChanges) -> None:
        changes.erase(domain_event.cliente_id)


def _ids_to_load(batch: Batch) -> set[int]:
    """Clientes the batch changes without creating them: their rows exist already."""
    created = {e.cliente_id for e, _ in batch if isinstance(e, ClienteCreated)}
    changing = ClienteUpdated | ClienteDeactivated | ClienteErased
    changed = {e.cliente_id for e, _ in batch if isinstance(e, changing)}
    return changed - created
