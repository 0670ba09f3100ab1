"""Cliente events as audit entries and subscriber envelopes, without I/O."""

from __future__ import annotations

from typing import cast

import msgspec

from commands import Cliente, ClienteEvent, validate
from commands.codigo import CodigoIndex
from projections.envelopes import envelope, is_cliente_event
from tests.support import fields


def test_each_event_becomes_an_envelope_in_the_api_field_names() -> None:
    cliente = Cliente.register(
        7, validate(fields(codigo_cliente="C-7", email="a@example.com")), "ana"
    )
    cliente.update(
        validate(fields(codigo_cliente="C-7", email="b@example.com", telefono="987654321")), "luis"
    )
    cliente.deactivate("rosa")
    created, updated, deactivated = cast(list[ClienteEvent], cliente.collect_events())
    envelopes = [
        envelope(e, position) for position, e in enumerate((created, updated, deactivated), 40)
    ]
    assert [(e.type, e.version, e.actor, e.cliente_id, e.position) for e in envelopes] == [
        ("ClienteCreated", 1, "ana", 7, 40),
        ("ClienteUpdated", 2, "luis", 7, 41),
        ("ClienteDeactivated", 3, "rosa", 7, 42),
    ]
    assert envelopes[0].data == {
        "codigoCliente": "C-7",
        "nombre": "Juana Quispe",
        "tipoCliente": "PERSONA",
        "tipoDocumento": "DNI",
        "numeroDocumento": "12345678",
        "direccion": None,
        "telefono": None,
        "email": "a@example.com",
        "contactoRepresentante": None,
    }
    assert envelopes[1].data == {"email": "b@example.com", "telefono": "987654321"}
    assert envelopes[2].data == {}


def test_an_envelope_encodes_in_camel_case_with_an_rfc3339_timestamp() -> None:
    cliente = Cliente.register(1, validate(fields()), "ana")
    [created] = cast(list[ClienteEvent], cliente.collect_events())
    encoded = msgspec.json.decode(msgspec.json.encode(envelope(created, 1)))
    assert set(encoded) == {
        "position",
        "type",
        "clienteId",
        "version",
        "timestamp",
        "actor",
        "data",
    }
    assert encoded["timestamp"].endswith("Z")


def test_only_cliente_events_are_published() -> None:
    [claimed] = CodigoIndex.claim("C-1", 1).collect_events()
    [created] = Cliente.register(1, validate(fields()), "ana").collect_events()
    assert (is_cliente_event(claimed), is_cliente_event(created)) == (False, True)
