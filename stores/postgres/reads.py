"""Requests' reads on PostgreSQL, on the event loop: an async connection pool.

Reads of one Cliente each that come together share one statement, and
unfiltered pages that come together are sent on one connection in one
pipeline (projections/batches.py).
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import anyio
import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Composed
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from projections.batches import Batcher
from projections.rows import ClienteRow
from projections.search import ClienteQuery
from projections.terms import KeptTerms
from projections.view import Params
from stores.postgres.read_table import PostgresClientesView

Query = tuple[bytes | Composed, Params]  # a statement and its parameters
POOL_TIMEOUT = 5.0  # seconds a read waits for a connection before it answers 503


class PoolReads:
    """The view's and the recorder's statements, run through an async connection
    pool on the event loop; reads of one Cliente each, asked for together, in one
    statement, and unfiltered pages asked for together in one pipeline."""

    def __init__(
        self,
        view: PostgresClientesView,
        select_events: Composed,
        select_kept: Composed,
        select_keys: Composed,
        conninfo: str,
        size: int = 16,
    ) -> None:
        self.view = view
        self.terms = KeptTerms(view)
        self.rows = Batcher(self._select_rows)  # reads of one Cliente each, asked for together
        self.pages = Batcher(self._fetch_all)  # unfiltered pages, asked for together
        # Composed once into the bytes psycopg sends (and prepares), not at every read.
        self.select_row_statement = _sent(view.sql.select_row)
        self.select_rows_statement = _sent(view.select_rows_statement)
        self.select_page_statement = _sent(view.sql.select_page)
        self.select_events_statement = _sent(
            select_events + SQL(" AND originator_version > %s ORDER BY originator_version LIMIT %s")
        )
        self.select_kept_statement = _sent(select_kept)
        self.select_keys_statement = _sent(select_keys)
        self.pool = AsyncConnectionPool[AsyncConnection[DictRow]](
            conninfo,
            min_size=2,
            max_size=size,
            open=False,
            timeout=POOL_TIMEOUT,
            kwargs={"row_factory": dict_row, "autocommit": True, "connect_timeout": 2},
            configure=_in_utc,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)
        await anyio.to_thread.run_sync(self.terms.learn)

    async def close(self) -> None:
        await self.pool.close()
        self.terms.close()

    async def _fetch(self, statement: bytes | Composed, params: Params) -> list[DictRow]:
        """The records ``statement`` selects (prepared on each connection)."""
        (records,) = await self._fetch_all([(statement, params)])
        return records

    async def _fetch_all(self, queries: list[Query]) -> list[list[DictRow]]:
        """The records each of ``queries`` selects, on one connection.

        A connection the server dropped (a restart, a killed backend) fails the
        read; the pool's idle connections are then checked all at once, the dead
        ones replaced, and the read made again, so one outage costs no more than
        one failed attempt. No connection is checked while the server stays up.
        """
        try:
            return await self._fetch_all_once(queries)
        except PoolTimeout:
            raise  # no connection to be had: the server is away
        except psycopg.OperationalError:
            await self.pool.check()
            return await self._fetch_all_once(queries)

    async def _fetch_all_once(self, queries: list[Query]) -> list[list[DictRow]]:
        async with self.pool.connection() as conn:
            if len(queries) == 1:
                cursor = await conn.execute(*queries[0], prepare=True)
                return [await cursor.fetchall()]
            async with conn.pipeline():  # sent together, answered in one round trip
                cursors = [await conn.execute(*query, prepare=True) for query in queries]
            return [await cursor.fetchall() for cursor in cursors]

    async def get(self, cliente_id: int) -> ClienteRow | None:
        return await self.rows.ask(cliente_id)

    async def _select_rows(self, ids: list[int]) -> list[ClienteRow | None]:
        """The rows of ``ids``, in their order; None for an id with no row."""
        distinct = list(dict.fromkeys(ids))
        if len(distinct) == 1:  # the statement of one id, cheaper alone than an array of one
            records = await self._fetch(self.select_row_statement, {"id": distinct[0]})
        else:
            records = await self._fetch(self.select_rows_statement, (distinct,))
        found = {record["id"]: self.view.row(record) for record in records}
        return [found.get(cliente_id) for cliente_id in ids]

    async def events(self, originator_id: UUID, after: int, limit: int) -> list[StoredEvent]:
        records = await self._fetch(self.select_events_statement, (originator_id, after, limit))
        return [
            StoredEvent(
                originator_id=r["originator_id"],
                originator_version=r["originator_version"],
                topic=r["topic"],
                state=bytes(r["state"]),
            )
            for r in records
        ]

    async def page(
        self, query: ClienteQuery, offset: int, limit: int
    ) -> tuple[list[ClienteRow], int]:
        kept = await self.terms.kept(query)
        statement, params = self.view.select_page(query, offset, limit, kept=kept)
        if statement is self.view.sql.select_page:
            # An unfiltered page: its statement composed once, and sent with those of
            # the unfiltered pages asked for meanwhile, on one connection.
            records = await self.pages.ask((self.select_page_statement, params))
        else:
            records = await self._fetch(statement, params)
        rows, total = self.view.page_of(records)
        self.terms.found(query, total)
        return rows, total

    async def kept_answers(self, actor: str, since_hour: int) -> int:
        (record,) = await self._fetch(self.select_kept_statement, (actor, since_hour))
        return int(record["answers"])

    async def data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]:
        records = await self._fetch(self.select_keys_statement, (list(owners),))
        return {r["owner"]: None if r["key"] is None else bytes(r["key"]) for r in records}


async def _in_utc(conn: AsyncConnection[DictRow]) -> None:
    """Times come back in UTC already, as the rows hold them (view.row)."""
    await conn.execute("SET TimeZone TO 'UTC'")


def _sent(statement: Composed) -> bytes:
    """A statement as psycopg sends it (names quoted for a UTF-8 database)."""
    return statement.as_bytes(None)
