"""The service against a plain CRUD baseline, side by side, in one run.

    .venv/bin/python -m bench.run [--quick] [--out DIR] [--sizes 100000,1000000]
                                  [--connections 1,8,32] [--seconds 8] [--workers 1]

In a PostgreSQL database of its own (created, then dropped), for each size in
turn: seeds that many vigente Clientes straight into the event store, rebuilds
the read table with ``clientes replay`` and fills the baseline's table
(bench/crud.py) with the same rows; starts both servers on the same uvicorn
settings; and drives each scenario (bench/scenarios.py) at each number of
connections with wrk, service and baseline one after the other. Writes
DIR/benchmarks.md, DIR/benchmarks.json and a chart per scenario in
DIR/benchmarks/ (DIR: docs/ by default).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from api.http.auth import mint_token
from api.settings import Settings
from bench import report, seed, servers, tables
from bench.database import conninfo, fresh_database, server_version, wait_until_idle
from bench.lag import LagWatch
from bench.load import Load, Measured, run_wrk
from bench.scenarios import BASELINE, SCENARIOS, SERVICE, Dataset, runs_at
from stores import store_from_url

SECRET = "bench-" + "s" * 58
PROJECTOR = "service's projector"
WARM_UP_SECONDS = 2


@dataclass
class Options:
    sizes: list[int]
    connections: list[int]
    seconds: float
    workers: int
    out: Path
    quick: bool

    def estimate_seconds(self) -> float:
        """Roughly how long the run takes on a 2-core machine: its wrk runs, and for each
        size seeding (25,000 Clientes/s), replaying (40,000 events/s, two per Cliente),
        reading the events alone (100,000 events/s) and copying to the baseline, then
        starting and warming up both servers."""
        runs = 0
        for index in range(len(self.sizes)):
            for scenario in SCENARIOS:
                if runs_at(scenario, index, len(self.sizes)):
                    conns = scenario.connections or self.connections
                    runs += len(conns) * len(scenario.targets)
        filling = sum(size * (2 / 40_000 + 2 / 100_000 + 1 / 50_000) for size in self.sizes)
        seeding = max(self.sizes) / 25_000
        servers_up = len(self.sizes) * (2 * WARM_UP_SECONDS + 10)
        return runs * (self.seconds + 1.5) + filling + seeding + servers_up


@dataclass
class Run:
    """Everything a run measured, for the report."""

    options: Options
    measured: list[Measured] = field(default_factory=list)
    replays: list[tuple[int, tables.Replayed]] = field(default_factory=list)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    lag_ms: dict[int, list[float]] = field(default_factory=dict)  # connections -> sorted lags
    seconds: float = 0.0


def fill(run: Run, url: str, size: int, workdir: Path) -> Dataset:
    """Seeds the store up to ``size`` vigente Clientes, replays, and fills the baseline."""
    seed.open_store(url).close()
    started = time.monotonic()
    added = seed.add_clientes(url, max(0, size - seed.vigentes(url)))
    replayed = tables.replay(url, servers.service_env(url, SECRET))
    tables.fill_baseline(url)
    print(
        f"{size:,} vigente: seeded {len(added):,} in {time.monotonic() - started:.0f} s; "
        f"replay {replayed.stored:,} stored events ({replayed.read:,} read) "
        f"at {replayed.events_per_s:,.0f} events/s ({replayed.of_reading:.2f} of reading "
        "and decoding them alone)",
        flush=True,
    )
    run.replays.append((size, replayed))
    return Dataset(size=seed.vigentes(url), last_id=added[-1] if added else size, workdir=workdir)


def measure_size(run: Run, url: str, index: int, workdir: Path) -> None:
    """One size: fill the stores, start both servers and run the size's scenarios."""
    options = run.options
    data = fill(run, url, options.sizes[index], workdir)
    settings = Settings(store=store_from_url(url), jwt_secret=SECRET)
    token = mint_token(settings, "bench", "clientes:read clientes:write", 24 * 3600)
    with (
        servers.service(url, SECRET, options.workers) as service,
        servers.baseline(url, SECRET, options.workers) as baseline,
    ):
        urls = {SERVICE: service.url, BASELINE: baseline.url}
        for target_url in urls.values():  # the first requests of a process cost more
            warm_up = Load("cliente.lua", (str(data.last_id),))
            seconds = min(WARM_UP_SECONDS, options.seconds)
            run_wrk(target_url, token, warm_up, Measured("warm-up", "", 8, data.size), seconds)
        for scenario in (s for s in SCENARIOS if runs_at(s, index, len(options.sizes))):
            for connections in scenario.connections or options.connections:
                for target in scenario.targets:
                    measured = Measured(scenario.name, target, connections, data.size)
                    load = scenario.load(data)  # its own codes: a create never meets a 409
                    lag = scenario.lag and target == SERVICE
                    wait_until_idle(url)
                    with LagWatch(conninfo(url)).watching() if lag else nullcontext() as watch:
                        run_wrk(urls[target], token, load, measured, options.seconds)
                    if watch is not None:
                        run.lag_ms[connections] = watch.lags_ms()
                    run.measured.append(measured)
                    print(report.line(measured), flush=True)
        processes = ((SERVICE, service.api), (PROJECTOR, service.projector), (BASELINE, baseline))
        for name, process in processes:
            run.peak_rss_mb[name] = max(run.peak_rss_mb.get(name, 0), process.peak_rss_mb())


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 10,000 Clientes, 32 connections, 2 s per measurement",
    )
    parser.add_argument(
        "--sizes", help="vigente Clientes, comma-separated (default 100000,1000000)"
    )
    parser.add_argument("--connections", help="comma-separated (default 1,8,32)")
    parser.add_argument("--seconds", type=float, help="per measurement (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of each server")
    parser.add_argument("--out", type=Path, default=servers.ROOT / "docs", help="default docs/")
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        sizes=sorted(_numbers(args.sizes or ("10000" if quick else "100000,1000000"))),
        connections=_numbers(args.connections or ("32" if quick else "1,8,32")),
        seconds=args.seconds or (2 if quick else 8),
        workers=args.workers,
        out=args.out,
        quick=quick,
    )


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")
    print(f"expected to take about {options.estimate_seconds() / 60:.0f} min", flush=True)
    run = Run(options)
    started = time.monotonic()
    with fresh_database() as url, tempfile.TemporaryDirectory() as workdir:
        postgres = server_version(url)
        for index in range(len(options.sizes)):
            measure_size(run, url, index, Path(workdir))
    run.seconds = time.monotonic() - started
    written = report.write(run, postgres)
    print(f"took {run.seconds / 60:.1f} min; written to {written}")


if __name__ == "__main__":
    main()
