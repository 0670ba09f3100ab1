"""A member of a Redis consumer group, as ``clientes tail`` runs one.

The members of a group share its entries: each entry is delivered to one
member and stays pending with it until acknowledged. A member acknowledges
only after handling the entry (here, printing it), so every event is handled
at least once; an entry left pending by a member that died is claimed by
another once it has been idle long enough, and a member that restarts under
the same name first takes back its own pending entries.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import redis

from projections.envelopes import Envelope
from projections.publisher import ENVELOPE_FIELD, entry_id

BLOCK_MS = 500  # how long a read waits for new entries; bounds how late a stop is noticed
MAX_BACKOFF = 5.0

Entry = tuple[str, dict[str, str] | None]


@dataclass
class GroupMember:
    """Reads a stream through a consumer group and prints one line per event."""

    client: redis.Redis
    stream: str
    group: str
    consumer: str
    count: int = 100
    claim_idle_ms: int = 60_000
    handled: int = 0
    _own_pending: bool = True  # first take back what this member left unacknowledged
    _claim_from: str = "0-0"

    def run(self, start: int, stop: threading.Event, limit: int | None = None) -> None:
        """Handles entries until ``stop`` is set or ``limit`` events are handled.

        Rides out Redis outages: says so once, backs off (bounded), resumes.
        """
        joined, failing, backoff = False, False, 0.1
        while not stop.is_set() and (limit is None or self.handled < limit):
            want = self.count if limit is None else min(self.count, limit - self.handled)
            try:
                if not joined:
                    self.join(start)
                    joined = True
                self.handle(self.next_entries(want))
            except (redis.ConnectionError, redis.TimeoutError) as error:
                if not failing:
                    print(f"clientes tail: Redis unavailable, retrying: {error}", file=sys.stderr)
                    failing = True
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if failing:
                print("clientes tail: Redis is back", file=sys.stderr)
                failing, backoff = False, 0.1

    def join(self, start: int) -> None:
        """Makes the group at ``start`` if it is missing; an existing group keeps its place."""
        try:
            self.client.xgroup_create(self.stream, self.group, id=entry_id(start), mkstream=True)
        except redis.ResponseError as error:
            if not str(error).startswith("BUSYGROUP"):
                raise

    def next_entries(self, want: int) -> list[Entry]:
        """This member's own pending entries first, then others' stale ones, then new ones."""
        if self._own_pending:
            entries = self._read("0", want)
            if entries:
                return entries
            self._own_pending = False
        claimed = self._claim(want)
        return claimed or self._read(">", want, block=BLOCK_MS)

    def handle(self, entries: Sequence[Entry]) -> None:
        for entry, fields in entries:
            print(self.describe(entry, fields), flush=True)
            self.client.xack(self.stream, self.group, entry)
            self.handled += 1

    @staticmethod
    def describe(entry: str, fields: dict[str, str] | None) -> str:
        """One line per event: position, type, Cliente, version and actor."""
        raw = (fields or {}).get(ENVELOPE_FIELD)
        if raw is None:  # trimmed from the stream while it was pending
            return f"{entry} (no longer in the stream)"
        try:
            event = msgspec.json.decode(raw, type=Envelope)
        except msgspec.MsgspecError:
            return f"{entry} (not an envelope)"
        return (
            f"{event.position} {event.type} clienteId={event.cliente_id} "
            f"version={event.version} actor={event.actor}"
        )

    def _read(self, after: str, want: int, block: int | None = None) -> list[Entry]:
        reply: Any = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: after}, count=want, block=block
        )
        return [(entry, fields) for _, entries in reply or [] for entry, fields in entries]

    def _claim(self, want: int) -> list[Entry]:
        reply: Any = self.client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_from,
            count=want,
        )
        self._claim_from, claimed = reply[0], reply[1]
        return list(claimed)
