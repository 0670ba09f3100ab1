"""Pages of the read table, deep ones included, against plain slicing of all rows."""

from __future__ import annotations

import random

import pytest
from eventsourcing.persistence import Tracking

from api.bootstrap import Services
from commands import Cliente, validate
from projections import ClientesProjection
from projections.rows import SPAN, SPANS_PER_BLOCK
from projections.search import ClienteQuery, SortKey
from tests.support import fields


@pytest.fixture
def spread(services: Services) -> list[int]:
    """Vigente Clientes over several spans of ids and several blocks of spans, with
    holes and an empty block: returns their ids."""
    rng = random.Random(7)
    block = SPAN * SPANS_PER_BLOCK
    ids = sorted(rng.sample(range(1, 4 * SPAN), 900) + rng.sample(range(2 * block, 4 * block), 300))
    gone = set(rng.sample(ids, 150))
    events: list[object] = []
    for cliente_id in ids:
        cliente = Cliente.register(cliente_id, validate(fields()), "seed")
        if cliente_id in gone:
            cliente.deactivate("seed")
        events += cliente.collect_events()
    projection = ClientesProjection(services.view)
    batch = [(event, Tracking("Clientes", n)) for n, event in enumerate(events, 1)]
    for start in range(0, len(batch), 250):
        projection.process_batch(batch[start : start + 250])
    return [i for i in ids if i not in gone]


@pytest.mark.parametrize("size", [1, 20, 100])
def test_every_page_is_the_slice_of_the_ordered_rows(
    services: Services, spread: list[int], size: int
) -> None:
    for offset in [*range(0, 60, 7), *range(SPAN - 30, len(spread) + 40, 97)]:
        rows, total = services.view.page(offset, size)
        assert total == len(spread)
        assert [row.id for row in rows] == spread[offset : offset + size], offset


def test_a_page_past_the_end_is_empty(services: Services, spread: list[int]) -> None:
    assert services.view.page(len(spread), 20) == ([], len(spread))
    assert services.view.page(2**62, 20) == ([], len(spread))


@pytest.mark.parametrize(
    ("sort", "reverse"),
    [
        ((SortKey("codigo_cliente", descending=True),), True),  # codes grow with the ids
        ((SortKey("nombre"),), False),  # every nombre alike: the ids decide
        ((SortKey("nombre", descending=True), SortKey("id", descending=True)), True),
    ],
)
def test_paging_through_found_rows_visits_each_once_in_order(
    services: Services, spread: list[int], sort: tuple[SortKey, ...], reverse: bool
) -> None:
    query = ClienteQuery(text="cli-", tipo_documento="DNI", sort=sort)
    seen: list[int] = []
    for offset in range(0, len(spread) + 100, 100):
        rows, total = services.view.page(offset, 100, query)
        assert total == len(spread)
        seen += [row.id for row in rows]
    assert seen == sorted(spread, reverse=reverse)
