"""Idempotency keys: the answer to a keyed command, kept with the command's own events.

Each (actor, key) has a stream of its own in the event store, whose id is
derived from both. The first use of a key records version 1 of that stream in
the same transaction as the command's change, so the store itself refuses a
second, concurrent first use, and a change that committed always has its
answer beside it. Each event holds all that is kept (what the key was used
for and the answer), so the stream's latest event alone says what a key
means. A key whose latest answer is older than KEEP_FOR is forgotten: its
next use runs the command anew and records the next version of the stream.
The space is reclaimed later, by deleting old answers (commands/forgetting.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic

from commands import schema
from commands.erasable import Erasable
from commands.errors import ClientesError

if TYPE_CHECKING:
    from commands.cliente import Cliente

KEY_NAMESPACE = UUID("8a3e1f52-2b7d-5c4e-9f10-6d2a4b8c7e31")
KEEP_FOR = timedelta(hours=24)
HOUR = 3600  # seconds: answers are counted per actor and hour, for the actor's quota
KEPT_HOURS = int(KEEP_FOR.total_seconds()) // HOUR
# How many answers each (actor, hour of the epoch) keeps: what a store records beside
# the answers themselves, in the same transaction (``save(..., kept_answers=...)``).
KeptCounts = Mapping[tuple[str, int], int]


class Answer(msgspec.Struct, frozen=True):
    """What a keyed command answered, kept to be given again as it was; ``erased`` when
    it showed a Cliente whose personal data was erased since (its body is gone)."""

    status: int
    body: str
    headers: dict[str, str]
    erased: bool = False


@dataclass(frozen=True)
class KeyedAnswer(Erasable, DomainEvent):
    """The answer given to the use of a key, and what the key was used for.

    An answer whose body shows a Cliente names it (``cliente_id``): the body is
    sealed with that Cliente's key (commands/sealing.py), and goes with it.
    """

    class_version = 2  # of its shape: see commands/schema.py
    upcast_v1_v2 = staticmethod(schema.unchanged)

    actor: str
    key: str
    request: str  # what the key was used for: method, path and a digest of the body
    status: int
    body: str
    headers: dict[str, str]
    cliente_id: int | None = None  # the Cliente the body shows; None: it shows none

    @property
    def answer(self) -> Answer:
        if self.erased:
            return Answer(self.status, "", self.headers, erased=True)
        return Answer(self.status, self.body, self.headers)

    def expired(self, now: datetime) -> bool:
        return now - self.timestamp >= KEEP_FOR


KEYED_ANSWER_TOPIC = get_topic(KeyedAnswer)


@dataclass(frozen=True)
class KeyUse:
    """A command run under an idempotency key.

    ``answer`` tells what to keep for the command's outcome (the Cliente it
    left, or the refusal it raised); None keeps nothing, and the key stays free.
    """

    actor: str
    key: str
    request: str
    answer: Callable[[Cliente | ClientesError], Answer | None]

    @property
    def stream_id(self) -> UUID:
        return key_stream_id(self.actor, self.key)

    def answered(
        self, answer: Answer, after: KeyedAnswer | None, cliente_id: int | None = None
    ) -> KeyedAnswer:
        """The event that keeps ``answer``, next in the stream after ``after``; with the
        ``cliente_id`` its body shows, if any."""
        return KeyedAnswer(
            originator_id=self.stream_id,
            originator_version=1 if after is None else after.originator_version + 1,
            timestamp=KeyedAnswer.create_timestamp(),
            actor=self.actor,
            key=self.key,
            request=self.request,
            status=answer.status,
            body=answer.body,
            headers=answer.headers,
            cliente_id=cliente_id,
        )


def key_stream_id(actor: str, key: str) -> UUID:
    """Keys are the actor's own: another actor's same key is another stream."""
    return uuid5(KEY_NAMESPACE, msgspec.json.encode([actor, key]).decode())


class AlreadyAnswered(ClientesError):
    """The key was used for this very request, which is answered again and runs no more."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("This request was answered already")
        self.answer = answer


class KeyReused(ClientesError):
    """The key was used, within the time it is kept, for another request."""

    def __init__(self, earlier: str, request: str) -> None:
        first, _, _ = earlier.rpartition(" ")
        same_target = request.startswith(f"{first} ")
        used_for = f"{first} with another body" if same_target else first
        super().__init__(
            f"The Idempotency-Key was used in the last 24 hours for {used_for}: "
            "a new request needs a new key"
        )


def hour_of(moment: datetime) -> int:
    """The hour of the epoch ``moment`` falls in."""
    return int(moment.timestamp()) // HOUR


def kept_answers(events: Iterable[object]) -> KeptCounts:
    """The answers ``events`` keep, counted per actor and hour."""
    return Counter(
        (event.actor, hour_of(event.timestamp))
        for event in events
        if isinstance(event, KeyedAnswer)
    )


class CountsKeptAnswers(Protocol):
    """What the event store keeps beside the answers: how many each actor has kept, per
    hour, so that an actor's quota is one read. Recorded with the answers themselves."""

    def kept_answers(self, actor: str, since_hour: int) -> int:
        """How many answers ``actor`` has kept from the start of ``since_hour`` on."""
        ...

    def forget_kept_answers(self, before_hour: int) -> None:
        """Forgets the counts of the hours before ``before_hour``."""
        ...
