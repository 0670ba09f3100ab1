"""The replay's baseline: the events a replay reads, read and decoded alone.

    .venv/bin/python -m bench.reading DATABASE_URL

Reads the Cliente events of the store as ``clientes replay`` reads them (in
batches of the same size, through the library's recorder, the code index's
events left unread, each decoded by the store's mapper), writes nothing, and
prints how long that took. A process of its own, its cycle collector set as the
replay sets it, so the two are timed alike.
"""

from __future__ import annotations

import gc
import sys
import time

from api.cli.replay import GC_THRESHOLD
from bench.seed import open_store
from commands import Clientes
from projections.clientes import ClientesProjection
from projections.replay import BATCH_SIZE
from projections.runner import decoded

MARK = "Read and decoded"


def read_all(clientes: Clientes) -> tuple[int, float]:
    """The Cliente events read and decoded, as a replay reads them, and the seconds
    that took."""
    recorder = clientes.recorder
    started = time.monotonic()
    head = recorder.max_notification_id() or 0
    position, events = 0, 0
    while notifications := recorder.select_notifications(
        start=position,
        limit=BATCH_SIZE,
        stop=head,
        topics=ClientesProjection.topics,
        inclusive_of_start=False,
    ):
        events += len(decoded(notifications, clientes.mapper, clientes.name))
        position = notifications[-1].id
    return events, time.monotonic() - started


def main() -> None:
    clientes = open_store(sys.argv[1])
    try:
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD)
        events, seconds = read_all(clientes)
    finally:
        clientes.close()
    print(f"{MARK} {events:,} events in {seconds:.3f} s")


if __name__ == "__main__":
    main()
