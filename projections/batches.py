"""Reads of one row each, made together: what group commit is for writes (commands/committer.py).

Each read through the pool costs the event loop a connection taken and given
back, a statement sent, and wake-ups on the database's socket. Reads of one
row each that are asked for while another is under way go in one statement
instead, so those costs are paid once for all of them.

A read asked for when none is under way starts at the event loop's next turn,
together with every read asked for in the same turn: a lone read waits for no
one. The reads asked for while a statement runs go together in the next. Each
read's statement starts after it was asked for, so it sees every change the
table held by then, and read-your-writes holds as it does for a read of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from itertools import islice
from typing import Generic, TypeVar

MAX_BATCH = 256  # keys read together at the most

Row = TypeVar("Row")
Select = Callable[[list[int]], Awaitable[dict[int, Row]]]
Waiting = dict[int, list[asyncio.Future[Row | None]]]  # the reads asked for, by key


class RowBatcher(Generic[Row]):
    """Reads rows by key, the keys asked for together in one ``select``."""

    def __init__(self, select: Select[Row], max_batch: int = MAX_BATCH) -> None:
        self._select = select
        self._max_batch = max_batch
        self._waiting: Waiting[Row] = {}
        self._reading: asyncio.Task[None] | None = None  # held, so it is not collected

    async def get(self, key: int) -> Row | None:
        """The row of ``key``; None if there is none. Raises what ``select`` raised."""
        future: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._reading is None:
            self._reading = asyncio.create_task(self._read_while_asked())
        return await future

    async def _read_while_asked(self) -> None:
        try:
            while self._waiting:
                keys = list(islice(self._waiting, self._max_batch))
                await self._read({key: self._waiting.pop(key) for key in keys})
        finally:
            self._reading = None

    async def _read(self, waiting: Waiting[Row]) -> None:
        try:
            found = await self._select(list(waiting))
        except Exception as error:
            for future in _pending(waiting):
                future.set_exception(error)
        else:
            for key, futures in waiting.items():
                for future in futures:
                    if not future.done():  # its request may have gone meanwhile
                        future.set_result(found.get(key))
        finally:
            for future in _pending(waiting):  # the read itself was cancelled
                future.cancel()


def _pending(waiting: Waiting[Row]) -> Iterator[asyncio.Future[Row | None]]:
    return (future for futures in waiting.values() for future in futures if not future.done())
