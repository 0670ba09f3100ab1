"""Rebuilding the read table from the events, beside the live one.

The rebuild reads the Cliente events in large batches into a fresh table
while the live table goes on serving and following new events; the code
index's events, which the table does not show, are left unread. Then, in one short
transaction that holds the live projector back, the fresh table catches up
with the events stored meanwhile and takes the live table's place, with its
counts and its tracking position; the live projector finds the table moved on
and carries on from the new position, so no event is missed or applied twice.
A check rebuilds the same way, compares instead of swapping, and drops the copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Tracking

from commands import CLIENTE_EVENTS
from commands.sealing import SealingMapper
from projections.clientes import ClientesProjection
from projections.runner import decoded
from projections.view import ClientesView

BATCH_SIZE = 5000


@dataclass
class ReplayResult:
    events: int  # Cliente events applied (the code index's are read past, not counted)
    position: int  # the table's position when swapped in or compared
    seconds: float
    differences: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class Replay:
    recorder: ApplicationRecorder
    mapper: SealingMapper
    tracking_name: str
    live: ClientesView
    scratch: ClientesView
    batch_size: int = BATCH_SIZE
    on_progress: Callable[[int, int], None] = lambda position, head: None

    def rebuild(self) -> ReplayResult:
        """Rebuilds into the scratch table and swaps it in for the live one."""
        return self._run(compare=False)

    def check(self) -> ReplayResult:
        """Rebuilds into the scratch table and lists how the live one differs."""
        return self._run(compare=True)

    def _run(self, *, compare: bool) -> ReplayResult:
        started = time.monotonic()
        # Indexed once loaded: building an index at once beats keeping it row by row.
        self.scratch.reset(searchable=False)
        projection = ClientesProjection(self.scratch)
        head = self.recorder.max_notification_id() or 0
        position, events = 0, 0
        # The next batch is read and decoded while this one is written.
        with ThreadPoolExecutor(1, thread_name_prefix="replay-reader") as reader:
            upcoming = reader.submit(self._read, position, head, projection.topics)
            while batch := upcoming.result():
                position = batch[-1][1].notification_id
                upcoming = reader.submit(self._read, position, head, projection.topics)
                projection.process_batch(batch)
                events += len(batch)
                self.on_progress(position, head)
        self.scratch.add_search_indexes()
        # The search terms whose counts the live table keeps, counted here too (through
        # the indexes); the batches below keep them current.
        self.scratch.keep_terms_of(self.live)
        with self.live.transaction() as within:
            # The events stored during the rebuild, applied while the live table waits;
            # all of them, so that the table ends at the store's last position.
            while batch := self._read(position):
                projection.process_batch(batch, within)
                position = batch[-1][1].notification_id
                events += sum(isinstance(event, CLIENTE_EVENTS) for event, _ in batch)
            self.scratch.keep_terms_of(self.live, within)  # any kept in the meantime
            if compare:
                differences = self.live.differences(within, self.scratch)
            else:
                self.live.replace_with(within, self.scratch)
                differences = []
        if compare:
            self.scratch.drop()
        else:
            # A table loaded in bulk has no statistics yet: without them the planner
            # could not tell which index answers a search best.
            self.live.analyze()
        self.on_progress(position, position)
        return ReplayResult(events, position, time.monotonic() - started, differences)

    def _read(
        self, after: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[tuple[Any, Tracking]]:
        return read_batch(
            self.recorder, self.mapper, self.tracking_name, after, self.batch_size, stop, topics
        )


def read_batch(
    recorder: ApplicationRecorder,
    mapper: SealingMapper,
    tracking_name: str,
    after: int,
    limit: int,
    stop: int | None = None,
    topics: Sequence[str] = (),
) -> list[tuple[Any, Tracking]]:
    """The next ``limit`` stored events after ``after`` (up to ``stop``, of ``topics``
    when given), decoded: how a replay reads the store."""
    notifications = recorder.select_notifications(
        start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
    )
    return decoded(notifications, mapper, tracking_name)
