"""clientes tail: a subscriber of the Redis stream, as a member of a consumer group.

The worked example of a downstream consumer (README, "Subscribing to events");
the member itself is in group_member.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading

import redis

from api.cli.group_member import BLOCK_MS, GroupMember
from api.settings import ConfigError, Settings


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
        help="this member's name; reuse it to take back what it left unacknowledged "
        "(default: HOSTNAME-PID, this host's name and this process's id)",
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


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(with_secret=False)
    if settings.redis_url is None:
        raise ConfigError("clientes tail needs CLIENTES_REDIS_URL")
    consumer = args.consumer or own_name()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    client = redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=BLOCK_MS / 1000 + 5,
        client_name=f"clientes-tail:{consumer}",
    )
    with client:
        member = GroupMember(
            client,
            settings.redis_stream,
            args.group,
            consumer,
            count=args.count,
            claim_idle_ms=int(args.claim_idle * 1000),
        )
        try:
            member.run(args.start, stop, limit=args.max)
        except redis.ResponseError as error:
            print(f"clientes tail: {error}", file=sys.stderr)
            return 1
    return 0


def own_name() -> str:
    """The member name of a tail not given one: unique to this process on this host."""
    return f"{socket.gethostname()}-{os.getpid()}"


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
