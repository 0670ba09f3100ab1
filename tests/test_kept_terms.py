"""Kept counts of search terms: kept current by every batch, read by searches, carried by
a replay, and checked by it; on both stores. (How a batch changes them: test_row_changes.)"""

from __future__ import annotations

import asyncio
import threading

import pytest

import projections.view
from api.bootstrap import Services
from commands import Clientes, CreateCliente, DeactivateCliente, UpdateCliente
from projections import ClienteRow, ClientesView
from projections.search import ClienteQuery, SortKey
from projections.terms import KeptTerms
from tests.events_support import wait_until
from tests.stores import execute
from tests.support import fields
from tests.test_projector import Positions
from tests.test_replay import Writer, replay

HUAMAN = ClienteQuery(text="Huamán")


def found(view: ClientesView, query: ClienteQuery, *, kept: bool) -> tuple[list[ClienteRow], int]:
    return view.page(0, 1000, query, kept=kept)


def write_names(clientes: Clientes) -> int:
    """Clientes found by "huaman" in their nombre, code or number, and others; some of
    them renamed, recoded or deactivated after. Returns the last position."""
    ids = [
        clientes.execute(
            CreateCliente(fields(codigo_cliente=code, nombre=nombre), "a")
        ).cliente.cliente_id
        for code, nombre in [
            ("H-1", "Rosa Huamán"),
            ("H-2", "HUAMAN Quispe"),
            ("H-3", "Luis Ñahui"),
            ("HUAMAN-4", "Ana Pérez"),
            ("H-5", "Jorge Huamani"),
        ]
    ]
    clientes.execute(UpdateCliente(ids[0], {"nombre": "Rosa Quispe"}, "b"))  # no longer found
    clientes.execute(UpdateCliente(ids[2], {"nombre": "Luis Huamán"}, "b"))  # found from now on
    clientes.execute(UpdateCliente(ids[3], {"codigo_cliente": "P-4"}, "b"))  # nor by its code
    clientes.execute(DeactivateCliente(ids[4], "c"))
    return clientes.execute(CreateCliente(fields(nombre="Inés huamán"), "d")).position or 0


def test_batches_keep_a_kept_count_equal_to_a_count_of_the_rows(
    services: Services, live: Positions
) -> None:
    view = services.view
    services.clientes.execute(CreateCliente(fields(codigo_cliente="FIRST", nombre="Huamán"), "a"))
    live.wait_for(services.clientes.recorder.max_notification_id())
    assert view.keep_count(HUAMAN)
    assert view.kept_counts() == {"huaman": 1}
    live.wait_for(write_names(services.clientes))
    assert view.kept_counts() == {"huaman": 4}  # FIRST, HUAMAN Quispe, Luis and Inés
    for query in (HUAMAN, ClienteQuery(text="huaman", sort=(SortKey("nombre", True),))):
        assert found(view, query, kept=True) == found(view, query, kept=False)
        assert found(view, query, kept=True)[1] == 4


def test_a_page_by_a_term_no_longer_kept_still_counts_its_matches(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_names(services.clientes))
    # Known as kept by some process, but the table keeps no count of it (after a replay
    # of another release, say): the total is counted.
    assert found(services.view, HUAMAN, kept=True)[1] == 3
    statement, _ = services.view.select_page(HUAMAN, 0, 20, kept=True)
    assert services.view.tables.terms in str(statement)


def test_a_term_is_kept_once_a_search_finds_enough(
    services: Services, live: Positions, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.wait_for(write_names(services.clientes))
    counting = threading.Event()
    keep_count = services.view.keep_count
    counts: list[ClienteQuery] = []

    def held_back(query: ClienteQuery) -> bool:
        counts.append(query)
        counting.wait(10)
        return keep_count(query)

    monkeypatch.setattr(services.view, "keep_count", held_back)
    terms = KeptTerms(services.view, keep_from=3)

    async def ask_while_counting() -> bool:
        asking = asyncio.create_task(terms.kept(HUAMAN))
        await asyncio.sleep(0)  # it runs to its first wait: the count, held back
        assert not asking.done()  # it waits for the one count, not makes its own
        counting.set()
        return await asyncio.wait_for(asking, 10)

    try:
        rare = ClienteQuery(text="perez")
        terms.found(rare, 1)  # below keep_from
        terms.found(ClienteQuery(text="huaman", tipo_cliente="PERSONA"), 3)  # not text alone
        terms.found(HUAMAN, 3)
        assert asyncio.run(ask_while_counting())
        assert counts == [HUAMAN]
        assert asyncio.run(terms.kept(HUAMAN))
        assert not asyncio.run(terms.kept(rare))
        assert terms.pending == {}
        assert services.view.kept_counts() == {"huaman": 3}
    finally:
        terms.close()


def test_no_more_terms_are_kept_than_the_most(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projections.view, "MAX_KEPT_TERMS", 1)
    assert services.view.keep_count(ClienteQuery(text="a"))
    assert services.view.keep_count(ClienteQuery(text="A"))  # the same term, kept already
    assert not services.view.keep_count(ClienteQuery(text="b"))
    assert services.view.kept_counts() == {"a": 0}


def test_a_term_kept_while_writes_go_on_keeps_its_exact_count(
    services: Services, live: Positions
) -> None:
    writer = Writer(services.clientes)  # names every one "Nombre ...", renames some
    writer.start()
    try:
        wait_until(lambda: writer.writes >= 20, what="20 writes")
        assert services.view.keep_count(ClienteQuery(text="nombre 1"))
        assert services.view.keep_count(ClienteQuery(text="nombre"))
        wait_until(lambda: writer.writes >= 60, what="60 writes")
    finally:
        writer.stopping.set()
        writer.join()
    live.wait_for(services.clientes.recorder.max_notification_id())
    for term in ("nombre 1", "nombre"):
        counted = found(services.view, ClienteQuery(text=term), kept=False)[1]
        assert services.view.kept_counts()[term] == counted > 0


def test_a_replay_carries_the_kept_counts_and_a_check_finds_one_altered(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_names(services.clientes))
    assert services.view.keep_count(HUAMAN)
    replay(services).rebuild()
    assert services.view.kept_counts() == {"huaman": 3}
    assert replay(services, "clientes_check").check().differences == []
    execute(services.settings.store, f"UPDATE {services.view.tables.terms} SET matches = 7")
    assert replay(services, "clientes_check").check().differences == [
        "count of vigente Clientes found by 'huaman': 7 kept by the table, 3 in the events"
    ]


def test_a_process_reads_the_kept_terms_when_it_starts(services: Services) -> None:
    assert services.view.keep_count(HUAMAN)
    terms = KeptTerms(services.view)
    try:
        assert not asyncio.run(terms.kept(HUAMAN))
        terms.learn()
        assert asyncio.run(terms.kept(HUAMAN))
    finally:
        terms.close()


def test_a_list_read_keeps_the_term_it_found_often_and_then_totals_from_its_count(
    services: Services, live: Positions
) -> None:
    live.wait_for(write_names(services.clientes))
    reads = services.store.reads(services.view, services.clientes.recorder)

    async def read_twice() -> tuple[tuple[list[ClienteRow], int], tuple[list[ClienteRow], int]]:
        await reads.open()
        try:
            reads.terms.keep_from = 3
            counted = await reads.page(HUAMAN, 0, 20)
            assert await reads.terms.kept(HUAMAN)  # waits for the count being kept
            # Altered by hand: only a read of the kept count can total 99.
            altered = f"UPDATE {services.view.tables.terms} SET matches = 99"
            execute(services.settings.store, altered)
            return counted, await reads.page(HUAMAN, 0, 20)
        finally:
            await reads.close()

    (rows, total), (kept_rows, kept_total) = asyncio.run(read_twice())
    assert (total, kept_total) == (3, 99)
    assert kept_rows == rows
