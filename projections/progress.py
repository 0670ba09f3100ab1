"""How far the read table has got, for requests that must read their own writes.

A write answers once the read table has reached the position of what it
recorded. Waiting requests are woken as soon as the projection commits:
directly by a projector in this process, through PostgreSQL notifications
for a projector elsewhere, and, as a safety net (and on SQLite, where other
processes cannot notify), by re-reading the tracked position at intervals.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

import anyio
import psycopg
from psycopg.sql import SQL, Identifier

logger = logging.getLogger(__name__)


class ReadSideProgress:
    def __init__(self, read_position: Callable[[], int | None], recheck: float) -> None:
        self._read_position = read_position
        self._recheck = recheck
        self._position = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tie = itertools.count()

    @property
    def position(self) -> int:
        return self._position

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop whose requests wait; set when the app starts."""
        self._loop = loop

    def advance(self, position: int) -> None:
        """Records that the read table has reached ``position``; callable from any thread."""
        with self._lock:
            if position <= self._position:
                return
            self._position = position
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._release)

    async def reached(self, position: int, timeout: float) -> bool:
        """Waits until the read table has reached ``position``; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._position < position:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._waiters, (position, next(self._tie), waiter))
            try:
                await asyncio.wait_for(waiter, min(remaining, self._recheck))
            except TimeoutError:
                if (read := await anyio.to_thread.run_sync(self._read_position)) is not None:
                    self.advance(read)
        return True

    def _release(self) -> None:
        while self._waiters and self._waiters[0][0] <= self._position:
            waiter = heapq.heappop(self._waiters)[2]
            if not waiter.done():
                waiter.set_result(None)


class ProgressListener:
    """Advances a ReadSideProgress from the projection's PostgreSQL notifications."""

    def __init__(self, conninfo: str, channel: str, progress: ReadSideProgress) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._progress = progress
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                logger.debug("Progress listener reconnecting after: %s", error)
                self._stopping.wait(1.0)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
            while not self._stopping.is_set():
                # A short timeout keeps stop() prompt; an idle wake-up costs nothing.
                for notify in conn.notifies(timeout=0.1):
                    self._progress.advance(int(notify.payload))


STALL_AFTER = 10.0  # seconds without progress, while behind, that make a projection stalled


class ProjectionWatch:
    """Notices a projection that stopped moving while events wait for it."""

    def __init__(self, stall_after: float = STALL_AFTER) -> None:
        self.stall_after = stall_after
        self._position: int | None = None
        self._behind = False
        self._since = time.monotonic()

    def stalled(self, position: int, head: int) -> bool:
        """True once the projection has been seen behind, at one position, for too long."""
        now = time.monotonic()
        if position != self._position or not self._behind:
            self._position, self._since = position, now
        self._behind = position < head
        return self._behind and now - self._since > self.stall_after
