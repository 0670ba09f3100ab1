"""The projector: catching up, rebuilding, surviving outages, one active at a time."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator

import psycopg
import pytest

from api.bootstrap import Services, build_projector
from commands import Clientes, CreateCliente, DeactivateCliente, UpdateCliente
from projections import ClienteRow, ClientesView, Projector, open_view
from stores import Store
from tests.stores import conninfo
from tests.support import fields


class Positions:
    """Collects the projector's progress reports, for tests to wait on."""

    def __init__(self) -> None:
        self.position = 0
        self._changed = threading.Condition()

    def __call__(self, position: int) -> None:
        with self._changed:
            self.position = position
            self._changed.notify_all()

    def wait_for(self, position: int | None, timeout: float = 10.0) -> None:
        with self._changed:
            reached = self._changed.wait_for(lambda: self.position >= (position or 0), timeout)
        assert reached, f"the projector stayed at {self.position}, short of {position}"


def projector_for(
    services: Services, positions: Positions, view: ClientesView | None = None
) -> Projector:
    return build_projector(
        services.settings.store, services.clientes, view or services.view, on_progress=positions
    )


def write_history(clientes: Clientes) -> int:
    """Creates, updates (codes included) and deactivates; returns the head position."""
    ids = [clientes.execute(CreateCliente(fields(), "a")).cliente.cliente_id for _ in range(12)]
    clientes.execute(
        UpdateCliente(ids[0], {"codigo_cliente": "MOVED", "email": "m@example.com"}, "b")
    )
    clientes.execute(CreateCliente(fields(codigo_cliente="CLI-REUSE"), "a"))
    clientes.execute(UpdateCliente(ids[1], {"nombre": "Otra"}, "b"))
    clientes.execute(DeactivateCliente(ids[2], "c"))
    clientes.execute(UpdateCliente(ids[3], {"direccion": "Jr. Lima 1"}, "b"))
    clientes.execute(DeactivateCliente(ids[3], "c"))
    return clientes.recorder.max_notification_id() or 0


def everything(view: ClientesView) -> tuple[list[ClienteRow], int]:
    return view.page(0, 1000)


def test_a_stopped_projector_catches_up_when_started(services: Services) -> None:
    positions = Positions()
    head = write_history(services.clientes)
    assert everything(services.view) == ([], 0)
    projector = projector_for(services, positions)
    projector.start()
    try:
        positions.wait_for(head)
    finally:
        projector.stop()
    rows, total = everything(services.view)
    assert total == len(rows) == 11
    moved = next(row for row in rows if row.codigo_cliente == "MOVED")
    assert moved.email == "m@example.com"
    assert moved.version == 2


def test_it_resumes_from_its_tracked_position(services: Services) -> None:
    positions = Positions()
    first = services.clientes.execute(CreateCliente(fields(), "a")).position
    projector = projector_for(services, positions)
    projector.start()
    positions.wait_for(first)
    projector.stop()
    second = services.clientes.execute(CreateCliente(fields(), "a")).position
    projector = projector_for(services, positions)
    projector.start()
    try:
        positions.wait_for(second)
    finally:
        projector.stop()
    assert everything(services.view)[1] == 2


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_a_table_rebuilt_from_the_events_equals_the_live_one(
    services: Services, batch_size: int
) -> None:
    live_positions, rebuilt_positions = Positions(), Positions()
    live = projector_for(services, live_positions)
    live.start()
    try:
        head = write_history(services.clientes)
        live_positions.wait_for(head)
    finally:
        live.stop()
    rebuilt_view = open_view(services.settings.store.env, table_name="clientes_rebuilt")
    rebuilt = projector_for(services, rebuilt_positions, rebuilt_view)
    rebuilt.batch_size = batch_size
    rebuilt.start()
    try:
        rebuilt_positions.wait_for(head)
        assert everything(rebuilt_view) == everything(services.view)
    finally:
        rebuilt.stop()
        rebuilt_view.close()


@pytest.mark.slow
def test_only_one_projector_is_active_and_another_takes_over(services: Services) -> None:
    positions = Positions()
    first, second = projector_for(services, positions), projector_for(services, positions)
    first.start()
    second.start()
    try:
        positions.wait_for(services.clientes.execute(CreateCliente(fields(), "a")).position)
        assert [first.active, second.active].count(True) == 1
        active, standby = (first, second) if first.active else (second, first)
        active.stop()
        position = services.clientes.execute(CreateCliente(fields(), "a")).position
        positions.wait_for(position, timeout=15)
        assert standby.active
    finally:
        first.stop()
        second.stop()
    assert everything(services.view)[1] == 2


@pytest.fixture
def application_name() -> Iterator[str]:
    """Tags this test's PostgreSQL connections, so that only they are cut."""
    name = f"clientes-test-{os.getpid()}-{threading.get_ident()}"
    previous = os.environ.get("PGAPPNAME")
    os.environ["PGAPPNAME"] = name
    yield name
    if previous is None:
        del os.environ["PGAPPNAME"]
    else:
        os.environ["PGAPPNAME"] = previous


def cut_connections(store: Store, application_name: str) -> int:
    with psycopg.connect(conninfo(store), autocommit=True, application_name="cutter") as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_it_survives_dropped_connections_and_says_so_once(
    application_name: str, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    positions = Positions()
    projector = projector_for(services, positions)
    projector.start()
    try:
        positions.wait_for(services.clientes.execute(CreateCliente(fields(), "a")).position)
        with caplog.at_level(logging.WARNING, logger="projections.runner"):
            for _ in range(2):
                assert cut_connections(services.settings.store, application_name) > 0
                position = services.clientes.execute(CreateCliente(fields(), "a")).position
                positions.wait_for(position, timeout=20)
    finally:
        projector.stop()
    assert everything(services.view)[1] == 3
    interrupted = [r for r in caplog.records if "interrupted" in r.getMessage()]
    resumed = [r for r in caplog.records if "resumed" in r.getMessage()]
    assert len(interrupted) == len(resumed) <= 2
