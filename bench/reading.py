"""The replay's baseline: the events a replay reads, read and decoded alone.

    .venv/bin/python -m bench.reading DATABASE_URL

Reads the Cliente events of the store as ``clientes replay`` reads them (in
batches of the same size, through the library's recorder, the code index's
events left unread, each decoded by the store's mapper), writes nothing, and
prints how long that took. A process of its own, its cycle collector set as the
replay sets it, so the two are timed alike.
"""

from __future__ import annotations

import sys
import time

from api.cli.replay import spare_the_collector
from bench.seed import open_store
from commands import Clientes
from projections.clientes import ClientesProjection
from projections.replay import BATCH_SIZE, read_batch

MARK = "Read and decoded"


def read_all(clientes: Clientes) -> tuple[int, float]:
    """The Cliente events read and decoded, as a replay reads them, and the seconds
    that took."""
    started = time.monotonic()
    head = clientes.recorder.max_notification_id() or 0
    position, events = 0, 0
    while batch := read_batch(
        clientes.recorder,
        clientes.mapper,
        clientes.name,
        position,
        BATCH_SIZE,
        head,
        ClientesProjection.topics,
    ):
        events += len(batch)
        position = batch[-1][1].notification_id
    return events, time.monotonic() - started


def main() -> None:
    clientes = open_store(sys.argv[1])
    try:
        spare_the_collector()
        events, seconds = read_all(clientes)
    finally:
        clientes.close()
    print(f"{MARK} {events:,} events in {seconds:.3f} s")


if __name__ == "__main__":
    main()
