"""Speed of `clientes replay` against bare baselines, measured in one run.

    .venv/bin/python -m bench.replay [--events 1000000] [--store postgres|sqlite]

Stores a synthetic history (creates, then updates, then deactivations) straight
into a fresh event store, then measures, on the same events:
  - reading and decoding the events a replay reads, and nothing else (the ceiling,
    bench/reading.py);
  - a straightforward projection, one transaction per event (on a sample);
  - the replay: rebuild into a fresh table and swap it in.
Prints events/s and the ratios, and writes bench/results/replay-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking

from api.bootstrap import prepare_store
from bench.database import SERVER_URL, conninfo
from bench.reading import read_all
from bench.servers import ROOT
from commands import Cliente, Clientes, validate
from projections import ClientesProjection, open_view
from projections.replay import Replay
from stores import Store, store_from_url

CHUNK = 1_000


def synthetic_history(clientes: Clientes, total: int) -> None:
    """``total`` events: 60% creates, then 30% updates, then 10% deactivations."""
    creates, updates = int(total * 0.6), int(total * 0.3)
    deactivations = total - creates - updates
    aggregates: dict[int, Cliente] = {}
    pending: list[Any] = []

    def flush(force: bool = False) -> None:
        if pending and (force or len(pending) >= CHUNK):
            clientes.recorder.insert_events([clientes.mapper.to_stored_event(e) for e in pending])
            pending.clear()

    for n in range(1, creates + 1):
        datos = validate(
            {
                "codigo_cliente": f"BENCH-{n}",
                "nombre": f"Cliente {n}",
                "tipo_cliente": "EMPRESA",
                "tipo_documento": "RUC",
                "numero_documento": "20123456789",
            }
        )
        aggregates[n] = Cliente.register(n, datos, "bench")
        pending += aggregates[n].collect_events()
        flush()
    for n in range(updates):
        cliente = aggregates[random.randint(1, creates)]
        changed = validate({**_fields(cliente), "direccion": f"Av. Replay {n}"})
        cliente.update(changed, "bench")
        pending += cliente.collect_events()
        flush()
    for cliente_id in random.sample(range(1, creates + 1), deactivations):
        aggregates[cliente_id].deactivate("bench")
        pending += aggregates[cliente_id].collect_events()
        flush()
    flush(force=True)


def _fields(cliente: Cliente) -> dict[str, Any]:
    return {name: getattr(cliente.datos, name) for name in cliente.datos.__struct_fields__}


def one_transaction_per_event(clientes: Clientes, chosen: Store, sample: int) -> float:
    view = open_view(chosen.env, table_name="clientes_naive")
    view.reset()
    projection = ClientesProjection(view)
    started = time.perf_counter()
    for n in clientes.recorder.select_notifications(start=None, limit=sample):
        projection.process_event(clientes.mapper.to_domain_event(n), Tracking(clientes.name, n.id))
    rate = sample / (time.perf_counter() - started)
    view.drop()
    view.close()
    return rate


@contextmanager
def store(kind: str, workdir: Path) -> Iterator[Store]:
    """A fresh store of ``kind``: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield store_from_url(f"sqlite:///{workdir}/bench.sqlite3")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(SERVER_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield store_from_url(SERVER_URL, schema)
    finally:
        with psycopg.connect(conninfo(SERVER_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def opened(chosen: Store) -> Iterator[Clientes]:
    prepare_store(chosen)
    clientes = Clientes(env=chosen.env)
    try:
        yield clientes
    finally:
        clientes.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--sample", type=int, default=5_000, help="events for the per-event baseline"
    )
    args = parser.parse_args()
    workdir = Path(f"/tmp/clientes-bench-{uuid.uuid4().hex[:8]}")
    workdir.mkdir()
    with store(args.store, workdir) as chosen, opened(chosen) as clientes:
        started = time.perf_counter()
        synthetic_history(clientes, args.events)
        print(f"stored {args.events:,} events in {time.perf_counter() - started:.0f} s")
        events, seconds = read_all(clientes)
        ceiling = events / seconds
        naive = one_transaction_per_event(clientes, chosen, min(args.sample, args.events))
        live = open_view(chosen.env)
        scratch = open_view(chosen.env, table_name="clientes_rebuild")
        result = Replay(clientes.recorder, clientes.mapper, clientes.name, live, scratch).rebuild()
        live.close()
        scratch.close()
    report = {
        "store": args.store,
        "events": result.events,
        "replay_events_per_s": round(result.rate),
        "read_and_decode_only_events_per_s": round(ceiling),
        "one_transaction_per_event_events_per_s": round(naive),
        "replay_vs_read_only": round(result.rate / ceiling, 2),
        "replay_vs_one_transaction_per_event": round(result.rate / naive, 1),
    }
    for key, value in report.items():
        print(f"{key:42} {value}")
    write_report("replay", report)


def write_report(kind: str, report: dict[str, Any]) -> None:
    """Writes a run's figures to bench/results/<kind>-<time>.json, and says where."""
    out = ROOT / "bench" / "results" / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
