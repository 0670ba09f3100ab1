"""How far the event store, the read table and the Redis publisher have got.

Read from the store itself, so any process answers for all of them: /ready and
/metrics agree wherever the projector runs (in this process, another API
process, or `clientes project`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from api.bootstrap import Services

READ_TABLE = "clientes"  # the projections as /metrics labels them
PUBLISHER = "redis"


@dataclass(frozen=True)
class Lag:
    """A projection's position, and how far behind the store's head it is."""

    position: int
    events: int
    seconds: float


@dataclass(frozen=True)
class Progress:
    head: int  # the store's last position
    projections: dict[str, Lag]


def progress(services: Services) -> Progress:
    """Reads the positions; raises the store's error when it cannot be reached.

    A connection of its own tells at once that the store is away, where the
    library's pool would retry for many seconds before saying so.
    """
    services.store.check()
    head = services.clientes.recorder.max_notification_id() or 0
    positions = {READ_TABLE: services.position or 0}
    if (published := services.publisher_position()) is not None:
        positions[PUBLISHER] = published
    return Progress(head, {name: lag(services, head, at) for name, at in positions.items()})


def lag(services: Services, head: int, position: int) -> Lag:
    behind = max(head - position, 0)
    oldest = services.oldest_unapplied(position) if behind else None
    seconds = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return Lag(position, behind, round(max(seconds, 0.0), 3))
