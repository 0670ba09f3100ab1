"""What requests read: the read table's rows, a Cliente's stored events (its history)
and the count of an actor's kept answers.

``Reads`` is what a store provides for them; ``ThreadReads``, the default, runs
the view's and the recorder's own reads in a worker thread. A store whose
driver can read without leaving the event loop provides its own
(stores/postgres/reads.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import partial
from typing import Protocol
from uuid import UUID

import anyio
from eventsourcing.persistence import StoredEvent

from commands.idempotency import CountsKeptAnswers
from commands.sealing import DataKeys
from projections.rows import ClienteRow
from projections.search import ClienteQuery
from projections.terms import KeptTerms
from projections.view import ClientesView


class RecordsEvents(CountsKeptAnswers, DataKeys, Protocol):
    """What the reads need of the event store's recorder."""

    def select_events(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]: ...


class Reads(Protocol):
    terms: KeptTerms  # the search terms whose counts the table keeps

    async def open(self) -> None:
        """Readies the reads; called on the event loop that will use them."""
        ...

    async def close(self) -> None: ...

    async def get(self, cliente_id: int) -> ClienteRow | None:
        """One vigente Cliente."""
        ...

    async def events(self, originator_id: UUID, after: int, limit: int) -> list[StoredEvent]:
        """An aggregate's stored events after version ``after``, oldest first."""

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        """The Clientes ``query`` finds, in its order, from ``offset``, and how many it finds."""
        ...

    async def kept_answers(self, actor: str, since_hour: int) -> int:
        """How many answers of idempotency keys ``actor`` has kept since ``since_hour``."""
        ...

    async def data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]:
        """The data keys of ``owners`` that have a row, as the store has them now."""
        ...


class ThreadReads:
    """The view's and the recorder's reads, each in a worker thread."""

    def __init__(self, view: ClientesView, recorder: RecordsEvents) -> None:
        self.view = view
        self.recorder = recorder
        self.terms = KeptTerms(view)

    async def open(self) -> None:
        await anyio.to_thread.run_sync(self.terms.learn)

    async def close(self) -> None:
        self.terms.close()

    async def get(self, cliente_id: int) -> ClienteRow | None:
        return await anyio.to_thread.run_sync(self.view.get, cliente_id)

    async def events(self, originator_id: UUID, after: int, limit: int) -> list[StoredEvent]:
        def select() -> list[StoredEvent]:
            return list(self.recorder.select_events(originator_id, gt=after, limit=limit))

        return await anyio.to_thread.run_sync(select)

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        read = partial(self.view.page, offset, limit, query, kept=await self.terms.kept(query))
        rows, total = await anyio.to_thread.run_sync(read)
        self.terms.found(query, total)
        return rows, total

    async def kept_answers(self, actor: str, since_hour: int) -> int:
        return await anyio.to_thread.run_sync(self.recorder.kept_answers, actor, since_hour)

    async def data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]:
        return await anyio.to_thread.run_sync(self.recorder.select_data_keys, owners)
