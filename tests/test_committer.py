"""Group commit: changes that arrive together are recorded together, and fail alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Notification, Recording

from api.bootstrap import Services
from commands import (
    Clientes,
    CodigoTaken,
    CreateCliente,
    UpdateCliente,
    ValidationFailed,
    VersionMismatch,
    Written,
)
from commands.committer import Committer
from tests.support import fields


@dataclass(frozen=True)
class Event:
    originator_id: UUID


def recorded(events: Sequence[Any], start: int = 1) -> list[Recording[UUID]]:
    return [
        Recording(
            e,
            Notification(
                id=n, originator_id=e.originator_id, originator_version=1, topic="t", state=b""
            ),
        )
        for n, e in enumerate(events, start)
    ]


class Gate:
    """A recording function that holds its first call until opened, and notes each batch."""

    def __init__(self, record: Callable[[Sequence[Any]], list[Recording[UUID]]]) -> None:
        self.record = record
        self.batches: list[int] = []
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, events: Sequence[Any]) -> list[Recording[UUID]]:
        if not self.batches:
            self.entered.set()
            assert self.opened.wait(10)
        self.batches.append(len(events))
        return self.record(events)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as executor:
        yield executor


def queued(committer: Committer, count: int) -> None:
    """Waits until ``count`` changes wait for the recording under way."""
    for _ in range(1000):
        if len(committer._queue) >= count:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} changes never queued")


class TestCommitter:
    def test_a_lone_change_is_recorded_at_once_on_its_own(self) -> None:
        gate = Gate(recorded)
        gate.opened.set()
        assert Committer(gate).record([Event(uuid4())]) == 1
        assert gate.batches == [1]

    def test_changes_arriving_during_a_recording_go_together_in_the_next(
        self, pool: ThreadPoolExecutor
    ) -> None:
        gate = Gate(recorded)
        committer = Committer(gate)
        first = pool.submit(committer.record, [Event(uuid4())])
        assert gate.entered.wait(5)
        others = [pool.submit(committer.record, [Event(uuid4()), Event(uuid4())]) for _ in range(5)]
        queued(committer, 5)
        gate.opened.set()
        assert first.result(5) == 1
        assert sorted(f.result(5) for f in others) == [2, 4, 6, 8, 10]
        assert gate.batches == [1, 10]

    def test_changes_to_one_aggregate_never_share_a_batch(self, pool: ThreadPoolExecutor) -> None:
        gate = Gate(recorded)
        committer = Committer(gate)
        same = uuid4()
        pool.submit(committer.record, [Event(uuid4())])
        assert gate.entered.wait(5)
        both = [pool.submit(committer.record, [Event(same)]) for _ in range(2)]
        queued(committer, 2)
        gate.opened.set()
        [f.result(5) for f in both]
        assert gate.batches == [1, 1, 1]

    def test_a_refused_batch_is_recorded_again_change_by_change(
        self, pool: ThreadPoolExecutor
    ) -> None:
        taken = uuid4()

        def refusing(events: Sequence[Any]) -> list[Recording[UUID]]:
            if any(e.originator_id == taken for e in events):
                raise IntegrityError("taken")
            return recorded(events)

        gate = Gate(refusing)
        committer = Committer(gate)
        pool.submit(committer.record, [Event(uuid4())])
        assert gate.entered.wait(5)
        good = pool.submit(committer.record, [Event(uuid4())])
        bad = pool.submit(committer.record, [Event(taken)])
        queued(committer, 2)
        gate.opened.set()
        assert good.result(5) >= 1
        with pytest.raises(IntegrityError):
            bad.result(5)
        assert gate.batches == [1, 2, 1, 1]

    def test_a_store_error_fails_the_batch_and_the_next_goes_on(self) -> None:
        calls = iter([OSError("down"), None])

        def flaky(events: Sequence[Any]) -> list[Recording[UUID]]:
            if (error := next(calls)) is not None:
                raise error
            return recorded(events)

        committer = Committer(flaky)
        with pytest.raises(OSError, match="down"):
            committer.record([Event(uuid4())])
        assert committer.record([Event(uuid4())]) == 1


def taken_and_changed(clientes: Clientes) -> tuple[Written, Written]:
    """A Cliente holding the code TAKEN, and one at version 2; the committer gated."""
    taken = clientes.execute(CreateCliente(fields(codigo_cliente="TAKEN"), "ana"))
    changed = clientes.execute(CreateCliente(fields(), "ana"))
    clientes.execute(UpdateCliente(changed.cliente.cliente_id, {"nombre": "Otra"}, "ana"))
    return taken, changed


def gated(clientes: Clientes, *, opened: bool) -> Gate:
    """The Clientes' committer, recording through a gate (``opened`` or not yet)."""
    gate = Gate(lambda events: clientes.save(*events))
    if opened:
        gate.opened.set()
    clientes.committer = Committer(gate)
    return gate


def test_in_one_batch_a_taken_code_a_stale_version_and_a_new_cliente_each_get_their_answer(
    services: Services, pool: ThreadPoolExecutor
) -> None:
    clientes: Clientes = services.clientes
    taken, changed = taken_and_changed(clientes)
    gate = gated(clientes, opened=False)
    holding = pool.submit(clientes.execute, CreateCliente(fields(), "ana"))
    assert gate.entered.wait(5)
    duplicate = pool.submit(clientes.execute, CreateCliente(fields(codigo_cliente="taken"), "luis"))
    fresh = pool.submit(clientes.execute, CreateCliente(fields(), "luis"))
    queued(clientes.committer, 2)
    stale = pool.submit(
        clientes.execute, UpdateCliente(changed.cliente.cliente_id, {"nombre": "X"}, "rosa", {1})
    )
    gate.opened.set()
    assert isinstance(holding.result(10), Written)
    with pytest.raises(CodigoTaken):
        duplicate.result(10)
    with pytest.raises(VersionMismatch):
        stale.result(10)
    created = fresh.result(10)
    assert created.position is not None
    assert gate.batches[:2] == [2, 4]  # the holder; then the duplicate's claim with the new one
    assert clientes.get_cliente(taken.cliente.cliente_id).datos.codigo_cliente == "TAKEN"
    assert clientes.get_cliente(created.cliente.cliente_id).vigente


class TestRunTogether:
    """Commands run together in one thread, as an API process runs those that arrive
    together: each decided on its own, their changes recorded together."""

    def test_their_changes_are_recorded_in_one_transaction(self, services: Services) -> None:
        clientes: Clientes = services.clientes
        gate = gated(clientes, opened=True)
        outcomes = clientes.committer.run_together(
            [partial(clientes.steps, CreateCliente(fields(), "ana")) for _ in range(5)]
        )
        assert all(isinstance(outcome, Written) for outcome in outcomes)
        assert gate.batches == [10]  # each create's Cliente and its code's index

    def test_a_taken_code_a_stale_version_and_a_new_cliente_each_get_their_answer(
        self, services: Services
    ) -> None:
        clientes: Clientes = services.clientes
        taken, changed = taken_and_changed(clientes)
        gate = gated(clientes, opened=True)
        duplicate, stale, fresh, twin, invalid = clientes.committer.run_together(
            [
                partial(clientes.steps, CreateCliente(fields(codigo_cliente="taken"), "luis")),
                partial(
                    clientes.steps,
                    UpdateCliente(changed.cliente.cliente_id, {"nombre": "X"}, "rosa", {1}),
                ),
                partial(clientes.steps, CreateCliente(fields(codigo_cliente="NEW-1"), "luis")),
                partial(clientes.steps, CreateCliente(fields(codigo_cliente="new-1"), "rosa")),
                partial(clientes.steps, CreateCliente(fields(nombre=""), "rosa")),
            ]
        )
        assert isinstance(duplicate, CodigoTaken)
        assert isinstance(stale, VersionMismatch)
        assert isinstance(fresh, Written)
        assert fresh.position is not None
        assert isinstance(twin, CodigoTaken)  # the same code twice in one batch: one wins
        assert isinstance(invalid, ValidationFailed)
        # The claim of the taken code with the new Cliente, refused as a whole; then
        # each alone: the claim refused, the new Cliente recorded. The twin's claim of
        # the new code's index waited for a transaction of its own, refused there.
        assert gate.batches == [4, 2, 2, 2]
        assert clientes.get_cliente(taken.cliente.cliente_id).datos.codigo_cliente == "TAKEN"
        assert clientes.get_cliente(fresh.cliente.cliente_id).vigente

    def test_a_store_error_fails_the_commands_of_its_transaction(self, services: Services) -> None:
        clientes: Clientes = services.clientes
        calls = iter([OSError("down"), None])

        def flaky(events: Sequence[Any]) -> list[Recording[UUID]]:
            if (error := next(calls)) is not None:
                raise error
            return clientes.save(*events)

        clientes.committer = Committer(flaky)
        failed = clientes.committer.run_together(
            [partial(clientes.steps, CreateCliente(fields(), "ana")) for _ in range(2)]
        )
        assert [type(outcome) for outcome in failed] == [OSError, OSError]
        (written,) = clientes.committer.run_together(
            [partial(clientes.steps, CreateCliente(fields(), "ana"))]
        )
        assert isinstance(written, Written)
