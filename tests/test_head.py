"""Watermarks that requests wait on, and the threads that move them from other processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from api.bootstrap import Services
from commands import Clientes, CreateCliente
from projections.background import Background, Poller
from projections.watermark import Watermark
from stores import Store
from tests.support import fields


class TestWatermark:
    def test_a_waiter_wakes_when_another_thread_moves_the_head_past_it(self) -> None:
        async def scenario() -> None:
            head = Watermark()
            head.bind(asyncio.get_running_loop())
            waiting = asyncio.create_task(head.reached(5, timeout=10))
            await asyncio.to_thread(head.advance, 3)
            assert not waiting.done()
            await asyncio.to_thread(head.advance, 5)
            assert await waiting

        asyncio.run(scenario())

    def test_a_head_already_past_answers_at_once_and_a_quiet_one_times_out(self) -> None:
        async def scenario() -> None:
            head = Watermark()
            head.advance(7)
            assert await head.reached(7, timeout=0)
            assert not await head.reached(8, timeout=0.01)

        asyncio.run(scenario())

    def test_the_head_never_moves_back(self) -> None:
        head = Watermark()
        head.advance(9)
        head.advance(4)
        assert head.position == 9

    def test_end_releases_the_waiters_and_every_later_wait(self) -> None:
        async def scenario() -> None:
            head = Watermark()
            head.bind(asyncio.get_running_loop())
            waiting = asyncio.create_task(head.reached(1, timeout=10))
            await asyncio.to_thread(head.end)
            assert await waiting is False
            head.advance(3)
            assert await head.reached(1, timeout=10) is False

        asyncio.run(scenario())


@pytest.fixture
def other_process(store: Store) -> Iterator[Clientes]:
    """The same store opened again, as another process would: nothing shared in memory."""
    clientes = Clientes(env=store.env)
    yield clientes
    clientes.close()


def follow(watcher: Background, head: Watermark, writer: Clientes) -> bool:
    """Whether the head passes what ``writer`` records, with the watcher running."""

    async def scenario() -> bool:
        head.bind(asyncio.get_running_loop())
        watcher.start()
        try:
            written = await asyncio.to_thread(writer.execute, CreateCliente(fields(), "ana"))
            assert written.position is not None
            return await head.reached(written.position, timeout=10)
        finally:
            await asyncio.to_thread(watcher.stop)

    return asyncio.run(scenario())


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_on_postgres_the_head_follows_other_processes_writes_by_notification(
    services: Services, other_process: Clientes
) -> None:
    head = Watermark()
    watcher = services.settings.store.follow_events(services.clientes.recorder, head.advance)
    assert follow(watcher, head, other_process)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_on_sqlite_the_head_follows_other_processes_writes_by_polling(
    services: Services, other_process: Clientes
) -> None:
    head = Watermark()
    recorder = services.clientes.recorder
    watcher = Poller(lambda: head.advance(recorder.max_notification_id() or 0), interval=0.05)
    assert follow(watcher, head, other_process)


def test_a_wait_rereads_the_position_when_no_one_reports_it() -> None:
    """The read side's watermark, when no projector here or listener tells it."""
    reads = iter([3, 8])

    async def scenario() -> bool:
        mark = Watermark(read=lambda: next(reads), recheck=0.01)
        mark.bind(asyncio.get_running_loop())
        return await mark.reached(8, timeout=5)

    assert asyncio.run(scenario())


def test_this_process_writes_move_the_head_at_once(services: Services) -> None:
    written = services.clientes.execute(CreateCliente(fields(), "ana"))
    assert services.head.position == written.position
