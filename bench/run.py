"""The service against a plain CRUD baseline, side by side, in one run.

    .venv/bin/python -m bench.run [--quick] [--out DIR] [--sizes 100000,1000000]
                                  [--connections 1,8,32] [--seconds 8] [--blocks 1]
                                  [--pairs 5] [--min-requests 100] [--workers 1]
                                  [--scenarios SLUG,...]

In a PostgreSQL database of its own (created, then dropped), for each size in
turn: seeds that many vigente Clientes straight into the event store, rebuilds
the read table with ``clientes replay`` (timed against reading and decoding the
same events alone) and fills the baseline's table (bench/crud.py) with the same
rows; starts both servers together, on the same settings; and measures each
scenario (bench/scenarios.py) at each number of connections as bench/method.py
says. After the first size, it measures the projection lag under creates with
the service on 2 API workers. The run's JSON is kept in
DIR/benchmarks/runs/<UTC start>-<commit>.json, and DIR/benchmarks.md and the
charts are written from it alone (DIR: docs/ for a full run; a new temporary
folder for a --quick one, which is never the page).
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from bench import method, profile, provenance, report, seed, servers, tables
from bench.database import conninfo, fresh_database, wait_until_idle
from bench.lag import LagWatch, percentile
from bench.load import Measured, run_wrk
from bench.method import Endpoint
from bench.options import Options, parse, unlike_full
from bench.scenarios import BASELINE, SERVICE, Dataset, create, runs_at
from stores import store_from_url

SECRET = "bench-" + "s" * 58
LAG_CONNECTIONS = 32


def fill(run: dict[str, Any], url: str, redis_url: str, size: int, workdir: Path) -> Dataset:
    """Seeds the store up to ``size`` vigente Clientes, replays, and fills the baseline."""
    seed.open_store(url).close()
    started = time.monotonic()
    added = seed.add_clientes(url, max(0, size - seed.vigentes(url)))
    replayed = tables.replay(url, servers.service_env(url, SECRET, redis_url))
    tables.fill_baseline(url)
    print(
        f"{size:,} vigente: seeded {len(added):,} in {time.monotonic() - started:.0f} s; "
        f"replay {replayed.read:,} Cliente events at {replayed.events_per_s:,.0f}/s, "
        f"{replayed.of_reading:.2f} of reading and decoding them alone",
        flush=True,
    )
    run["replays"].append({"size": size, **replayed.as_dict()})
    return Dataset(size=seed.vigentes(url), last_id=added[-1] if added else size, workdir=workdir)


def measure_size(
    run: dict[str, Any], options: Options, url: str, redis_url: str, index: int, workdir: Path
) -> Dataset:
    """One size: fill the stores, start both servers and measure the size's cells."""
    data = fill(run, url, redis_url, options.sizes[index], workdir)
    token = _token(url)
    with (
        servers.service(url, SECRET, options.workers, redis_url) as service,
        servers.baseline(url, SECRET, options.workers) as baseline,
    ):
        postgres = partial(profile.postgres_pids, conninfo(url))
        groups = {"api": service.api.pids, "projector": service.projector.pids}
        endpoints = {
            SERVICE: Endpoint(service.url, profile.cpu_meter({**groups, "postgres": postgres})),
            BASELINE: Endpoint(
                baseline.url, profile.cpu_meter({"api": baseline.pids, "postgres": postgres})
            ),
        }
        for scenario in options.chosen():
            if not runs_at(scenario, index, len(options.sizes)):
                continue
            for connections in scenario.connections or options.connections:
                cell = method.measure_cell(
                    scenario,
                    data,
                    connections,
                    endpoints,
                    token,
                    options.plan,
                    lambda: wait_until_idle(url),
                )
                run["cells"].append(cell)
                print(_line(cell), flush=True)
        _peak(run, "service API", service.api)
        _peak(run, "service projector", service.projector)
        _peak(run, "baseline", baseline)
    return data


def measure_lag(
    run: dict[str, Any], options: Options, url: str, redis_url: str, data: Dataset
) -> None:
    """The projection lag under creates at 32 connections, the service on 2 API workers:
    every commit heard, none left out."""
    workers = options.lag_workers
    with servers.service(url, SECRET, workers, redis_url) as service:
        token = _token(url)
        warm = Measured("lag warm-up", SERVICE, LAG_CONNECTIONS, data.size)
        run_wrk(service.url, token, create(False)(data), warm, options.warm_up)
        lags: list[float] = []
        outcomes: list[str] = []
        unreached, windows = 0, 2 * options.blocks
        for _ in range(windows):
            wait_until_idle(url)
            measured = Measured("lag", SERVICE, LAG_CONNECTIONS, data.size)
            watch = LagWatch(conninfo(url))
            with watch.watching():
                run_wrk(service.url, token, create(False)(data), measured, options.seconds)
            lags += watch.lags_ms()
            unreached += watch.unreached()
            outcomes.append(measured.outcome)
        lags.sort()
        run["lag"] = {
            "connections": LAG_CONNECTIONS,
            "workers": workers,
            "windows": windows,
            "commits": len(lags) + unreached,
            "unreached": unreached,
            "p50_ms": round(percentile(lags, 0.5), 2),
            "p99_ms": round(percentile(lags, 0.99), 2),
            "max_ms": round(lags[-1], 2) if lags else 0.0,
            "outcome": next((o for o in outcomes if o != "ok"), "ok"),  # the creates'
        }
        _peak(run, f"service API, {workers} workers", service.api)
        _peak(run, f"service projector, {workers} API workers", service.projector)
    print(f"projection lag: {run['lag']}", flush=True)


def _token(url: str) -> str:
    settings = Settings(store=store_from_url(url), jwt_secret=SECRET)
    return mint_token(settings, "bench", f"{READ} {WRITE}", 24 * 3600)


def _peak(run: dict[str, Any], name: str, process: servers.Process) -> None:
    run["peak_rss_mb"][name] = round(max(run["peak_rss_mb"].get(name, 0), process.peak_rss_mb()), 1)


def _line(cell: dict[str, Any]) -> str:
    """One cell, for the console: each side's median req/s and p99."""
    parts = []
    for side in cell["sides"]:
        found = method.summary(cell, side)
        if found and found["outcome"] == "ok":
            parts.append(
                f"{side} {found['req_per_s']['median']:,.0f} req/s "
                f"p99 {found['p99_ms']['median']:.1f} ms"
            )
        else:
            parts.append(f"{side} {found['outcome'] if found else '-'}")
    return (
        f"{cell['scenario']:36} {cell['size']:>9,} {cell['connections']:>3} conn "
        f"{max(cell['window_s'].values()):>3} s: " + "; ".join(parts)
    )


def _stop(signum: int, _: object) -> NoReturn:
    """SIGTERM ends the run as Ctrl-C does: every server stopped, the database dropped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv, __doc__)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")
    signal.signal(signal.SIGTERM, _stop)
    print(f"expected to take about {options.estimate_seconds() / 60:.0f} min", flush=True)
    started = datetime.now(UTC)
    run: dict[str, Any] = {
        "format": 2,
        "started": started.replace(tzinfo=None).isoformat(timespec="seconds"),
        "options": {k: v for k, v in asdict(options).items() if k != "out"},
        "unlike_full": unlike_full(options),
        "calibration_ms": {"before": profile.calibrate()},
        "cells": [],
        "replays": [],
        "peak_rss_mb": {},
    }
    with (
        fresh_database() as url,
        servers.redis() as redis_url,
        tempfile.TemporaryDirectory() as workdir,
    ):
        run["provenance"] = {
            "code": provenance.code(),
            "stack": provenance.stack(),
            "postgres": provenance.postgres(url),
            "machine": provenance.machine(),
        }
        for index in range(len(options.sizes)):
            data = measure_size(run, options, url, redis_url, index, Path(workdir))
            if index == 0:
                measure_lag(run, options, url, redis_url, data)
    run["calibration_ms"]["after"] = profile.calibrate()
    run["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    written = report.write(run, options.out)
    print(f"took {run['seconds'] / 60:.1f} min; written to {written}")


if __name__ == "__main__":
    main()
