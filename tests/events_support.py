"""A scripted history of Cliente events, and what subscribers should see of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
import redis

from commands import Clientes, CreateCliente, DeactivateCliente, UpdateCliente
from projections.feed import read_feed
from projections.publisher import ENVELOPE_FIELD
from tests.support import fields

Summary = tuple[str, int, int, str]  # type, clienteId, version, actor


def write_script(clientes: Clientes) -> list[Summary]:
    """Creates, updates (a code change among them) and deactivates; ends with a create,
    so that the last stored event is the code index's. Returns what each Cliente event
    should say, in order."""
    a = clientes.execute(CreateCliente(fields(), "ana")).cliente.cliente_id
    b = clientes.execute(CreateCliente(fields(), "ana")).cliente.cliente_id
    clientes.execute(UpdateCliente(a, {"email": "a@example.com", "telefono": "987654321"}, "luis"))
    clientes.execute(UpdateCliente(b, {"codigo_cliente": f"MOVED-{b}"}, "luis"))
    clientes.execute(DeactivateCliente(a, "rosa"))
    clientes.execute(UpdateCliente(b, {"nombre": "Otra Persona"}, "luis"))
    clientes.execute(DeactivateCliente(b, "rosa"))
    c = clientes.execute(CreateCliente(fields(), "ana")).cliente.cliente_id
    return [
        ("ClienteCreated", a, 1, "ana"),
        ("ClienteCreated", b, 1, "ana"),
        ("ClienteUpdated", a, 2, "luis"),
        ("ClienteUpdated", b, 2, "luis"),
        ("ClienteDeactivated", a, 3, "rosa"),
        ("ClienteUpdated", b, 3, "luis"),
        ("ClienteDeactivated", b, 4, "rosa"),
        ("ClienteCreated", c, 1, "ana"),
    ]


def summary(envelope: dict[str, Any]) -> Summary:
    return (envelope["type"], envelope["clienteId"], envelope["version"], envelope["actor"])


def from_store(clientes: Clientes) -> list[dict[str, Any]]:
    """Every Cliente event in the store, as the contract's envelope in JSON."""
    page = read_feed(clientes.recorder, clientes.mapper, 0, 100_000)
    return [msgspec.json.decode(msgspec.json.encode(e)) for e in page.envelopes]


def from_stream(client: redis.Redis, stream: str) -> list[tuple[str, dict[str, Any]]]:
    """Every entry of a Redis stream: its id and its envelope."""
    entries: list[tuple[str, dict[str, str]]] = client.xrange(stream)  # type: ignore[assignment]
    return [(entry, msgspec.json.decode(values[ENVELOPE_FIELD])) for entry, values in entries]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Checks ``condition`` until it holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.01)
