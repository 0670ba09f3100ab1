"""Reads of one row each, asked for together, made together (projections/batches.py)."""

from __future__ import annotations

import asyncio

import pytest

from projections.batches import RowBatcher

pytestmark = pytest.mark.anyio


class Rows:
    """A select over a dict of rows that records the keys of each call; it can be
    held until released, and made to fail."""

    def __init__(self, rows: dict[int, str]) -> None:
        self.rows = rows
        self.calls: list[list[int]] = []
        self.called = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.failure: Exception | None = None

    async def select(self, keys: list[int]) -> dict[int, str]:
        self.calls.append(keys)
        self.called.set()
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return {key: self.rows[key] for key in keys if key in self.rows}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_reads_asked_for_together_are_made_in_one_select() -> None:
    rows = Rows({1: "one", 2: "two", 3: "three"})
    batcher = RowBatcher(rows.select)
    found = await asyncio.gather(*(batcher.get(key) for key in (3, 1, 9, 1)))
    assert found == ["three", "one", None, "one"]
    assert rows.calls == [[3, 1, 9]]  # each key once


async def test_a_lone_read_is_made_at_once() -> None:
    rows = Rows({1: "one"})
    batcher = RowBatcher(rows.select)
    assert await asyncio.wait_for(batcher.get(1), 1) == "one"
    assert await asyncio.wait_for(batcher.get(2), 1) is None
    assert rows.calls == [[1], [2]]


async def test_reads_asked_for_during_a_select_go_together_in_the_next() -> None:
    rows = Rows({1: "one", 2: "two", 3: "three"})
    batcher = RowBatcher(rows.select)
    rows.release.clear()
    first = asyncio.create_task(batcher.get(1))
    await rows.called.wait()
    later = [asyncio.create_task(batcher.get(key)) for key in (2, 3)]
    await asyncio.sleep(0.01)
    assert rows.calls == [[1]]  # the later ones wait for the select under way
    rows.release.set()
    assert await asyncio.gather(first, *later) == ["one", "two", "three"]
    assert rows.calls == [[1], [2, 3]]


async def test_no_more_keys_than_the_most_go_in_one_select() -> None:
    rows = Rows({key: str(key) for key in range(10)})
    batcher = RowBatcher(rows.select, max_batch=4)
    found = await asyncio.gather(*(batcher.get(key) for key in range(10)))
    assert found == [str(key) for key in range(10)]
    assert rows.calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_a_failed_select_fails_its_reads_only() -> None:
    rows = Rows({1: "one", 2: "two"})
    batcher = RowBatcher(rows.select)
    rows.failure = ConnectionError("the store is away")
    failed = await asyncio.gather(batcher.get(1), batcher.get(2), return_exceptions=True)
    assert [type(error) for error in failed] == [ConnectionError, ConnectionError]
    rows.failure = None
    assert await batcher.get(2) == "two"


async def test_a_read_that_is_cancelled_leaves_the_others_alone() -> None:
    rows = Rows({1: "one", 2: "two"})
    batcher = RowBatcher(rows.select)
    rows.release.clear()
    gone = asyncio.create_task(batcher.get(1))
    kept = asyncio.create_task(batcher.get(2))
    await rows.called.wait()
    gone.cancel()
    rows.release.set()
    assert await kept == "two"
    assert gone.cancelled()
    assert await batcher.get(1) == "one"
