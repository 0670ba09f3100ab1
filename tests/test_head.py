"""The store head that event streams wait on, and the watcher that moves it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from api.services import Services, head_watcher
from api.settings import Store
from commands import Clientes
from projections.head import HeadWatcher, StoreHead
from tests.support import fields


class TestStoreHead:
    def test_a_waiter_wakes_when_another_thread_moves_the_head_past_it(self) -> None:
        async def scenario() -> None:
            head = StoreHead()
            head.bind(asyncio.get_running_loop())
            waiting = asyncio.create_task(head.beyond(4, timeout=10))
            await asyncio.to_thread(head.advance, 3)
            assert not waiting.done()
            await asyncio.to_thread(head.advance, 5)
            assert await waiting

        asyncio.run(scenario())

    def test_a_head_already_past_answers_at_once_and_a_quiet_one_times_out(self) -> None:
        async def scenario() -> None:
            head = StoreHead()
            head.advance(7)
            assert await head.beyond(6, timeout=0)
            assert not await head.beyond(7, timeout=0.01)

        asyncio.run(scenario())

    def test_the_head_never_moves_back(self) -> None:
        head = StoreHead()
        head.advance(9)
        head.advance(4)
        assert head.position == 9

    def test_end_releases_the_waiters_and_every_later_wait(self) -> None:
        async def scenario() -> None:
            head = StoreHead()
            head.bind(asyncio.get_running_loop())
            waiting = asyncio.create_task(head.beyond(0, timeout=10))
            await asyncio.to_thread(head.end)
            assert await waiting is False
            head.advance(3)
            assert await head.beyond(0, timeout=10) is False

        asyncio.run(scenario())


@pytest.fixture
def other_process(store: Store) -> Iterator[Clientes]:
    """The same store opened again, as another process would: nothing shared in memory."""
    clientes = Clientes(env=store.env)
    yield clientes
    clientes.close()


def follow(watcher: HeadWatcher, head: StoreHead, writer: Clientes) -> bool:
    """Whether the head passes what ``writer`` records, with the watcher running."""

    async def scenario() -> bool:
        head.bind(asyncio.get_running_loop())
        watcher.start()
        try:
            written = await asyncio.to_thread(writer.create_cliente, fields(), "ana")
            assert written.position is not None
            return await head.beyond(written.position - 1, timeout=10)
        finally:
            await asyncio.to_thread(watcher.stop)

    return asyncio.run(scenario())


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_on_postgres_the_head_follows_other_processes_writes_by_notification(
    services: Services, other_process: Clientes
) -> None:
    head = StoreHead()
    watcher = head_watcher(services.settings.store, services.clientes, head)
    assert follow(watcher, head, other_process)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_on_sqlite_the_head_follows_other_processes_writes_by_polling(
    services: Services, other_process: Clientes
) -> None:
    head = StoreHead()
    watcher = HeadWatcher(head, services.clientes.recorder.max_notification_id, poll_interval=0.05)
    assert follow(watcher, head, other_process)


def test_this_process_writes_move_the_head_at_once(services: Services) -> None:
    written = services.clientes.create_cliente(fields(), "ana")
    assert services.head.position == written.position
