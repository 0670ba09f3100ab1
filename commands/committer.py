"""Group commit: the changes of commands that arrive together, recorded in one transaction.

Each command is decided on its own, in the thread that runs it: its
aggregates read, its rules checked, its events triggered. Only the recording
is shared. A command hands its events to the committer and waits; if no
recording is under way, its own thread records at once (a lone command waits
for no one), taking with it every change that has arrived meanwhile; the
changes that arrive during that recording go together in the next one. One
transaction, one table lock, one commit and one notification serve them all.

A change that touches an aggregate another change of the batch touches waits
for the next batch, so two commands on one Cliente, or two claims of one
code, never meet in a transaction. If the store refuses a batch as a whole
(another process got to one of its aggregates first), each change is recorded
again on its own, so that only the ones that really conflict fail, each with
its own error, and their commands decide again on fresh state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

MAX_BATCH = 64  # changes recorded together at the most

Record = Callable[[Sequence[Any]], list[Recording[UUID]]]


@dataclass(eq=False)
class Change:
    """One command's events, on their way to the store."""

    events: Sequence[Any]
    aggregates: frozenset[UUID]
    position: int = 0  # of its last event, once recorded
    error: BaseException | None = None
    finished: bool = False
    leads: bool = False  # records the next batch
    wake: threading.Event = field(default_factory=threading.Event)

    def finish(self, position: int = 0, error: BaseException | None = None) -> None:
        self.position, self.error, self.finished = position, error, True
        self.wake.set()


class Committer:
    """Records changes, those that arrive together in one transaction."""

    def __init__(self, record: Record, max_batch: int = MAX_BATCH) -> None:
        self._record = record
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[Change] = []
        self._recording = False

    def record(self, events: Sequence[Any]) -> int:
        """Records ``events`` (one command's); the position of the last of them.

        Raises what the store raised for this change (IntegrityError when an
        aggregate moved on meanwhile).
        """
        change = Change(events, frozenset(event.originator_id for event in events))
        with self._lock:
            self._queue.append(change)
            if not self._recording:
                self._recording = change.leads = True
        while True:
            if change.leads:
                change.leads = False
                self._record_next_batch()
            if change.finished:
                break
            change.wake.wait()
            change.wake.clear()
        if change.error is not None:
            raise change.error
        return change.position

    def _record_next_batch(self) -> None:
        with self._lock:
            batch: list[Change] = []
            waiting: list[Change] = []
            touched: set[UUID] = set()
            for change in self._queue:
                if len(batch) < self._max_batch and not change.aggregates & touched:
                    batch.append(change)
                    touched |= change.aggregates
                else:
                    waiting.append(change)
            self._queue = waiting
        try:
            self._record_batch(batch)
        finally:
            with self._lock:
                if self._queue:  # the next batch is recorded by the first that waits
                    self._queue[0].leads = True
                    self._queue[0].wake.set()
                else:
                    self._recording = False

    def _record_batch(self, batch: list[Change]) -> None:
        try:
            recordings = self._record([event for change in batch for event in change.events])
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0].finish(error=error)
                return
            for change in batch:
                self._record_batch([change])
        except Exception as error:  # the store is down, say: every change of the batch failed
            for change in batch:
                change.finish(error=error)
        else:
            positions = {id(r.domain_event): r.notification.id for r in recordings}
            for change in batch:
                change.finish(max(positions[id(event)] for event in change.events))
