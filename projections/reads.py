"""The read table's reads for requests: on the event loop where the store allows it.

On PostgreSQL an async connection pool answers a read without leaving the
event loop; elsewhere the view's own reads run in a worker thread.
"""

from __future__ import annotations

from typing import Protocol

import anyio
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from projections.rows import ClienteRow
from projections.search import ClienteQuery
from projections.view import ClientesView


class Reads(Protocol):
    async def open(self) -> None:
        """Readies the reads; called on the event loop that will use them."""
        ...

    async def close(self) -> None: ...

    async def get(self, cliente_id: int) -> ClienteRow | None:
        """One vigente Cliente."""
        ...

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        """The Clientes ``query`` finds, in its order, from ``offset``, and how many it finds."""
        ...


class ThreadReads:
    """The view's reads, each in a worker thread."""

    def __init__(self, view: ClientesView) -> None:
        self.view = view

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def get(self, cliente_id: int) -> ClienteRow | None:
        return await anyio.to_thread.run_sync(self.view.get, cliente_id)

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        return await anyio.to_thread.run_sync(self.view.page, offset, limit, query)


class PoolReads:
    """The view's statements, run through an async connection pool on the event loop."""

    def __init__(self, view: ClientesView, conninfo: str, size: int = 16) -> None:
        self.view = view
        self.pool = AsyncConnectionPool[AsyncConnection[DictRow]](
            conninfo,
            min_size=2,
            max_size=size,
            open=False,
            kwargs={"row_factory": dict_row, "autocommit": True},
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def get(self, cliente_id: int) -> ClienteRow | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(self.view.select_row_statement, (cliente_id,), prepare=True)
            record = await cursor.fetchone()
        return None if record is None else self.view.row(record)

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        statement, params = self.view.select_page(query, offset, limit)
        async with self.pool.connection() as conn:
            cursor = await conn.execute(statement, params, prepare=True)
            records = await cursor.fetchall()
        return self.view.page_of(records)
