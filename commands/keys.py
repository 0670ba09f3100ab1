"""The answers kept for idempotency keys, read from their streams in the event store."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import EventStore

from commands.idempotency import AlreadyAnswered, KeyedAnswer, KeyReused, KeyUse, key_stream_id


class Keys:
    """Tells what a key means now: unused, forgotten, or holding an answer."""

    def __init__(self, events: EventStore[UUID]) -> None:
        self._events = events

    def last_expired(self, key: KeyUse) -> KeyedAnswer | None:
        """The key's last answer once it has expired (a new one follows it); None if unused.

        Raises AlreadyAnswered, with the answer, when the key holds one for this
        very request, and KeyReused when it holds one for another request.
        """
        last = self.last(key)
        if last is None or last.expired(datetime.now(UTC)):
            return last
        if last.request != key.request:
            raise KeyReused(last.request, key.request)
        raise AlreadyAnswered(last.answer)

    def last(self, key: KeyUse) -> KeyedAnswer | None:
        return self.last_of(key.actor, key.key)

    def last_of(self, actor: str, key: str) -> KeyedAnswer | None:
        """The last answer kept for ``actor``'s ``key``, expired or not; None if unused."""
        for event in self._events.get(key_stream_id(actor, key), desc=True, limit=1):
            return event  # type: ignore[return-value]  # a key's stream holds its answers
        return None

    def holds(self, actor: str, key: str) -> bool:
        """Whether ``actor``'s ``key`` holds an answer that has not expired."""
        last = self.last_of(actor, key)
        return last is not None and not last.expired(datetime.now(UTC))
