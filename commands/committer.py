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

A command is written as steps (``Steps``): it yields the events it decided on
and is given back their position, or the store's refusal, where it yielded.
``run`` runs one in the calling thread, its change recorded with those of the
commands other threads run meanwhile. ``run_together`` runs many in one thread,
as an API process does with the commands that arrive together: each is decided
in turn, their changes recorded together, and those that lost a race decide
again and go in the next transaction. One thread, rather than one per command,
so the commands' threads do not take turns at the interpreter lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

MAX_BATCH = 64  # changes recorded together at the most

Record = Callable[[Sequence[Any]], list[Recording[UUID]]]
T = TypeVar("T")
# A command: yields the events it decided on; given their position (or the store's
# IntegrityError) where it yielded; returns its outcome.
Steps = Generator[Sequence[Any], int, T]
Given = int | BaseException | None  # what a command's next step is given


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

    @classmethod
    def of(cls, events: Sequence[Any]) -> Change:
        return cls(events, frozenset(event.originator_id for event in events))

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
        change = Change.of(events)
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

    def run(self, steps: Steps[T]) -> T:
        """Runs a command in this thread; its outcome. After a lost race it waits a
        moment, growing with each, before deciding again."""
        given: Given = None
        lost = 0
        while True:
            try:
                events = _next_step(steps, given)
            except StopIteration as done:
                outcome: T = done.value
                return outcome
            try:
                given = self.record(events)
            except IntegrityError as refusal:
                given = refusal
                time.sleep(random.uniform(0, 0.001 * min(lost, 10)))  # noqa: S311
                lost += 1

    def run_together(self, commands: Sequence[Callable[[], Steps[T]]]) -> list[T | Exception]:
        """Runs ``commands`` in this thread, their changes recorded together; each
        one's outcome, or the error it raised, in their order."""
        outcomes: dict[int, T | Exception] = {}
        running: dict[int, tuple[Steps[T], Given]] = {}
        for number, command in enumerate(commands):
            try:
                running[number] = (command(), None)
            except Exception as error:  # refused before it decided anything
                outcomes[number] = error
        while running:
            changes: dict[int, Change] = {}
            for number, (steps, given) in running.items():
                try:
                    changes[number] = Change.of(_next_step(steps, given))
                except StopIteration as done:
                    outcomes[number] = done.value
                except Exception as error:
                    outcomes[number] = error
            self.record_together(list(changes.values()))
            running = {n: (running[n][0], c.error or c.position) for n, c in changes.items()}
        return [outcomes[number] for number in range(len(commands))]

    def record_together(self, changes: list[Change]) -> None:
        """Records ``changes`` from this thread, those that share no aggregate in one
        transaction, and finishes each with its position or its error."""
        while changes:
            batch, changes = self._next_batch(changes)
            self._record_batch(batch)

    def _next_batch(self, changes: list[Change]) -> tuple[list[Change], list[Change]]:
        """The changes to record next, and those that wait for a later batch."""
        batch: list[Change] = []
        waiting: list[Change] = []
        touched: set[UUID] = set()
        for change in changes:
            if len(batch) < self._max_batch and not change.aggregates & touched:
                batch.append(change)
                touched |= change.aggregates
            else:
                waiting.append(change)
        return batch, waiting

    def _record_next_batch(self) -> None:
        with self._lock:
            batch, self._queue = self._next_batch(self._queue)
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


def _next_step(steps: Steps[T], given: Given) -> Sequence[Any]:
    """The events of a command's next step; StopIteration with its outcome when done."""
    if given is None:
        return next(steps)
    if isinstance(given, BaseException):
        return steps.throw(given)
    return steps.send(given)
