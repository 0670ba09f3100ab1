"""Work asked for together, done together (projections/batches.py)."""

from __future__ import annotations

import asyncio

import pytest

from projections.batches import Batcher

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Squares:
    """A handler that squares numbers, refusing negative ones, and notes each batch;
    it can be held until released, and made to fail as a whole."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.called = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.failure: Exception | None = None

    async def __call__(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        self.called.set()
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return [ValueError(f"{n} < 0") if n < 0 else n * n for n in items]


async def test_items_asked_for_together_are_handled_in_one_batch() -> None:
    squares = Squares()
    batcher = Batcher(squares)
    assert await asyncio.gather(*(batcher.ask(n) for n in (3, 1, 3))) == [9, 1, 9]
    assert squares.batches == [[3, 1, 3]]


async def test_a_lone_item_is_handled_at_once() -> None:
    squares = Squares()
    batcher = Batcher(squares)
    assert await asyncio.wait_for(batcher.ask(2), 1) == 4
    assert await asyncio.wait_for(batcher.ask(5), 1) == 25
    assert squares.batches == [[2], [5]]


async def test_items_asked_for_during_a_batch_go_together_in_the_next() -> None:
    squares = Squares()
    batcher = Batcher(squares)
    squares.release.clear()
    first = asyncio.create_task(batcher.ask(1))
    await squares.called.wait()
    later = [asyncio.create_task(batcher.ask(n)) for n in (2, 3)]
    await asyncio.sleep(0.01)
    assert squares.batches == [[1]]  # the later ones wait for the batch under way
    squares.release.set()
    assert await asyncio.gather(first, *later) == [1, 4, 9]
    assert squares.batches == [[1], [2, 3]]


async def test_no_more_items_than_the_most_go_in_one_batch() -> None:
    squares = Squares()
    batcher = Batcher(squares, max_batch=4)
    assert await asyncio.gather(*(batcher.ask(n) for n in range(10))) == [n * n for n in range(10)]
    assert squares.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_an_item_refused_fails_alone() -> None:
    batcher = Batcher(Squares())
    outcomes = await asyncio.gather(
        batcher.ask(2), batcher.ask(-1), batcher.ask(3), return_exceptions=True
    )
    assert [outcomes[0], outcomes[2]] == [4, 9]
    assert isinstance(outcomes[1], ValueError)


async def test_a_failed_batch_fails_its_items_and_the_next_goes_on() -> None:
    squares = Squares()
    batcher = Batcher(squares)
    squares.failure = ConnectionError("the store is away")
    failed = await asyncio.gather(batcher.ask(1), batcher.ask(2), return_exceptions=True)
    assert [type(error) for error in failed] == [ConnectionError, ConnectionError]
    squares.failure = None
    assert await batcher.ask(2) == 4


async def test_an_item_whose_request_went_leaves_the_others_alone() -> None:
    squares = Squares()
    batcher = Batcher(squares)
    squares.release.clear()
    gone = asyncio.create_task(batcher.ask(1))
    kept = asyncio.create_task(batcher.ask(2))
    await squares.called.wait()
    gone.cancel()
    squares.release.set()
    assert await kept == 4
    assert gone.cancelled()
    assert await batcher.ask(1) == 1
