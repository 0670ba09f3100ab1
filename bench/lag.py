"""Projection lag: the time from a write's commit to the read table reaching it.

Both ends announce themselves on PostgreSQL channels at commit: the event
store notifies its channel (no payload: the head is read at once), the read
table notifies its own with its new position. One listener hears both, on one
clock, so for each commit the lag is the time until the first advance of the
read table to its head or beyond.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.sql import SQL, Identifier

EVENTS_TABLE = "clientes_events"
EVENTS_CHANNEL = "clientes_events"  # the library's: the events table's name
TABLE_CHANNEL = "public.clientes"  # the read table's: schema.table


class LagWatch:
    """Hears commits and read-table advances while it is entered."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.commits: list[tuple[float, int]] = []  # (when, head position)
        self.advances: list[tuple[float, int]] = []  # (when, read table position)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="lag-watch", daemon=True)

    @contextmanager
    def watching(self) -> Iterator[LagWatch]:
        self._thread.start()
        self._listening.wait(10)
        try:
            yield self
        finally:
            self._caught_up(timeout=30)
            self._stop.set()
            self._thread.join()

    def _listen(self) -> None:
        with (
            psycopg.connect(self.conninfo, autocommit=True) as listener,
            psycopg.connect(self.conninfo, autocommit=True) as reader,
        ):
            for channel in (EVENTS_CHANNEL, TABLE_CHANNEL):
                listener.execute(SQL("LISTEN {}").format(Identifier(channel)))
            head = SQL("SELECT max(notification_id) FROM {}").format(Identifier(EVENTS_TABLE))
            self._listening.set()
            while not self._stop.is_set():
                for notify in listener.notifies(timeout=0.2):
                    now = time.monotonic()
                    if notify.channel == EVENTS_CHANNEL:
                        row = reader.execute(head, prepare=True).fetchone()
                        self.commits.append((now, int(row[0]) if row and row[0] else 0))
                    else:
                        self.advances.append((now, int(notify.payload)))

    def _caught_up(self, timeout: float) -> None:
        """Waits until the read table has reached the last commit heard (or ``timeout``),
        so that no commit is left out for want of waiting."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.commits or (
                self.advances and self.advances[-1][1] >= max(h for _, h in self.commits)
            ):
                return
            time.sleep(0.05)

    def unreached(self) -> int:
        """The commits the read table was not heard to reach: counted, never dropped."""
        top = max((position for _, position in self.advances), default=0)
        return sum(1 for _, head in self.commits if head > top)

    def lags_ms(self) -> list[float]:
        """For each commit heard, the milliseconds until the read table reached it."""
        positions = [position for _, position in self.advances]
        lags = []
        for when, head in self.commits:
            # Positions only grow: the first advance to reach the head is the one.
            reached = bisect_left(positions, head)
            if reached < len(positions):
                lags.append(max(0.0, self.advances[reached][0] - when) * 1000)
        return sorted(lags)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
