"""clientes forget-keys: delete the answers kept for idempotency keys past their 24 hours."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC, datetime
from typing import cast

from api.bootstrap import prepare_store
from api.settings import Settings
from commands import Clientes
from commands.forgetting import forget_expired_keys
from commands.idempotency import KEPT_HOURS, CountsKeptAnswers, hour_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--every",
        type=_seconds,
        metavar="SECONDS",
        help="run again every SECONDS until stopped (SIGTERM, Ctrl-C), as compose.yaml does daily",
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(with_secret=False)
    prepare_store(settings.store)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while True:
        print(f"Deleted {forget(settings):,} expired answer(s) of idempotency keys", flush=True)
        if args.every is None or stop.wait(args.every):
            return 0


def forget(settings: Settings) -> int:
    """Deletes the expired answers, and the counts no quota reads any more; how many answers."""
    clientes = Clientes(env=settings.store.env)
    now = datetime.now(UTC)
    try:
        deleted = forget_expired_keys(
            clientes.recorder, clientes.mapper, settings.store.event_deleter(clientes.recorder), now
        )
        # The counts of answers that no quota counts any more (commands/idempotency.py).
        counts = cast(CountsKeptAnswers, clientes.recorder)
        counts.forget_kept_answers(hour_of(now) - KEPT_HOURS - 1)
    finally:
        clientes.close()
    return deleted


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {raw!r}")
    return seconds
