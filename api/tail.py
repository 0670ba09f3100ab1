"""``clientes tail``: a subscriber of the Redis stream, as a member of a consumer group.

The worked example of a downstream consumer (README, "Subscribing to
events"). The members of a group share its entries: each entry is delivered
to one member and stays pending with it until acknowledged. A member
acknowledges only after handling the entry (here, printing it), so every
event is handled at least once; an entry left pending by a member that died
is claimed by another once it has been idle long enough, and a member that
restarts under the same name first takes back its own pending entries.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any

import msgspec
import redis

from api.settings import Settings, SettingsError
from projections.envelopes import Envelope
from projections.publisher import ENVELOPE_FIELD, entry_id

BLOCK_MS = 500  # how long a read waits for new entries; bounds how late a stop is noticed
MAX_BACKOFF = 5.0

Entry = tuple[str, dict[str, str] | None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", default="clientes-tail", help="consumer group, made if missing")
    parser.add_argument(
        "--from",
        dest="start",
        type=_natural,
        default=0,
        metavar="POSITION",
        help="a group made now delivers the events after POSITION (default 0: all kept)",
    )
    parser.add_argument(
        "--consumer",
        default=f"{socket.gethostname()}-{os.getpid()}",
        help="this member's name; reuse it to take back what it left unacknowledged",
    )
    parser.add_argument("--count", type=_positive, default=100, help="entries per read")
    parser.add_argument(
        "--claim-idle",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="claim entries pending this long with another member (default 60)",
    )
    parser.add_argument("--max", type=_positive, metavar="N", help="exit after N events")


def tail(args: argparse.Namespace) -> int:
    settings = Settings.from_env(with_secret=False)
    if settings.redis_url is None:
        raise SettingsError("clientes tail needs CLIENTES_REDIS_URL")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    client = redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=BLOCK_MS / 1000 + 5,
        client_name=f"clientes-tail:{args.consumer}",
    )
    with client:
        member = GroupMember(
            client,
            settings.redis_stream,
            args.group,
            args.consumer,
            count=args.count,
            claim_idle_ms=int(args.claim_idle * 1000),
        )
        try:
            member.run(args.start, stop, limit=args.max)
        except redis.ResponseError as error:
            print(f"clientes tail: {error}", file=sys.stderr)
            return 1
    return 0


class GroupMember:
    """Reads a stream through a consumer group and prints one line per event."""

    def __init__(
        self,
        client: redis.Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 100,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.count = count
        self.claim_idle_ms = claim_idle_ms
        self.handled = 0
        self._own_pending = True  # first take back what this member left unacknowledged
        self._claim_from = "0-0"

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


def _natural(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value
