"""Notifications on a PostgreSQL channel, heard by a thread of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.sql import SQL, Identifier

from projections.background import Background


class ChannelListener(Background):
    """Calls ``on_notify`` with the payload of each notification on a PostgreSQL channel.

    ``on_listening`` is called each time the listening (re)starts, to catch up
    with what may have been notified while no one listened. A dropped
    connection is opened again.
    """

    riding_out: ClassVar[tuple[type[Exception], ...]] = (psycopg.Error, PersistenceError, OSError)

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
