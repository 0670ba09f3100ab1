"""Rebuilding the read table from the events while the service goes on writing."""

from __future__ import annotations

import contextlib
import subprocess
import threading

import pytest
from eventsourcing.persistence import Tracking

from api.bootstrap import Services
from commands import ClienteNotFound, Clientes, CreateCliente, DeactivateCliente, UpdateCliente
from projections import ClienteRow, ClientesProjection, open_view
from projections.replay import Replay
from projections.rows import COLUMNS, STORED_COLUMNS
from projections.search import ClienteQuery
from tests.conftest import SECRET
from tests.server import CLIENTES, server_env
from tests.stores import execute
from tests.support import fields
from tests.test_projector import Positions, everything, write_history


class Writer(threading.Thread):
    """Creates, changes and deactivates Clientes until told to stop."""

    def __init__(self, clientes: Clientes) -> None:
        super().__init__()
        self.clientes = clientes
        self.stopping = threading.Event()
        self.writes = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            cliente_id = self.clientes.execute(CreateCliente(fields(), "writer")).cliente.cliente_id
            if cliente_id % 3 == 0:
                self.clientes.execute(
                    UpdateCliente(cliente_id - 1, {"nombre": f"Nombre {cliente_id}"}, "w")
                )
            if cliente_id % 5 == 0:
                with contextlib.suppress(ClienteNotFound):  # deactivated already
                    self.clientes.execute(DeactivateCliente(cliente_id - 2, "writer"))
            self.writes += 1


def from_scratch(services: Services, table_name: str) -> tuple[list[ClienteRow], int]:
    """Every stored event projected, one at a time, into a new table."""
    view = open_view(services.settings.store.env, table_name=table_name)
    clientes = services.clientes
    try:
        projection = ClientesProjection(view)
        for n in clientes.recorder.select_notifications(start=None, limit=10**6):
            projection.process_event(
                clientes.mapper.to_domain_event(n), Tracking(clientes.name, n.id)
            )
        return everything(view)
    finally:
        view.close()


def replay(services: Services, scratch_name: str = "clientes_rebuild") -> Replay:
    scratch = open_view(services.settings.store.env, table_name=scratch_name)
    clientes = services.clientes
    return Replay(
        clientes.recorder, clientes.mapper, clientes.name, services.view, scratch, batch_size=40
    )


def test_a_replay_during_writes_swaps_in_a_table_equal_to_the_events(
    services: Services, live: Positions
) -> None:
    write_history(services.clientes)
    writer = Writer(services.clientes)
    writer.start()
    try:
        results = [replay(services).rebuild() for _ in range(3)]
    finally:
        writer.stopping.set()
        writer.join()
    assert writer.writes > 0
    assert all(result.events >= result.position // 2 for result in results)
    live.wait_for(services.clientes.recorder.max_notification_id())
    rows, total = everything(services.view)
    assert (rows, total) == from_scratch(services, "clientes_expected")
    assert total == len(rows) == len({row.id for row in rows})
    assert replay(services, "clientes_check").check().differences == []


def test_the_live_projector_carries_on_after_a_swap(services: Services, live: Positions) -> None:
    write_history(services.clientes)
    result = replay(services).rebuild()
    assert services.view.max_tracking_id(services.clientes.name) == result.position
    position = services.clientes.execute(
        CreateCliente(fields(codigo_cliente="AFTER"), "a")
    ).position
    live.wait_for(position)
    assert any(row.codigo_cliente == "AFTER" for row in everything(services.view)[0])


def test_a_rebuild_reads_the_cliente_events_and_ends_at_the_last_position(
    services: Services, live: Positions
) -> None:
    clientes = services.clientes
    write_history(clientes)
    last = clientes.execute(CreateCliente(fields(codigo_cliente="LAST"), "a")).position
    assert last is not None
    live.wait_for(last)
    stored = clientes.recorder.select_notifications(start=None, limit=10**6)
    cliente_events = [n for n in stored if n.topic in ClientesProjection.topics]
    assert stored[-1].topic not in ClientesProjection.topics  # the last create's code claim
    result = replay(services).rebuild()
    # The bulk read takes the Cliente events; the catch-up reads all that follow the last
    # of them, and counts only the Cliente events among them.
    assert result.events == len(cliente_events) < len(stored)
    assert result.position == last == services.view.max_tracking_id(clientes.name)
    assert everything(services.view) == from_scratch(services, "clientes_expected")


def test_check_finds_every_row_altered_by_hand(services: Services, live: Positions) -> None:
    live.wait_for(write_history(services.clientes))
    assert replay(services, "clientes_check").check().differences == []
    execute(
        services.settings.store,
        "UPDATE clientes SET nombre = 'Cambiado a mano' WHERE id = 5",
        "DELETE FROM clientes WHERE id = 6",
        "UPDATE clientes_counts SET vigentes = vigentes + 7 WHERE span = 0",
        "UPDATE clientes_blocks SET vigentes = vigentes + 7 WHERE block = 0",
        "UPDATE clientes_tipos SET vigentes = vigentes - 2",
    )
    differences = replay(services, "clientes_check").check().differences
    assert differences == [
        "Cliente 5: differs in nombre",
        "Cliente 6: vigente in the events, missing from the table",
        f"count of vigente Clientes: {11 + 7} in the table, 11 in the events",
        f"count of vigente Clientes with ids 0 to 1023: {11 + 7} in the table, 11 in the events",
        f"count of vigente Clientes with ids 0 to 32767: {11 + 7} in the table, 11 in the events",
        "count of vigente Clientes PERSONA/DNI: 9 in the table, 11 in the events",
    ]
    assert everything(services.view)[1] == 18  # a check changes nothing


@pytest.mark.slow
def test_replay_check_on_the_command_line(services: Services, live: Positions) -> None:
    live.wait_for(write_history(services.clientes))
    env = server_env(services.settings.store, SECRET)
    clean = subprocess.run(
        [str(CLIENTES), "replay", "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert clean.returncode == 0, clean.stderr
    assert "0 difference(s)" in clean.stdout
    assert "replay:" in clean.stderr  # progress, as lines when not on a terminal
    execute(services.settings.store, "UPDATE clientes SET email = 'x@example.com' WHERE id = 7")
    dirty = subprocess.run(
        [str(CLIENTES), "replay", "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert dirty.returncode == 1
    assert "Cliente 7: differs in email" in dirty.stdout
    fixed = subprocess.run(
        [str(CLIENTES), "replay"], env=env, capture_output=True, text=True, check=False
    )
    assert fixed.returncode == 0, fixed.stderr
    assert "swapped in" in fixed.stdout
    assert replay(services, "clientes_check").check().differences == []


@pytest.mark.slow
def test_only_one_replay_runs_at_a_time(services: Services) -> None:
    running = services.settings.store.lock("replay")
    assert running.acquire()
    try:
        env = server_env(services.settings.store, SECRET)
        second = subprocess.run(
            [str(CLIENTES), "replay"], env=env, capture_output=True, text=True, check=False
        )
    finally:
        running.release()
    assert second.returncode == 2
    assert "another replay is running" in second.stderr


def test_a_live_table_with_its_columns_in_another_order_is_checked_and_replaced(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_history(services.clientes))
    reordered = ", ".join(reversed(STORED_COLUMNS))
    execute(
        services.settings.store,
        f"CREATE TABLE clientes_reordered AS SELECT {reordered} FROM clientes",
        "DROP TABLE clientes",
        "ALTER TABLE clientes_reordered RENAME TO clientes",
    )
    assert replay(services, "clientes_check").check().differences == []
    replay(services).rebuild()
    assert everything(services.view) == from_scratch(services, "clientes_expected")
    position = services.clientes.execute(
        CreateCliente(fields(codigo_cliente="AFTER"), "a")
    ).position
    live.wait_for(position)
    assert any(row.codigo_cliente == "AFTER" for row in everything(services.view)[0])


def test_processes_starting_together_complete_a_table_of_an_older_release_once(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_history(services.clientes))
    store = services.settings.store
    execute(store, "DROP TABLE clientes_blocks", "DROP TABLE clientes_tipos")
    failed: list[Exception] = []

    def start() -> None:  # as prepare_store has each process do
        try:
            with store.creating_tables():
                open_view(store.env).close()
        except Exception as error:  # reported by the assertion below
            failed.append(error)

    starting = [threading.Thread(target=start) for _ in range(4)]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    assert failed == []
    assert services.view.page(10, 5) == (everything(services.view)[0][10:], 11)
    assert replay(services, "clientes_check").check().differences == []


def test_a_table_of_an_older_release_is_completed_at_start_and_made_anew_by_replay(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_history(services.clientes))
    # As an older release left it: no folded copies, no indexes for searching.
    execute(
        services.settings.store,
        f"CREATE TABLE clientes_older AS SELECT {', '.join(COLUMNS)} FROM clientes",
        "DROP TABLE clientes",
        "ALTER TABLE clientes_older RENAME TO clientes",
        "DROP TABLE clientes_tipos",
        "DROP TABLE clientes_blocks",
    )
    open_view(services.settings.store.env).close()  # as a process starting does
    assert services.view.page(10, 5) == (everything(services.view)[0][10:], 11)
    totals = [
        services.view.page(0, 100, ClienteQuery(tipo_cliente=tipo))
        for tipo in ("PERSONA", "EMPRESA", "OTRO")
    ]
    assert all(total == len(rows) for rows, total in totals)  # counted from the rows
    assert sum(total for _, total in totals) == 11
    nahui = ClienteQuery(text="NAHUI")
    created = services.clientes.execute(CreateCliente(fields(nombre="Juana Quispe Ñahui"), "a"))
    live.wait_for(created.position)
    assert [row.nombre for row in services.view.page(0, 100, nahui)[0]] == ["Juana Quispe Ñahui"]
    differences = replay(services, "clientes_check").check().differences
    assert len(differences) == 11  # every row of the older table
    assert all(d.endswith("differs in the folded copies of its text") for d in differences)
    replay(services).rebuild()
    rows, total = services.view.page(0, 100, ClienteQuery(text="QUISPE"))
    assert (len(rows), total) == (11, 11)
    assert replay(services, "clientes_check").check().differences == []
