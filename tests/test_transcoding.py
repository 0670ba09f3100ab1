"""Stored events are read with msgspec into exactly what the library's decoder gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from api.bootstrap import Services
from commands import ClienteCreated, CreateCliente
from commands.transcoding import MsgspecJSONTranscoder
from tests.support import fields


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = registered(JSONTranscoder())
OURS = registered(MsgspecJSONTranscoder())

STATES: list[Any] = [
    {
        "timestamp": datetime(2026, 12, 7, 9, 30, 1, 5, tzinfo=UTC),
        "originator_topic": "commands.cliente:Cliente",
        "cliente_id": 2**62,
        "nombre": "Ñahui Núñez \"el 'chico'\" \u00e9\u4e2d\U0001f600",
        "telefono": None,
        "vigente": True,
    },
    {"changes": {"direccion": "Jr. Huamán 12", "email": None}, "actor": "ana"},
    {"nested": [{"at": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5)))}, [uuid4()]]},
    {"amount": Decimal("12.50"), "ids": [uuid4(), uuid4()], "empty": {}, "list": []},
    {"_type_": "not-a-pair", "_data_": 1, "third": 3},  # three keys: an ordinary dict
    [1, "two", None, [], {"x": [{"y": Decimal("0.1")}]}],
]


@pytest.mark.parametrize("state", STATES)
def test_decoding_gives_what_the_library_decoder_gives(state: Any) -> None:
    encoded = LIBRARY.encode(state)
    assert OURS.encode(state) == encoded  # written by the library's own encoder
    decoded = OURS.decode(encoded)
    assert decoded == LIBRARY.decode(encoded) == state
    assert repr(decoded) == repr(LIBRARY.decode(encoded))  # the same types, not only equal


def test_an_unregistered_type_is_refused_as_the_library_refuses_it() -> None:
    encoded = b'{"at":{"_type_":"unknown","_data_":"x"}}'
    for transcoder in (LIBRARY, OURS):
        with pytest.raises(TranscodingNotRegisteredError):
            transcoder.decode(encoded)


def test_the_application_reads_its_events_with_it(services: Services) -> None:
    clientes = services.clientes
    assert type(clientes.mapper.transcoder) is MsgspecJSONTranscoder
    clientes.execute(CreateCliente(fields(nombre="Rosa Huamán"), "ana"))
    stored = clientes.recorder.select_notifications(start=None, limit=10)
    assert [clientes.mapper.transcoder.decode(n.state) for n in stored] == [
        LIBRARY.decode(n.state) for n in stored
    ]
    created = clientes.mapper.to_domain_event(stored[0])
    assert isinstance(created, ClienteCreated)
    assert created.nombre == "Rosa Huamán"
