"""Read side: the read table of vigente Clientes and the projector that keeps it."""

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from projections.clientes import ClientesProjection
from projections.rows import ClienteRow
from projections.runner import Projector
from projections.view import ClientesView
from projections.watermark import Watermark

__all__ = [
    "ClienteRow",
    "ClientesProjection",
    "ClientesView",
    "Projector",
    "Watermark",
    "open_view",
]


@runtime_checkable
class SuppliesReadTables(Protocol):
    """What the store's infrastructure factory must also make, for the read side."""

    def read_table(self, table_name: str = "clientes") -> ClientesView: ...


def open_view(env: Mapping[str, str], table_name: str = "clientes") -> ClientesView:
    """The read table in the store ``env`` describes, its tables created if missing."""
    factory = InfrastructureFactory.construct(Environment(ClientesProjection.name, env))
    if not isinstance(factory, SuppliesReadTables):
        raise TypeError(
            f"{type(factory).__name__} makes no read table: "
            "set PERSISTENCE_MODULE to one of the service's stores (api/stores/)"
        )
    return factory.read_table(table_name)
