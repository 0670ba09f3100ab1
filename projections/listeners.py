"""Threads that learn of other processes' progress: from PostgreSQL notifications, or by polling."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.sql import SQL, Identifier

logger = logging.getLogger(__name__)


class Background:
    """A daemon thread running ``run`` until ``stop()``.

    By default ``run`` repeats ``round()``, ``pause`` seconds apart, riding out
    the store's outages (logged at debug level) until stopped.
    """

    pause = 1.0

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
            except (psycopg.Error, PersistenceError, OSError) as error:
                logger.debug("%s riding out: %s", self._thread.name, error)
            self.stopping.wait(self.pause)

    def round(self) -> None:
        raise NotImplementedError


class ChannelListener(Background):
    """Calls ``on_notify`` with the payload of each notification on a PostgreSQL channel.

    ``on_listening`` is called each time the listening (re)starts, to catch up
    with what may have been notified while no one listened. A dropped
    connection is opened again.
    """

    def __init__(
        self,
        conninfo: str,
        channel: str,
        on_notify: Callable[[str], None],
        on_listening: Callable[[], None] = lambda: None,
        name: str = "channel-listener",
    ) -> None:
        super().__init__(name)
        self._conninfo = conninfo
        self._channel = channel
        self._on_notify = on_notify
        self._on_listening = on_listening

    def round(self) -> None:
        """Listens until stopped; a dropped connection ends the round, and the next reconnects."""
        with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(self._channel)))
            self._on_listening()
            while not self.stopping.is_set():
                # A short timeout keeps stop() prompt; an idle wake-up costs nothing.
                for notify in conn.notifies(timeout=0.1):
                    self._on_notify(notify.payload)


class Poller(Background):
    """Calls ``poll`` every ``interval`` seconds, riding out the store's outages."""

    def __init__(self, poll: Callable[[], None], interval: float, name: str = "poller") -> None:
        super().__init__(name)
        self._poll = poll
        self.pause = interval

    def round(self) -> None:
        self._poll()
