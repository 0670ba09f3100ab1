"""Sealing what a release before encryption at rest stored in clear: ``clientes encrypt-history``.

The store is read in position order, a batch at a time. Each event that holds
personal values in clear has them sealed with its Cliente's key (made now for
a Cliente that has none) and its stored state rewritten in place, with the
keys made, in one transaction per batch. What is sealed already is left as it
is, so a run stopped half-way resumes where it stopped, and a second run finds
nothing to do. The rewrite changes how a value is stored, not what an event
says: it decodes as before. An answer of an Idempotency-Key stored then names
no Cliente: the Cliente its body shows is found in the body.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Notification, Transcoder

from commands.idempotency import KEYED_ANSWER_TOPIC
from commands.sealing import KEY_BYTES, SEALS, bound_to, in_clear, sealed

BATCH = 1000  # events read, and rewritten together, at a time
TOPICS = tuple(SEALS)  # the events that may hold personal values

# A stored event's new state: its aggregate, its version, its state.
Rewritten = tuple[UUID, int, bytes]


class RewritesEvents(Protocol):
    """What the event store's recorder provides for the encryption of older events."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...

    def max_notification_id(self) -> int | None: ...

    def select_data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]: ...

    def rewrite_events(self, states: Sequence[Rewritten], new_keys: Mapping[UUID, bytes]) -> None:
        """Replaces the stored states of these events and records the new keys, in one
        transaction."""
        ...


@dataclass
class Encryption:
    recorder: RewritesEvents
    transcoder: Transcoder
    batch_size: int = BATCH
    on_progress: Callable[[int, int], None] = lambda done, total: None

    def run(self) -> int:
        """Seals every value stored in clear; how many events it rewrote."""
        return self._through(rewrite=True)

    def in_clear(self) -> int:
        """How many events hold personal values in clear; nothing is changed."""
        return self._through(rewrite=False)

    def _through(self, *, rewrite: bool) -> int:
        head = self.recorder.max_notification_id() or 0
        after, found = 0, 0
        while batch := self.recorder.select_notifications(
            start=after, limit=self.batch_size, stop=head, topics=TOPICS, inclusive_of_start=False
        ):
            clear = [(n, state) for n in batch if in_clear(state := self._state(n), n.topic)]
            if clear and rewrite:
                self._seal(clear)
            found += len(clear)
            after = batch[-1].id
            self.on_progress(after, head)
        self.on_progress(head, head)
        return found

    def _state(self, notification: Notification) -> dict[str, Any]:
        state: dict[str, Any] = self.transcoder.decode(notification.state)
        if notification.topic == KEYED_ANSWER_TOPIC and state.get("cliente_id") is None:
            state["cliente_id"] = shown_cliente(state)
        return state

    def _seal(self, clear: list[tuple[Notification, dict[str, Any]]]) -> None:
        owners = {owner for n, state in clear if (owner := SEALS[n.topic].owner_of(state, _id(n)))}
        keys = self.recorder.select_data_keys(owners)
        new_keys: dict[UUID, bytes] = {}
        rewritten: list[Rewritten] = []
        for notification, state in clear:
            seal = SEALS[notification.topic]
            owner = seal.owner_of(state, _id(notification))
            assert owner is not None  # in clear: it has personal values, and so an owner
            key = keys.get(owner) or new_keys.get(owner)
            if owner in keys and key is None:
                raise RuntimeError(f"{owner}'s key was destroyed, yet its values are in clear")
            if key is None:
                key = new_keys[owner] = AESGCM.generate_key(KEY_BYTES * 8)
            bound = bound_to(notification.originator_id, notification.originator_version)
            sealed(state, seal, owner, key, bound)
            encoded = self.transcoder.encode(state)
            rewritten.append((_id(notification), notification.originator_version, encoded))
        self.recorder.rewrite_events(rewritten, new_keys)


def _id(notification: Notification) -> UUID:
    return UUID(str(notification.originator_id))


def shown_cliente(state: Mapping[str, Any]) -> int | None:
    """The id of the Cliente an answer's body shows: a success with a Cliente in it."""
    if state.get("status", 500) >= 300:
        return None
    try:
        body = msgspec.json.decode(state.get("body") or "null")
    except msgspec.DecodeError:
        return None
    cliente_id = body.get("id") if isinstance(body, dict) else None
    return cliente_id if isinstance(cliente_id, int) and not isinstance(cliente_id, bool) else None
