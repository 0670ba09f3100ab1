"""Threads that run beside the requests: a base that rides out the store's outages, and a poller.

Each kind of store builds on them how a process learns of other processes'
progress (stores/): a listener on PostgreSQL's notifications, a poller on SQLite.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import ClassVar

from eventsourcing.persistence import PersistenceError

logger = logging.getLogger(__name__)


class Background:
    """A daemon thread running ``run`` until ``stop()``.

    By default ``run`` repeats ``round()``, ``pause`` seconds apart, riding out
    the store's outages (logged at debug level) until stopped.
    """

    pause = 1.0
    # What a round may raise while the store is away: logged at debug level, and retried.
    riding_out: ClassVar[tuple[type[Exception], ...]] = (PersistenceError, OSError)

    def __init__(self, name: str) -> None:
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.round()
            except self.riding_out as error:
                logger.debug("%s riding out: %s", self._thread.name, error)
            self.stopping.wait(self.pause)

    def round(self) -> None:
        raise NotImplementedError


class Poller(Background):
    """Calls ``poll`` every ``interval`` seconds, riding out the store's outages."""

    def __init__(self, poll: Callable[[], None], interval: float, name: str = "poller") -> None:
        super().__init__(name)
        self._poll = poll
        self.pause = interval

    def round(self) -> None:
        self._poll()
