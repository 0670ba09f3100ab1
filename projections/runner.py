"""Keeps a projection current, in a thread, for as long as the process lives."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    PersistenceError,
    Tracking,
    TrackingRecorder,
)

from commands.sealing import SealingMapper
from projections.background import Background
from projections.locks import Lock
from projections.view import TrackingConflict

logger = logging.getLogger(__name__)

MIN_BACKOFF = 0.05  # seconds before the first retry; doubled up to max_backoff
IDLE_CHECK = 1.0  # seconds an idle projector waits before it checks its lock again


class BatchProjection(Protocol):
    name: str

    @property
    def view(self) -> TrackingRecorder: ...

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None: ...


class Projector(Background):
    """Feeds stored events to a projection, a batch per transaction.

    Unlike the library's ProjectionRunner, whose thread ends at the first
    exception, this one outlives a database that restarts or drops
    connections: it backs off (bounded), logs once per outage, and resumes
    from the tracked position. Only the holder of the lock projects; the
    others stand by and take over when it goes. Whoever learns of new events
    (this process's writes, the store's follower) calls ``wake()``; a
    ``follower`` given here is started and stopped with the projector.
    """

    def __init__(
        self,
        *,
        recorder: ApplicationRecorder,
        mapper: SealingMapper,
        tracking_name: str,
        projection: BatchProjection,
        lock: Lock,
        outages: tuple[type[Exception], ...] = (PersistenceError, OSError),
        on_progress: Callable[[int], None] = lambda position: None,
        follower: Background | None = None,
        batch_size: int = 1000,
        standby_interval: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        super().__init__(name=f"projector-{projection.name}")
        self.recorder = recorder
        self.mapper = mapper
        self.tracking_name = tracking_name
        self.projection = projection
        self.lock = lock
        self.outages = outages  # what a store (or Redis) that is away raises: logged briefly
        self.on_progress = on_progress
        self.follower = follower
        self.batch_size = batch_size
        self.standby_interval = standby_interval
        self.max_backoff = max_backoff
        self.active = False
        self.standing_by = False  # said so, and not active since
        self.alive_at = time.time()  # when its thread last went round its loop
        self._woken = threading.Event()
        self._failing = False
        self._backoff = MIN_BACKOFF

    def start(self) -> None:
        if self.follower is not None:
            self.follower.start()
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self._woken.set()
        self.join(timeout)
        if self.follower is not None:
            self.follower.stop()

    def wake(self, *_: object) -> None:
        """New events may have been recorded: look now, not at the next check."""
        self._woken.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.alive_at = time.time()
                try:
                    if self.lock.acquire():
                        self._follow()
                    else:
                        self._stand_by()
                        self.stopping.wait(self.standby_interval)
                except Exception as error:
                    self.lock.release()
                    self._report_failure(error)
                    self.stopping.wait(self._backoff)
                    self._backoff = min(self._backoff * 2, self.max_backoff)
                finally:
                    self.active = False
        finally:
            self.lock.release()

    @property
    def state(self) -> str:
        """What it is doing: "active", "standing by", or "interrupted" (retrying)."""
        if self._failing:
            return "interrupted"
        return "active" if self.active else "standing by"

    def _stand_by(self) -> None:
        """Says once that another process projects, and this one stands by."""
        if not self.standing_by:
            self.standing_by = True
            logger.info(
                "Projection %s standing by: another process holds it; this one takes over "
                "when that one stops",
                self.projection.name,
            )

    def _follow(self) -> None:
        position = self.projection.view.max_tracking_id(self.tracking_name) or 0
        self.active = True
        logger.info(
            "Projection %s active in this process, at position %d%s",
            self.projection.name,
            position,
            ": taken over from the process that held it" if self.standing_by else "",
        )
        self.standing_by = False
        self.on_progress(position)
        while not self.stopping.is_set():
            self.alive_at = time.time()
            self._woken.clear()
            # Every event, the code index's too (unlike a replay's bulk read): a write
            # waits for the table to reach its last position, which may be one of them.
            notifications = self.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False
            )
            if notifications:
                position = self._apply(notifications, position)
            # Only now is the projection known to work again: reading its position
            # proves the store is back, not what the projection writes to (Redis).
            self._report_recovery(position)
            if not notifications:
                self._woken.wait(IDLE_CHECK)
                if not self.lock.acquire():
                    return  # another process holds the lock now: stand by

    def _apply(self, notifications: Sequence[Notification], position: int) -> int:
        """Applies a batch; the position it reached, or where the table was moved to."""
        try:
            self.projection.process_batch(decoded(notifications, self.mapper, self.tracking_name))
        except TrackingConflict as moved:
            # A replay swapped the table in (or another projector got there first).
            logger.info("Projection %s moved on (%s)", self.projection.name, moved)
            position = self.projection.view.max_tracking_id(self.tracking_name) or 0
        else:
            position = notifications[-1].id
        self.on_progress(position)
        return position

    def _report_recovery(self, position: int) -> None:
        self._backoff = MIN_BACKOFF
        if self._failing:
            logger.warning("Projection %s resumed at position %d", self.projection.name, position)
            self._failing = False

    def _report_failure(self, error: Exception) -> None:
        if not self._failing:
            logger.error(
                "Projection %s interrupted, retrying until it recovers: %s",
                self.projection.name,
                error,
                exc_info=not isinstance(error, self.outages),
            )
            self._failing = True


def decoded(
    notifications: Sequence[Notification], mapper: SealingMapper, tracking_name: str
) -> list[tuple[Any, Tracking]]:
    """Stored events as a projection takes them: each with its tracking position (their
    keys read together)."""
    events = mapper.to_domain_events(notifications)
    return [(e, Tracking(tracking_name, n.id)) for e, n in zip(events, notifications, strict=True)]
