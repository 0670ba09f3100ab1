"""HTTP throughput of the service against the bare baseline, measured in one run.

    .venv/bin/python -m bench.run [--store sqlite|postgres|both] [--seconds 5] [--workers 1]

Starts the service (`clientes serve`) on each store and the baseline (bench/baseline.py)
on the same server stack, drives each with the same requests, and prints
requests/s, latencies and the ratio service / baseline. Results are also
written to bench/results/http-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg

from api.auth import mint_token
from api.settings import Settings, store_from_url
from api.stores import Store
from api.stores.postgres import PostgresStore
from bench.load import RequestFactory, Result, run

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "CLIENTES_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-" + "s" * 58
PRELOAD = 2000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/clientes", timeout=1)
                break
            except OSError as error:
                if getattr(error, "code", None):  # an HTTP status: it answers
                    break
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def store(kind: str, workdir: Path) -> Iterator[Store]:
    if kind == "sqlite":
        yield store_from_url(f"sqlite:///{workdir}/bench.sqlite3")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conninfo = cast(PostgresStore, store_from_url(POSTGRES_URL)).conninfo
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield store_from_url(POSTGRES_URL, schema)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def body(n: int) -> bytes:
    return json.dumps(
        {
            "codigoCliente": f"B-{uuid.uuid4().hex[:12]}-{n}",
            "nombre": f"Cliente de prueba {n}",
            "tipoCliente": "EMPRESA",
            "tipoDocumento": "RUC",
            "numeroDocumento": "20123456789",
            "email": f"c{n}@example.com",
        }
    ).encode()


def scenarios(rows: int) -> dict[str, RequestFactory]:
    return {
        "POST /api/clientes": lambda n: ("POST", "/api/clientes", body(n)),
        "GET /api/clientes/{id}": lambda n: (
            "GET",
            f"/api/clientes/{random.randint(1, rows)}",
            b"",
        ),
        "GET /api/clientes?page": lambda n: (
            "GET",
            f"/api/clientes?page={random.randint(0, rows // 20 - 1)}&size=20",
            b"",
        ),
        "PATCH /api/clientes/{id}": lambda n: (
            "PATCH",
            f"/api/clientes/{random.randint(1, rows)}",
            json.dumps({"direccion": f"Av. Benchmark {n}"}).encode(),
        ),
    }


async def preload(url: str, token: str) -> None:
    await run(
        "preload",
        url,
        lambda n: ("POST", "/api/clientes", body(n)),
        token=token,
        connections=8,
        seconds=600,
        stop_after=PRELOAD,
    )


def measure(url: str, token: str, seconds: float, connections: int) -> list[Result]:
    asyncio.run(preload(url, token))
    return [
        asyncio.run(run(name, url, make, token=token, connections=connections, seconds=seconds))
        for name, make in scenarios(PRELOAD).items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    workers = ["--workers", str(args.workers)]
    report: dict[str, list[dict[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        baseline_command = [
            str(BIN / "uvicorn"),
            "bench.baseline:create_app",
            "--factory",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            *workers,
        ]
        with serving(baseline_command, dict(os.environ, PYTHONPATH=str(ROOT)), ROOT) as url:
            baseline = measure(url, "", args.seconds, args.connections)
        report["baseline"] = [r.summary() for r in baseline]
        for kind in kinds:
            with store(kind, workdir) as chosen:
                env = dict(
                    os.environ,
                    CLIENTES_DATABASE_URL=chosen.url,
                    CLIENTES_DATABASE_SCHEMA=chosen.schema,
                    CLIENTES_JWT_SECRET=SECRET,
                )
                token = mint_token(
                    Settings(store=chosen, jwt_secret=SECRET),
                    "bench",
                    "clientes:read clientes:write",
                    3600,
                )
                with serving([str(BIN / "clientes"), "serve", *workers], env, workdir) as url:
                    results = measure(url, token, args.seconds, args.connections)
            report[kind] = [r.summary() for r in results]
            print_table(kind, results, baseline)
    print()
    write_report("http", report)


def write_report(kind: str, report: dict[str, Any]) -> None:
    """Writes a run's figures to bench/results/<kind>-<time>.json, and says where."""
    out = ROOT / "bench" / "results" / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


def print_table(kind: str, results: list[Result], baseline: list[Result]) -> None:
    print(f"\n{kind}: service vs bare baseline (same server stack, same requests)")
    columns = ("req/s", "baseline", "ratio", "p50 ms", "p99 ms")
    print(f"{'scenario':28} " + " ".join(f"{c:>9}" for c in columns) + "  statuses")
    for mine, base in zip(results, baseline, strict=True):
        print(
            f"{mine.name:28} {mine.rate:9.0f} {base.rate:9.0f} {mine.rate / base.rate:9.2f} "
            f"{mine.percentile(0.5):9.2f} {mine.percentile(0.99):9.2f}  {mine.statuses}"
        )


if __name__ == "__main__":
    main()
