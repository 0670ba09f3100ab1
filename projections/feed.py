"""Stored Cliente events as envelopes, read from the event store in position order.

The store also holds the code index's events, which are internal: the read
asks for the three Cliente event topics only, so positions in a feed have gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.utils import get_topic

from commands import CLIENTE_EVENTS
from commands.sealing import SealingMapper
from projections.envelopes import Envelope, envelope

CLIENTE_TOPICS = [get_topic(cls) for cls in CLIENTE_EVENTS]


@dataclass(frozen=True)
class FeedPage:
    """Envelopes after a position, and how far the store was read for them.

    ``read_to`` is where the next read starts; it can be past the last
    envelope when the events after it are not Cliente events.
    """

    envelopes: list[Envelope]
    read_to: int


def read_feed(
    recorder: ApplicationRecorder,
    mapper: SealingMapper,
    after: int,
    limit: int,
    up_to: int | None = None,
) -> FeedPage:
    """At most ``limit`` envelopes of the events after ``after`` (up to ``up_to``, when given)."""
    notifications = recorder.select_notifications(
        start=after, limit=limit, stop=up_to, topics=CLIENTE_TOPICS, inclusive_of_start=False
    )
    domain_events = mapper.to_domain_events(notifications)
    envelopes = [envelope(e, n.id) for e, n in zip(domain_events, notifications, strict=True)]
    if up_to is not None and len(envelopes) < limit:
        return FeedPage(envelopes, max(after, up_to))
    return FeedPage(envelopes, envelopes[-1].position if envelopes else after)
