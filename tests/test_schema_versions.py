"""Stored events record their schema version; older shapes are read through upcasting."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.utils import get_topic

from api.bootstrap import Services
from commands import ClienteCreated, Clientes, CreateCliente, UpdateCliente, cliente_aggregate_id
from commands.schema import SCHEMA_VERSION
from projections import ClientesProjection
from tests.support import fields


def store_first_release_event(clientes: Clientes, cliente_id: int) -> None:
    """A ClienteCreated as the first release stored it: no schema version in it."""
    state = {
        "timestamp": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "originator_topic": "commands.cliente:Cliente",
        "cliente_id": cliente_id,
        **fields(codigo_cliente="V1-CODE", nombre="Desde la versión 1"),
        "direccion": None,
        "telefono": None,
        "email": None,
        "contacto_representante": None,
        "actor": "migrator",
    }
    clientes.recorder.insert_events(
        [
            StoredEvent(
                originator_id=cliente_aggregate_id(cliente_id),
                originator_version=1,
                topic=get_topic(ClienteCreated),
                state=clientes.mapper.transcoder.encode(state),
            )
        ]
    )


def test_new_events_record_the_current_schema_version(services: Services) -> None:
    services.clientes.execute(CreateCliente(fields(), "ana"))
    [created, claimed] = services.clientes.recorder.select_notifications(start=1, limit=10)
    for stored in (created, claimed):
        assert json.loads(stored.state)["class_version"] == SCHEMA_VERSION


def test_an_event_stored_in_the_first_shape_is_read_as_the_current_one(
    services: Services,
) -> None:
    clientes = services.clientes
    store_first_release_event(clientes, 41)
    cliente = clientes.get_cliente(41)
    assert (cliente.datos.nombre, cliente.version, cliente.vigente) == (
        "Desde la versión 1",
        1,
        True,
    )
    [created] = clientes.events.get(cliente_aggregate_id(41))
    assert isinstance(created, ClienteCreated)
    assert created.actor == "migrator"
    assert created.timestamp == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    written = clientes.execute(UpdateCliente(41, {"email": "v1@example.com"}, "ana"))
    assert written.cliente.version == 2


def test_the_projection_reads_old_and_new_shapes_alike(services: Services) -> None:
    clientes = services.clientes
    store_first_release_event(clientes, 7)
    clientes.execute(UpdateCliente(7, {"nombre": "Ya en la versión 2"}, "ana"))
    notifications = clientes.recorder.select_notifications(start=1, limit=10)
    ClientesProjection(services.view).process_batch(
        [(clientes.mapper.to_domain_event(n), Tracking(clientes.name, n.id)) for n in notifications]
    )
    row = services.view.get(7)
    assert row is not None
    assert (row.nombre, row.version) == ("Ya en la versión 2", 2)
