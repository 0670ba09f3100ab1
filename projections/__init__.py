"""Read side: the read table of vigente Clientes and the projector that keeps it."""

from collections.abc import Mapping

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from projections.clientes import ClientesProjection
from projections.postgres import PostgresClientesView
from projections.rows import ClienteRow
from projections.runner import Projector
from projections.sqlite import SQLiteClientesView
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


def open_view(env: Mapping[str, str], table_name: str = "clientes") -> ClientesView:
    """The read table in the store ``env`` describes, its tables created if missing."""
    factory = InfrastructureFactory.construct(Environment(ClientesProjection.name, env))
    view: ClientesView
    if isinstance(factory, PostgresFactory):
        view = PostgresClientesView(factory.datastore, table_name=table_name)
    elif isinstance(factory, SQLiteFactory):
        view = SQLiteClientesView(factory.datastore, table_name=table_name)
    else:
        raise TypeError(f"No read table for {type(factory).__name__}")
    view.create_table()
    return view
