"""Each stored event class records its own schema version; older shapes are read
through that class's own upcasters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.utils import get_topic

from api.bootstrap import Services
from commands import (
    CLIENTE_EVENTS,
    ClienteCreated,
    Clientes,
    ClienteUpdated,
    CreateCliente,
    UpdateCliente,
    cliente_aggregate_id,
)
from commands.codigo import CodigoIndex
from commands.idempotency import KeyedAnswer
from projections import ClientesProjection
from tests.support import fields

STORED_CLASSES: tuple[type, ...] = (
    *CLIENTE_EVENTS,
    CodigoIndex.Claimed,
    CodigoIndex.Reclaimed,
    CodigoIndex.Released,
    KeyedAnswer,
)


def store_shape(
    clientes: Clientes, event_class: type, originator_id: UUID, version: int, state: dict[str, Any]
) -> None:
    """An event of ``event_class`` stored with ``state`` as it is: as an older release
    stored it, whose shape and recorded version (if any) ``state`` holds."""
    clientes.recorder.insert_events(
        [
            StoredEvent(
                originator_id=originator_id,
                originator_version=version,
                topic=get_topic(event_class),
                state=clientes.mapper.transcoder.encode(state),
            )
        ]
    )


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
    store_shape(clientes, ClienteCreated, cliente_aggregate_id(cliente_id), 1, state)


@pytest.mark.parametrize("event_class", STORED_CLASSES, ids=lambda c: c.__qualname__)
def test_each_stored_class_declares_its_own_version_and_every_step_up_to_it(
    event_class: type,
) -> None:
    # Its own, not inherited from another event class: raising one class's version
    # leaves the others as they are. (The library remakes each aggregate's event
    # classes as subclasses of the classes declared: the declared one holds them.)
    declared = next(c for c in event_class.__mro__ if "class_version" in vars(c))
    assert declared.__qualname__ == event_class.__qualname__
    own = vars(declared)
    assert own["class_version"] >= 2  # the first release's events recorded none
    for version in range(1, own["class_version"]):
        assert callable(own[f"upcast_v{version}_v{version + 1}"])
    assert f"upcast_v{own['class_version']}_v{own['class_version'] + 1}" not in own


def test_new_events_record_their_own_class_version(services: Services) -> None:
    services.clientes.execute(CreateCliente(fields(), "ana"))
    [created, claimed] = services.clientes.recorder.select_notifications(start=1, limit=10)
    for stored, event_class in ((created, ClienteCreated), (claimed, CodigoIndex.Claimed)):
        assert stored.topic == get_topic(event_class)
        assert json.loads(stored.state)["class_version"] == event_class.class_version


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


def test_a_code_claimed_in_the_first_shape_is_read_as_the_current_one(
    services: Services,
) -> None:
    clientes = services.clientes
    state = {
        "timestamp": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "originator_topic": "commands.codigo:CodigoIndex",
        "codigo": "v1-code",
        "cliente_id": 41,
    }
    store_shape(clientes, CodigoIndex.Claimed, CodigoIndex.create_id("V1-CODE"), 1, state)
    index: CodigoIndex = clientes.repository.get(CodigoIndex.create_id("v1-code"))
    assert (index.cliente_id, index.version) == (41, 1)


def test_one_class_changes_shape_and_the_others_are_read_as_before(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What commands/schema.py says to do: ClienteUpdated's version 3 adds a field,
    and its older events, of either version before, are given its value."""
    clientes = services.clientes
    store_first_release_event(clientes, 7)
    clientes.execute(UpdateCliente(7, {"nombre": "En la versión 2"}, "ana"))

    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["reason"] = None

    monkeypatch.setattr(ClienteUpdated, "class_version", 3, raising=False)
    monkeypatch.setattr(ClienteUpdated, "upcast_v2_v3", staticmethod(upcast_v2_v3), raising=False)
    v1_update = {
        "timestamp": datetime(2026, 1, 6, tzinfo=UTC),
        "cliente_id": 7,
        "changes": {"email": "v1@example.com"},
        "actor": "migrator",
    }
    store_shape(clientes, ClienteUpdated, cliente_aggregate_id(7), 3, v1_update)
    clientes.execute(UpdateCliente(7, {"telefono": "999 111 222"}, "ana"))

    created, *updates, latest = clientes.events.get(cliente_aggregate_id(7))
    assert isinstance(created, ClienteCreated)
    assert "reason" not in vars(created)  # its class's shape is as it was
    assert all(isinstance(update, ClienteUpdated) for update in updates)
    assert [(vars(u)["changes"], vars(u)["reason"]) for u in updates] == [
        ({"nombre": "En la versión 2"}, None),  # stored at version 2
        ({"email": "v1@example.com"}, None),  # stored at version 1
    ]
    assert vars(latest)["changes"] == {"telefono": "999 111 222"}  # stored at version 3
    stored = clientes.recorder.select_notifications(start=1, limit=10)
    versions = [json.loads(n.state).get("class_version") for n in stored]
    assert versions == [None, 2, None, 3]  # the creation, then the updates in order
    cliente = clientes.get_cliente(7)
    assert (cliente.datos.email, cliente.datos.telefono, cliente.version) == (
        "v1@example.com",
        "999 111 222",
        4,
    )


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
