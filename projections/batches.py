"""Work asked for together, done together: what group commit does for a store's writes.

An API process answers many requests at once, and each would pay costs of its
own that are the same for one item as for many: for a read, a connection taken
from the pool and given back, a statement sent, wake-ups on the database's
socket; for a command, a worker thread woken, taking turns at the interpreter
lock with every other such thread. Work of one kind asked for while a batch of
it is under way goes together in the next batch, so those costs are paid once
for all of it. Reads of one Cliente each, unfiltered pages of the list
(projections/reads.py) and commands (api/bootstrap.py) are batched so.

Work asked for when none is under way starts at the event loop's next turn,
with whatever else was asked for in that turn: a lone request waits for no
one. A batch starts after everything in it was asked for, so a read sees every
change the store held by then, and read-your-writes holds as for a read made
alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

MAX_BATCH = 256  # items handled together at the most

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
# Answers a batch's items, in their order: each one's outcome, or the exception it raises.
Handle = Callable[[list[Item]], Awaitable[Sequence[Outcome | Exception]]]


class Batcher(Generic[Item, Outcome]):
    """Hands the items asked for together to ``handle``; when ``handle`` itself
    raises, every item of its batch raises that."""

    def __init__(self, handle: Handle[Item, Outcome], max_batch: int = MAX_BATCH) -> None:
        self._handle = handle
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._handling: asyncio.Task[None] | None = None  # held, so it is not collected

    async def ask(self, item: Item) -> Outcome:
        """``item``'s outcome, once its batch is handled."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._handling is None:
            self._handling = asyncio.create_task(self._handle_while_asked())
        return await future

    async def _handle_while_asked(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._handle_batch(batch)
        finally:
            self._handling = None

    async def _handle_batch(self, batch: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        futures = [future for _, future in batch]
        try:
            outcomes = await self._handle([item for item, _ in batch])
        except Exception as error:
            for future in futures:
                if not future.done():
                    future.set_exception(error)
        else:
            for future, outcome in zip(futures, outcomes, strict=True):
                if future.done():  # its request has gone meanwhile
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        finally:
            for future in futures:  # the handling itself was cancelled
                if not future.done():
                    future.cancel()
