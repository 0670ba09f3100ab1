"""The Redis stream publisher: every stored Cliente event, in store order, for subscribers.

Each event becomes a stream entry whose id is ``<position>-0``, so the stream
is ordered as the store is and an entry can be added only once: Redis refuses
an id that is not above the stream's last one. The publisher's position is
tracked like any projection's, but Redis and the tracking table cannot share a
transaction; a publisher that stops between the two publishes part of a batch
again when it resumes. Before each batch it reads the last id the stream has
ever been given and skips what is at or below it, so nothing is added twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

import msgspec
import redis
from eventsourcing.persistence import Tracking, TrackingRecorder

from commands import ClienteErased
from projections.envelopes import envelope, is_cliente_event


class RecordsPositions(Protocol):
    """What the publisher needs of the event store's recorder beside its notifications."""

    def positions_of(self, originator_id: UUID, below: int) -> list[int]:
        """The positions of an aggregate's events below ``below``, in order."""
        ...


ENVELOPE_FIELD = "envelope"  # the stream entry's one field: the envelope as JSON


def entry_id(position: int) -> str:
    """The stream entry id of the event at ``position``."""
    return f"{position}-0"


def entry_position(entry: str | bytes) -> int:
    """The position a stream entry id stands for."""
    text = entry.decode() if isinstance(entry, bytes) else entry
    return int(text.partition("-")[0])


class RedisPublisher:
    """Copies Cliente events to a Redis stream as envelopes; other events only advance it.

    Redis being away raises out of ``process_batch``: the runner backs off and
    resumes from the tracked position.
    """

    name = "redis_publisher"
    outages = (redis.ConnectionError, redis.TimeoutError)  # Redis away: the runner retries

    def __init__(
        self,
        view: TrackingRecorder,
        client: redis.Redis,
        stream: str,
        maxlen: int,
        positions_of: Callable[[UUID, int], list[int]],
    ) -> None:
        self._view = view
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self.positions_of = positions_of  # an aggregate's events' positions, below one

    @property
    def view(self) -> TrackingRecorder:
        return self._view

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        published = self.last_published()
        pipe = self.client.pipeline(transaction=False)
        for domain_event, tracking in batch:
            position = tracking.notification_id
            if isinstance(domain_event, ClienteErased):
                earlier = self.positions_of(domain_event.originator_id, position)
                if earlier:
                    pipe.xdel(self.stream, *map(entry_id, earlier))
            if position > published and is_cliente_event(domain_event):
                pipe.xadd(
                    self.stream,
                    {ENVELOPE_FIELD: msgspec.json.encode(envelope(domain_event, position))},
                    id=entry_id(position),
                    maxlen=self.maxlen,
                    approximate=True,
                )
        pipe.execute()
        self.view.insert_tracking(batch[-1][1])

    def last_published(self) -> int:
        """The position of the last entry the stream was ever given, trimmed or not; 0 if none."""
        if not self.client.exists(self.stream):
            return 0
        info = self.client.xinfo_stream(self.stream)
        return entry_position(info["last-generated-id"])
