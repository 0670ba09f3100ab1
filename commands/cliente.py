"""The Cliente aggregate and the events that make its history.

Stored events live forever: their schema versions and upcasting are in
commands/schema.py. Every event names the Cliente's numeric id and the actor
who caused it, so that projections and subscribers need nothing but the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate

from commands import schema
from commands.erasable import Erasable
from commands.validation import PERSONAL_FIELDS, ClienteDatos

CLIENTE_NAMESPACE = UUID("0b6f8f0e-6c1e-5a43-9a55-3c1c2f6de4a1")


def cliente_aggregate_id(cliente_id: int) -> UUID:
    """The aggregate id of a Cliente, derived from its numeric id."""
    return uuid5(CLIENTE_NAMESPACE, f"cliente/{cliente_id}")


class Cliente(Aggregate):
    """A person or organisation that receives work orders."""

    class ClienteCreated(Erasable, Aggregate.Created):
        class_version = 2  # of its shape: see commands/schema.py
        upcast_v1_v2 = staticmethod(schema.unchanged)

        cliente_id: int
        codigo_cliente: str
        nombre: str
        tipo_cliente: str
        tipo_documento: str
        numero_documento: str
        direccion: str | None
        telefono: str | None
        email: str | None
        contacto_representante: str | None
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.cliente_id = self.cliente_id
            aggregate.datos = ClienteDatos(
                **{name: getattr(self, name) for name in ClienteDatos.__struct_fields__}
            )
            aggregate.vigente = True
            aggregate.erased = False

    class ClienteUpdated(Erasable, Aggregate.Event):
        """Only the fields that changed, with their new values."""

        class_version = 2
        upcast_v1_v2 = staticmethod(schema.unchanged)

        cliente_id: int
        changes: dict[str, str | None]
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.datos = msgspec.structs.replace(aggregate.datos, **self.changes)

    class ClienteDeactivated(Erasable, Aggregate.Event):
        class_version = 2
        upcast_v1_v2 = staticmethod(schema.unchanged)

        cliente_id: int
        actor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.vigente = False

    class ClienteErased(Erasable, Aggregate.Event):
        """The person's data is erased: the key its personal values were sealed with is
        destroyed with this event (commands/sealing.py). The Cliente is no longer vigente;
        its code stays taken."""

        class_version = 2  # new in the release that recorded versions: none was stored at 1
        upcast_v1_v2 = staticmethod(schema.unchanged)

        cliente_id: int
        actor: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.vigente = False
            aggregate.erased = True
            # Forgotten in memory too, as it is everywhere else.
            aggregate.datos = msgspec.structs.replace(
                aggregate.datos, **dict.fromkeys(PERSONAL_FIELDS)
            )

    if TYPE_CHECKING:  # set by the events' apply(); kept out of the generated __init__
        cliente_id: int
        datos: ClienteDatos
        vigente: bool
        erased: bool

    @staticmethod
    def create_id(cliente_id: int) -> UUID:
        return cliente_aggregate_id(cliente_id)

    @classmethod
    def register(cls, cliente_id: int, datos: ClienteDatos, actor: str) -> Cliente:
        return cls._create(
            cls.ClienteCreated,
            cliente_id=cliente_id,
            actor=actor,
            **msgspec.structs.asdict(datos),
        )

    def update(self, datos: ClienteDatos, actor: str) -> bool:
        """Records the fields that differ from ``datos``; False when none does."""
        changes = {
            name: getattr(datos, name)
            for name in ClienteDatos.__struct_fields__
            if getattr(datos, name) != getattr(self.datos, name)
        }
        if not changes:
            return False
        self.trigger_event(
            self.ClienteUpdated, cliente_id=self.cliente_id, changes=changes, actor=actor
        )
        return True

    def deactivate(self, actor: str) -> None:
        self.trigger_event(self.ClienteDeactivated, cliente_id=self.cliente_id, actor=actor)

    def erase(self, actor: str, reason: str) -> None:
        self.trigger_event(
            self.ClienteErased, cliente_id=self.cliente_id, actor=actor, reason=reason
        )


ClienteCreated = Cliente.ClienteCreated
ClienteUpdated = Cliente.ClienteUpdated
ClienteDeactivated = Cliente.ClienteDeactivated
ClienteErased = Cliente.ClienteErased
ClienteEvent = ClienteCreated | ClienteUpdated | ClienteDeactivated | ClienteErased
CLIENTE_EVENTS: tuple[type[ClienteEvent], ...] = get_args(ClienteEvent)  # the classes, in order
