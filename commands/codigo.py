"""The unique-code index: one aggregate per normalised codigoCliente.

Its id is derived from the normalised code, so two writers claiming the same
code both try to record version 1 (or the same next version) of the same
aggregate, and the event store lets only one of them succeed. It is saved in
the same atomic write as the Cliente event that claims or releases the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from commands import schema

CODIGO_NAMESPACE = UUID("5d0c6c3b-8f2e-5b7a-9d63-0e4f1b2a7c90")


def normalise_codigo(codigo_cliente: str) -> str:
    """Codes compare case-insensitively."""
    return codigo_cliente.lower()


class CodigoIndex(Aggregate):
    """Which Cliente, if any, holds a code."""

    class Claimed(Aggregate.Created):
        class_version = 2  # of its shape: see commands/schema.py
        upcast_v1_v2 = staticmethod(schema.unchanged)

        codigo: str
        cliente_id: int

        def apply(self, aggregate: Any) -> None:
            aggregate.cliente_id = self.cliente_id

    class Reclaimed(Aggregate.Event):
        class_version = 2
        upcast_v1_v2 = staticmethod(schema.unchanged)

        cliente_id: int

        def apply(self, aggregate: Any) -> None:
            aggregate.cliente_id = self.cliente_id

    class Released(Aggregate.Event):
        class_version = 2
        upcast_v1_v2 = staticmethod(schema.unchanged)

        def apply(self, aggregate: Any) -> None:
            aggregate.cliente_id = None

    if TYPE_CHECKING:  # set by the events' apply(); kept out of the generated __init__
        cliente_id: int | None

    @staticmethod
    def create_id(codigo: str) -> UUID:
        return uuid5(CODIGO_NAMESPACE, normalise_codigo(codigo))

    @classmethod
    def claim(cls, codigo: str, cliente_id: int) -> CodigoIndex:
        return cls._create(cls.Claimed, codigo=normalise_codigo(codigo), cliente_id=cliente_id)

    def reclaim(self, cliente_id: int) -> None:
        self.trigger_event(self.Reclaimed, cliente_id=cliente_id)

    def release(self) -> None:
        self.trigger_event(self.Released)
