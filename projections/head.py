"""The store's head position, for readers that follow new events as they are recorded.

Followers (the API's event streams) wait on a StoreHead rather than query the
store in a loop. One HeadWatcher per process moves it: on PostgreSQL when the
event store's channel is notified (the library notifies it on every insert),
on SQLite by polling, the embedded store having no notifications across
processes. Writes this process makes move it at once through
``Clientes.on_recorded``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.sql import SQL, Identifier

logger = logging.getLogger(__name__)


class StoreHead:
    """The highest position known to be recorded, and the asyncio tasks waiting past it."""

    def __init__(self) -> None:
        self.position = 0
        self.ended = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop whose tasks wait; set when the app starts."""
        self._loop = loop

    def advance(self, position: int) -> None:
        """Records that the store has reached ``position``; callable from any thread."""
        with self._lock:
            if position <= self.position:
                return
            self.position = position
        self._wake()

    def end(self) -> None:
        """Ends every wait, now and later: the process is shutting down.

        Takes no lock, so that a signal handler may call it.
        """
        self.ended = True
        self._wake()

    async def beyond(self, position: int, timeout: float) -> bool:
        """Waits until the head is past ``position``; False on timeout or when ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.position <= position and not self.ended:
            waiter = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, deadline - loop.time())
            except TimeoutError:
                return False
            finally:
                self._waiters.discard(waiter)
        return not self.ended

    def _wake(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)


class HeadWatcher:
    """Moves a StoreHead from the store, in a thread.

    With ``channel`` (PostgreSQL) it reads the head when the channel is
    notified; without, it reads it every ``poll_interval`` seconds.
    """

    def __init__(
        self,
        head: StoreHead,
        read_head: Callable[[], int | None],
        *,
        conninfo: str = "",
        channel: str | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._head = head
        self._read_head = read_head
        self._conninfo = conninfo
        self._channel = channel
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="head-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self._channel is None:
                    self._poll()
                else:
                    self._listen(self._channel)
            except (PersistenceError, psycopg.Error, OSError) as error:
                logger.debug("Head watcher retrying after: %s", error)
                self._stopping.wait(1.0)

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._head.advance(self._read_head() or 0)
            self._stopping.wait(self._poll_interval)

    def _listen(self, channel: str) -> None:
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(channel)))
            # Read once listening, so that no insert falls between the read and the LISTEN.
            self._head.advance(self._read_head() or 0)
            while not self._stopping.is_set():
                notified = False
                # A short timeout keeps stop() prompt; an idle wake-up costs nothing.
                for _ in conn.notifies(timeout=0.1, stop_after=1):
                    notified = True
                if notified:
                    self._head.advance(self._read_head() or 0)
