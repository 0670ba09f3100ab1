"""Personal data at rest: each Cliente's personal fields sealed with a data key of its own.

Stored events are never rewritten, so a person's data is erased by destroying
the key it was sealed with (crypto-shredding). The personal fields of every
event that holds them are sealed where events are encoded, in ``SealingMapper``,
and unsealed where they are decoded: the aggregate, the projections and the
readers see plain values, and no event class knows of it.

A sealed event keeps its other members in clear and holds, in place of its
personal ones, ``"sealed": {"key": owner, "in": member or null, "names": [...],
"box": nonce and AES-GCM ciphertext, base64}``: whose key sealed it (the
Cliente's aggregate id), where the names were (the event itself, or a member
such as ClienteUpdated's ``changes``), which names (not personal), and the
values. The ciphertext is bound to its event (its aggregate id and version are
its associated data), so it cannot be moved to another one.

Keys live in a table of the store's own, beside the events (``DataKeys``): a
Cliente's key is made with its ClienteCreated and recorded in the same
transaction; an erasure records ClienteErased and destroys the key in the same
transaction, leaving a tombstone (the key's row with no key). An event whose
key is destroyed decodes with its personal fields None and ``erased`` True.

A Cliente created before this release has no key at all: its events are in
clear, and so are those written for it until ``clientes encrypt-history`` has
made its key and sealed them all (commands/encrypting.py); it cannot be erased
before.
"""

from __future__ import annotations

import base64
import os
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from commands.cliente import (
    CLIENTE_EVENTS,
    ClienteCreated,
    ClienteErased,
    ClienteUpdated,
    cliente_aggregate_id,
)
from commands.idempotency import KeyedAnswer
from commands.validation import PERSONAL_FIELDS

SEALED = "sealed"  # the member that holds an event's sealed values
ERASED = "erased"  # set on an event decoded after its key was destroyed
NONCE = 12  # bytes, fresh for every sealing
KEY_BYTES = 32  # AES-256
CACHE = 10_000  # keys kept for sealing: those of the Clientes written most lately

# None for a destroyed key (a tombstone); an owner with no entry has no key at all.
Keys = Mapping[UUID, bytes | None]


class DataKeys(Protocol):
    """The store's table of data keys, beside the events. Keys are added and destroyed
    in the transaction that records the events (``save(..., data_keys=NewKeys)``)."""

    def select_data_keys(self, owners: Collection[UUID]) -> dict[UUID, bytes | None]:
        """The keys of ``owners`` that have a row: a key, or None once destroyed."""
        ...


@dataclass(frozen=True)
class KeyChanges:
    """What a batch of events does to the keys: the new ones to record, the ones to destroy."""

    new: Mapping[UUID, bytes]
    destroyed: Collection[UUID]

    def __bool__(self) -> bool:
        return bool(self.new or self.destroyed)


@dataclass(frozen=True)
class Seal:
    """Which members of an event are personal: ``names`` of the event itself, or of its
    member ``within``; ``owner`` is the member naming the Cliente whose key seals them
    (None: the event's own aggregate)."""

    names: tuple[str, ...]
    within: str | None = None
    owner: str | None = None

    def owner_of(self, state: Mapping[str, Any], originator_id: UUID) -> UUID | None:
        if self.owner is None:
            return originator_id
        cliente_id = state.get(self.owner)
        return None if cliente_id is None else cliente_aggregate_id(cliente_id)


# The events that hold personal values, and where: the one place that says so.
SEALS: Mapping[str, Seal] = {
    get_topic(ClienteCreated): Seal(PERSONAL_FIELDS),
    get_topic(ClienteUpdated): Seal(PERSONAL_FIELDS, within="changes"),
    get_topic(KeyedAnswer): Seal(("body",), owner="cliente_id"),  # an answer that shows one
}


class KeyDestroyed(Exception):
    """The Cliente's key was destroyed: its personal data was erased."""


class KeyRing:
    """The data keys: new ones made for new Clientes, the others read from the store.

    Sealing may use a key this process read or made before (a write that meets an
    erasure made elsewhere is refused by the store's versions anyway); unsealing
    always asks the store, so that an erasure anywhere shows everywhere at once.
    """

    def __init__(self, store: DataKeys, cache_size: int = CACHE) -> None:
        self._store = store
        self._cache: OrderedDict[UUID, bytes] = OrderedDict()
        self._cache_size = cache_size

    def new(self, owner: UUID) -> bytes:
        """The key of a new Cliente, made once (a retried create gets the same)."""
        key = self._cache.get(owner)
        if key is None:
            key = AESGCM.generate_key(KEY_BYTES * 8)
            self._keep(owner, key)
        return key

    def for_sealing(self, owner: UUID) -> bytes | None:
        """The key to seal ``owner``'s values with; None for a Cliente that has none yet
        (created before keys existed: its values stay in clear until encrypted).

        Raises KeyDestroyed for an erased Cliente.
        """
        key = self._cache.get(owner)
        if key is not None:
            self._cache.move_to_end(owner)
            return key
        found = self._store.select_data_keys([owner])
        if owner not in found:
            return None
        key = found[owner]
        if key is None:
            raise KeyDestroyed(f"the data key of {owner} was destroyed: its Cliente was erased")
        self._keep(owner, key)
        return key

    def for_unsealing(self, owners: Collection[UUID]) -> Keys:
        """The keys of ``owners`` as the store has them now (plus those made here and not
        yet recorded, which only this process knows)."""
        found: dict[UUID, bytes | None] = dict(self._store.select_data_keys(owners))
        for owner in owners:
            if owner not in found and owner in self._cache:
                found[owner] = self._cache[owner]
        return found

    def forget(self, owner: UUID) -> None:
        self._cache.pop(owner, None)

    def _keep(self, owner: UUID, key: bytes) -> None:
        self._cache[owner] = key
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


class SealingMapper(Mapper[UUID]):
    """The library's mapper, sealing the personal members of an event as it is encoded
    and unsealing them as it is decoded."""

    keys: KeyRing  # set by the application once its recorder exists

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        seal = SEALS.get(get_topic(type(domain_event)))
        if seal is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        owner = seal.owner_of(state, domain_event.originator_id)
        key = None if owner is None else self.keys.for_sealing(owner)
        if owner is not None and key is not None:
            sealed(
                state,
                seal,
                owner,
                key,
                bound_to(domain_event.originator_id, domain_event.originator_version),
            )
        carrier = object.__new__(type(domain_event))
        object.__setattr__(carrier, "__dict__", state)
        return super().to_stored_event(carrier)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        (domain_event,) = self.to_domain_events([stored_event])
        return domain_event

    def to_domain_events(
        self, stored_events: Sequence[StoredEvent], keys: Keys | None = None
    ) -> list[Any]:
        """The events of ``stored_events``, their keys read from the store in one go (or
        given: those of every owner the events have, as the store has them now)."""
        events = [super(SealingMapper, self).to_domain_event(s) for s in stored_events]
        if keys is None:
            owners = {owner for event in events if (owner := _owner(event)) is not None}
            keys = self.keys.for_unsealing(owners) if owners else {}
        for event in events:
            owner = _owner(event)
            if owner is None:
                continue
            if SEALED in vars(event):
                unsealed(
                    vars(event),
                    keys.get(owner),
                    bound_to(event.originator_id, event.originator_version),
                )
            elif keys.get(owner, b"") is None and isinstance(event, CLIENTE_EVENTS):
                vars(event)[ERASED] = True  # an event with nothing sealed of an erased Cliente
        return events


def sealed(state: dict[str, Any], seal: Seal, owner: UUID, key: bytes, bound: bytes) -> None:
    """Replaces ``seal``'s members of ``state`` with their sealed values, in place (a
    member they are within is copied first: it is the domain event's own)."""
    if seal.within:
        state[seal.within] = dict(state[seal.within])
    holder = state[seal.within] if seal.within else state
    names = [name for name in seal.names if name in holder]
    values = {name: holder.pop(name) for name in names}
    nonce = os.urandom(NONCE)
    box = AESGCM(key).encrypt(nonce, msgspec.json.encode(values), bound)
    state[SEALED] = {
        "key": str(owner),
        "in": seal.within,
        "names": names,
        "box": base64.b64encode(nonce + box).decode(),
    }


def unsealed(state: dict[str, Any], key: bytes | None, bound: bytes) -> None:
    """Puts the sealed values of ``state`` back in place; with no key (destroyed), each
    personal member becomes None and the event is marked erased."""
    found = state.pop(SEALED)
    holder = state[found["in"]] if found["in"] else state
    if key is None:
        holder.update(dict.fromkeys(found["names"]))
        state[ERASED] = True
        return
    raw = base64.b64decode(found["box"])
    holder.update(msgspec.json.decode(AESGCM(key).decrypt(raw[:NONCE], raw[NONCE:], bound)))


def in_clear(state: Mapping[str, Any], topic: str) -> bool:
    """Whether a stored event's state holds personal values in clear: it has some, and
    they were not sealed (stored before keys existed)."""
    seal = SEALS.get(topic)
    if seal is None or SEALED in state:
        return False
    holder = state.get(seal.within, {}) if seal.within else state
    if seal.owner is not None and state.get(seal.owner) is None:
        return False  # an answer that shows no Cliente
    return any(holder.get(name) is not None for name in seal.names)


def key_changes(events: Iterable[Any], keys: KeyRing) -> KeyChanges:
    """The keys a batch of events makes (its new Clientes') and destroys (its erasures')."""
    new: dict[UUID, bytes] = {}
    destroyed: list[UUID] = []
    for event in events:
        if isinstance(event, ClienteCreated):
            new[event.originator_id] = keys.new(event.originator_id)
        elif isinstance(event, ClienteErased):
            destroyed.append(event.originator_id)
    return KeyChanges(new, destroyed)


def _owner(event: Any) -> UUID | None:
    """Whose key an event's personal values are sealed with; None if it holds none."""
    found = vars(event).get(SEALED)
    if found is not None:
        return UUID(found["key"])
    if isinstance(event, CLIENTE_EVENTS):
        return UUID(str(event.originator_id))  # a Cliente's event: its own key says if erased
    return None


def bound_to(originator_id: Any, originator_version: int) -> bytes:
    """What a sealed value is bound to: its event's aggregate id and version."""
    return UUID(str(originator_id)).bytes + int(originator_version).to_bytes(8, "big")
