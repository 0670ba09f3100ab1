"""What a run is asked to do: its options, ``make bench``'s defaults, and how long
a run of them takes."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import method
from bench.method import Plan
from bench.scenarios import BASELINE, Scenario, by_slug, runs_at
from bench.servers import ROOT

# Per wrk run, besides its window: its start, the probe, the wait for an idle database
# (measured: a quick run's 111 windows of 1 s took 144 s with its seeding and servers).
OVERHEAD_S = 0.4
# The baseline's list, for the estimate: about 3 pages a second at 1,000,000 Clientes
# (count(*) and OFFSET read the table), faster as the table is smaller.
BASELINE_PAGES_AT_1M = 3.0


@dataclass
class Options:
    sizes: list[int]
    connections: list[int]
    seconds: int
    warm_up: int
    blocks: int
    pairs: int
    min_requests: int
    workers: int
    lag_workers: int
    out: Path
    quick: bool
    scenarios: str

    @property
    def plan(self) -> Plan:
        return Plan(self.seconds, self.warm_up, self.blocks, self.pairs, self.min_requests)

    def chosen(self) -> tuple[Scenario, ...]:
        return by_slug(self.scenarios)

    def estimate_seconds(self) -> float:
        """How long the run takes on a 2-core machine: its windows (a slow cell's as the
        baseline's list would need them), and for each size seeding (25,000 Clientes/s),
        replaying (20,000 events/s, two per Cliente), reading the events alone (100,000
        events/s) and copying to the baseline, and starting the servers."""
        total = 0.0
        for index, size in enumerate(self.sizes):
            for scenario in self.chosen():
                if not runs_at(scenario, index, len(self.sizes)):
                    continue
                per_side = self.pairs if scenario.pairs else 2 * self.blocks
                for conns in scenario.connections or self.connections:
                    for side in scenario.sides:
                        rate = self._guessed_rate(scenario, side.name, size)
                        window = method.window(self.plan, rate, conns)
                        total += self.warm_up + OVERHEAD_S
                        total += per_side * (window + OVERHEAD_S)
            total += size * (2 / 20_000 + 2 / 100_000 + 1 / 50_000) + 20
        total += max(self.sizes) / 25_000
        total += 2 * self.blocks * (self.seconds + OVERHEAD_S) + self.warm_up + 20  # the lag
        return total + 2 * 5  # the calibrations

    @staticmethod
    def _guessed_rate(scenario: Scenario, side: str, size: int) -> float:
        """The baseline's list's pages a second; 0 (the run's seconds) for the rest."""
        if side == BASELINE and scenario.name.startswith("list"):
            return BASELINE_PAGES_AT_1M * 1_000_000 / size
        return 0.0


def parse(argv: list[str] | None = None, description: str | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a check of the harness: 10,000 Clientes, 1 and 32 connections, short windows",
    )
    parser.add_argument(
        "--sizes", help="vigente Clientes, comma-separated (default 100000,1000000)"
    )
    parser.add_argument("--connections", help="comma-separated (default 1,8,32)")
    parser.add_argument("--seconds", type=int, help="the shortest window (default 8)")
    parser.add_argument("--warm-up", type=int, help="seconds of each side's warm-up (default 2)")
    parser.add_argument("--blocks", type=int, default=1, help="ABBA blocks per cell (default 1)")
    parser.add_argument("--pairs", type=int, help="Idempotency-Key pairs (default 5)")
    parser.add_argument("--min-requests", type=int, help="per sample (default 100)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of each server")
    parser.add_argument("--lag-workers", type=int, default=2, help="API workers for the lag")
    parser.add_argument("--scenarios", default="", help="only these, by slug (default all)")
    parser.add_argument("--out", type=Path, help="default docs/ (a temporary folder if --quick)")
    args = parser.parse_args(argv)
    for name in ("blocks", "pairs", "seconds", "warm_up", "min_requests", "workers"):
        if (value := getattr(args, name)) is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more, not {value}")
    quick = args.quick
    out = args.out or (Path(tempfile.mkdtemp(prefix="clientes-bench-")) if quick else ROOT / "docs")
    return Options(
        sizes=sorted(_numbers(args.sizes or ("10000" if quick else "100000,1000000"))),
        connections=_numbers(args.connections or ("1,32" if quick else "1,8,32")),
        seconds=args.seconds or (1 if quick else 8),
        warm_up=args.warm_up or (1 if quick else 2),
        blocks=args.blocks,
        pairs=args.pairs or (2 if quick else 5),
        min_requests=args.min_requests or (20 if quick else 100),
        workers=args.workers,
        lag_workers=args.lag_workers,
        out=out,
        quick=quick,
        scenarios=args.scenarios,
    )


def unlike_full(options: Options) -> dict[str, tuple[Any, Any]]:
    """The options in which the run differs from ``make bench``'s, with ``make bench``'s."""
    full = asdict(parse([]))
    return {
        key: (value, full[key])
        for key, value in asdict(options).items()
        if key not in ("out", "quick") and value != full[key]
    }


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]
