"""What requests read (projections/reads.py) is what the read table holds, times in UTC."""

from __future__ import annotations

from datetime import UTC

import pytest

from api.bootstrap import Services
from commands import CreateCliente
from projections.search import EVERY_CLIENTE
from tests.support import fields
from tests.test_projector import Positions

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_row_and_a_page_read_as_the_table_holds_them_in_utc(
    services: Services, live: Positions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A session whose time zone is not UTC (libpq sets it from PGTZ when connecting):
    # the reads' own connections still give times in UTC.
    monkeypatch.setenv("PGTZ", "America/Lima")
    created = services.clientes.execute(CreateCliente(fields(), "a"))
    live.wait_for(created.position)
    cliente_id = created.cliente.cliente_id
    reads = services.store.reads(services.view, services.clientes.recorder)
    await reads.open()
    try:
        row = await reads.get(cliente_id)
        rows, total = await reads.page(EVERY_CLIENTE, 0, 20)
    finally:
        await reads.close()
    assert row is not None
    assert row == services.view.get(cliente_id)
    assert (rows, total) == ([row], 1)
    assert row.fecha_creacion.tzinfo is UTC
    assert row.fecha_modificacion.tzinfo is UTC
