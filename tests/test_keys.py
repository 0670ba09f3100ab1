"""Idempotency keys on the write side: two processes' applications over one store."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.utils import get_topic

from commands import (
    AlreadyAnswered,
    Answer,
    Cliente,
    ClienteCreated,
    Clientes,
    ClientesError,
    CreateCliente,
    KeyUse,
)
from stores import Store
from tests.support import fields


def answer(outcome: Cliente | ClientesError) -> Answer | None:
    if isinstance(outcome, ClientesError):
        return None
    return Answer(201, str(outcome.cliente_id), {})


@pytest.fixture
def two_processes(store: Store) -> Iterator[tuple[Clientes, Clientes]]:
    """Two applications on one store, as two workers have: no memory in common."""
    with store.creating_tables():
        first = Clientes(env=store.env)
    second = Clientes(env=store.env)
    yield first, second
    first.close()
    second.close()


def test_concurrent_first_uses_of_a_key_record_one_change(
    two_processes: tuple[Clientes, Clientes],
) -> None:
    datos = fields()
    use = KeyUse("ana", "same", "POST /api/clientes same-body", answer)

    def create(n: int) -> tuple[str, int]:
        try:
            written = two_processes[n % 2].execute(CreateCliente(datos, "ana", use))
        except AlreadyAnswered as answered:
            return "answered again", int(answered.answer.body)
        return "created", written.cliente.cliente_id

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(create, range(10)))
    recorder = two_processes[0].recorder
    created = recorder.select_notifications(1, 100, topics=[get_topic(ClienteCreated)])
    assert len(created) == 1
    # Only the store's refusal of a second first use leads to the key being read.
    assert sorted(kind for kind, _ in outcomes) == ["answered again"] * 9 + ["created"]
    assert len({cliente_id for _, cliente_id in outcomes}) == 1
