"""A position that only rises, and the requests waiting for it.

Two are kept per API process: how far the read table has got (a write answers
once it has reached the write's position, so the next read sees it) and how
far the event store has got (event streams wait for it to pass what they have
sent). Whoever learns of progress advances it, from any thread: a projector
in this process, a listener on PostgreSQL's notifications from the others, or
a poller on SQLite. Waiting costs no query, unless ``read`` and ``recheck``
ask for the position to be read again now and then while someone waits, in
case an advance went unreported.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from collections.abc import Callable

import anyio


class Watermark:
    def __init__(
        self, read: Callable[[], int | None] | None = None, recheck: float | None = None
    ) -> None:
        self._read = read
        self._recheck = recheck if read is not None else None
        self._position = 0
        self.ended = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tie = itertools.count()

    @property
    def position(self) -> int:
        return self._position

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop whose tasks wait; set when the app starts."""
        self._loop = loop

    def advance(self, position: int) -> None:
        """Records that ``position`` is reached; callable from any thread."""
        with self._lock:
            if position <= self._position:
                return
            self._position = position
        self._wake()

    def end(self) -> None:
        """Releases every wait, now and later: the process is stopping.

        Takes no lock, so that a signal handler may call it.
        """
        self.ended = True
        self._wake()

    async def reached(self, position: int, timeout: float) -> bool:
        """Waits until ``position`` is reached; False on timeout, or once ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._position < position and not self.ended:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._waiters, (position, next(self._tie), waiter))
            try:
                await asyncio.wait_for(waiter, min(remaining, self._recheck or remaining))
            except TimeoutError:
                if self._read is not None and (read := await anyio.to_thread.run_sync(self._read)):
                    self.advance(read)
        return not self.ended

    def _wake(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        while self._waiters and (self.ended or self._waiters[0][0] <= self._position):
            waiter = heapq.heappop(self._waiters)[2]
            if not waiter.done():
                waiter.set_result(None)
