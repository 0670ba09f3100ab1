"""Speed of finding Clientes in a large read table, through the list's own statements.

    .venv/bin/python -m bench.search [--clientes 1000000] [--store postgres|sqlite]

Loads synthetic vigente Clientes (names with accents, every type of document)
straight into a fresh read table through the projection's batch writes, then
times a page of each search and sort (the median of a few, each with its
total), and prints milliseconds per page. Writes bench/results/search-<time>.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking

from bench.replay import store, write_report
from commands.validation import TipoCliente, TipoDocumento
from projections import ClienteRow, ClientesView, open_view
from projections.rows import RowChanges
from projections.search import ClienteQuery, SortKey

BATCH = 5_000
NOMBRES = ["Rosa", "José", "María", "Ángel", "Iñigo", "Lucía", "Raúl", "Sofía", "Juan", "Inés"]
APELLIDOS = ["Huamán", "Núñez", "Quispe", "Ñahui", "Mamani", "Pérez", "Condori", "Gómez"]
TIPOS: list[tuple[TipoCliente, TipoDocumento]] = [
    ("PERSONA", "DNI"),
    ("EMPRESA", "RUC"),
    ("PERSONA", "CE"),
    ("OTRO", "OTRO"),
]
SEARCHES = {
    "q=rare word (selective)": ClienteQuery(text="zuñiga"),
    "q=huaman (1 in 8)": ClienteQuery(text="huaman"),
    "q=code prefix": ClienteQuery(text="CLI-00012"),
    "q=number prefix": ClienteQuery(text="2000012"),
    "codigoCliente": ClienteQuery(codigo_cliente="cli-0004321"),
    "numeroDocumento": ClienteQuery(numero_documento="40004320"),
    "tipoDocumento=CE (1 in 4)": ClienteQuery(tipo_documento="CE"),
    "q=nunez&tipoCliente=EMPRESA": ClienteQuery(text="nunez", tipo_cliente="EMPRESA"),
    "sort=nombre": ClienteQuery(sort=(SortKey("nombre"),)),
    "sort=nombre,desc": ClienteQuery(sort=(SortKey("nombre", True),)),
    "sort=fechaModificacion,desc": ClienteQuery(sort=(SortKey("fecha_modificacion", True),)),
    "q=quispe&sort=nombre": ClienteQuery(text="quispe", sort=(SortKey("nombre"),)),
    "unfiltered, by id": ClienteQuery(),
}


def cliente(n: int, rng: random.Random, start: datetime) -> ClienteRow:
    tipo_cliente, tipo_documento = TIPOS[n % len(TIPOS)]
    numero = {
        "DNI": f"4{n:07d}",
        "RUC": f"20{n:09d}",
        "CE": f"CE{n:09d}",
        "OTRO": f"X-{n}",
    }[tipo_documento]
    nombre = f"{rng.choice(NOMBRES)} {rng.choice(APELLIDOS)} {rng.choice(APELLIDOS)}"
    if n % 100_000 == 7:
        nombre += " Zúñiga"
    at = start + timedelta(seconds=n)
    return ClienteRow(
        id=n,
        codigo_cliente=f"CLI-{n:07d}",
        nombre=nombre,
        tipo_cliente=tipo_cliente,
        tipo_documento=tipo_documento,
        numero_documento=numero,
        version=1,
        fecha_creacion=at,
        fecha_modificacion=at + timedelta(seconds=rng.randrange(10**6)),
    )


def load(view: ClientesView, total: int) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for first in range(1, total + 1, BATCH):
        changes = RowChanges()
        for n in range(first, min(first + BATCH, total + 1)):
            changes.add(cliente(n, rng, start))
        view.save_changes(changes, Tracking("bench", first), since=first)


def timed(view: ClientesView, query: ClienteQuery, runs: int = 5) -> tuple[float, int]:
    """The median milliseconds of a page of 20 (from the middle of the first 10 pages)."""
    times, total = [], 0
    for run in range(runs):
        started = time.perf_counter()
        _, total = view.page(20 * (run % 10), 20, query)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clientes", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    workdir = Path(f"/tmp/clientes-bench-{uuid.uuid4().hex[:8]}")
    workdir.mkdir()
    report: dict[str, Any] = {"store": args.store, "clientes": args.clientes}
    with store(args.store, workdir) as chosen:
        view = open_view(chosen.env)
        try:
            started = time.perf_counter()
            load(view, args.clientes)
            print(f"loaded {args.clientes:,} Clientes in {time.perf_counter() - started:.0f} s")
            view.analyze()
            for name, query in SEARCHES.items():
                ms, total = timed(view, query)
                print(f"{name:32} {ms:8.1f} ms  ({total:,} found)")
                report[name] = {"ms": round(ms, 2), "found": total}
        finally:
            view.close()
    write_report("search", report)


if __name__ == "__main__":
    main()
