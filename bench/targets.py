"""The targets the run is held to, each met, missed, or not measured by this run.

Ratios are to the baseline in the same run, on PostgreSQL, at 32 connections
(the run's workers: 1 by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.lag import percentile
from bench.load import Measured
from bench.scenarios import BASELINE, SCENARIOS, SERVICE

if TYPE_CHECKING:
    from bench.run import Run

TARGET_CONNECTIONS = 32


@dataclass(frozen=True)
class Target:
    name: str
    figure: str  # what was measured, in words; "not measured" when the run did not
    met: bool | None  # None: not measured


def _find(run: Run, scenario: str, target: str, connections: int) -> list[Measured]:
    return [
        m
        for m in run.measured
        if m.scenario == scenario and m.target == target and m.connections == connections
    ]


def _ratio(run: Run, scenario: str, threshold: float, conns: int) -> Target:
    mine, theirs = _find(run, scenario, SERVICE, conns), _find(run, scenario, BASELINE, conns)
    name = f"{scenario}: service / baseline req/s >= {threshold:.2f} ({conns} conn)"
    if not (mine and theirs and mine[0].ok and theirs[0].ok and theirs[0].rate):
        return Target(name, "not measured", None)
    ratio = mine[0].rate / theirs[0].rate
    shown = f"{ratio:.2f}"
    if ratio < threshold <= float(shown):  # two decimals would round a miss up to the target
        shown = f"{ratio:.3f}"
    return Target(name, shown, ratio >= threshold)


def _lists(run: Run, conns: int) -> list[Target]:
    largest = max(run.options.sizes)
    deep = [m for m in _find(run, "list deep page", BASELINE, conns) if m.size >= largest]
    # The baseline's simplest read, for scale: the p99 a page is held to is the machine's too.
    simplest = [m for m in _find(run, "GET by id", BASELINE, conns) if m.ok]
    scale = f"; the baseline's GET by id: p99 {simplest[0].p99_ms:.1f} ms" if simplest else ""
    targets = []
    for scenario in ("list first page", "list deep page"):
        found = [m for m in _find(run, scenario, SERVICE, conns) if m.size >= largest]
        name = f"{scenario} at {largest:,}: p99 < 20 ms and >= 10x baseline deep page req/s"
        if not (found and found[0].ok and deep and deep[0].ok and deep[0].rate):
            targets.append(Target(name, "not measured", None))
            continue
        times = found[0].rate / deep[0].rate
        met = found[0].p99_ms < 20 and times >= 10
        figure = f"p99 {found[0].p99_ms:.1f} ms, {times:.1f}x{scale}"
        targets.append(Target(name, figure, met))
    return targets


def _searches(run: Run) -> list[Target]:
    targets = []
    for scenario in (s for s in SCENARIOS if s.name.startswith("search")):
        found = [m for m in run.measured if m.scenario == scenario.name]
        name = f"{scenario.name}: p99 < 30 ms (8 conn, largest size)"
        if not found or not found[-1].ok:
            figure = found[-1].outcome if found else "not measured"
            targets.append(Target(name, figure, False if found else None))
            continue
        targets.append(Target(name, f"p99 {found[-1].p99_ms:.1f} ms", found[-1].p99_ms < 30))
    return targets


def _idempotent(run: Run, conns: int) -> Target:
    plain = _find(run, "create", SERVICE, conns)
    keyed = _find(run, "create with Idempotency-Key", SERVICE, conns)
    name = f"Idempotency-Key adds < 10% to a create's time ({conns} conn)"
    if not (plain and keyed and plain[0].ok and keyed[0].ok and keyed[0].rate):
        return Target(name, "not measured", None)
    # Each connection sends its next create when the last is answered: a create's time
    # is the connections over the rate, so the time added is the rates' ratio less one.
    added = plain[0].rate / keyed[0].rate - 1
    figure = f"adds {added:.1%} ({keyed[0].rate / plain[0].rate:.2f} of create's req/s)"
    return Target(name, figure, added < 0.10)


def targets(run: Run) -> list[Target]:
    conns = TARGET_CONNECTIONS
    lags = run.lag_ms.get(conns, [])
    lag_figure = (
        f"p50 {percentile(lags, 0.5):.1f} ms, p99 {percentile(lags, 0.99):.1f} ms"
        if lags
        else "not measured"
    )
    rss = run.peak_rss_mb.get(SERVICE)
    replayed = run.replays[-1][1] if run.replays else None
    checks: list[Callable[[], Target | list[Target]]] = [
        lambda: _ratio(run, "create", 0.50, conns),
        lambda: _ratio(run, "GET by id", 1.00, conns),
        lambda: _lists(run, conns),
        lambda: Target(
            f"projection lag p99 < 25 ms under the mix ({conns} conn)",
            lag_figure,
            percentile(lags, 0.99) < 25 if lags else None,
        ),
        lambda: Target(
            "peak RSS < 200 MB per worker",
            f"{rss:.0f} MB" if rss else "not measured",
            rss < 200 if rss else None,
        ),
        lambda: Target(
            "replay >= 50,000 events/s",
            (
                f"{replayed.events_per_s:,.0f} events/s ({replayed.of_reading:.2f} of "
                f"reading and decoding them alone: {replayed.reading_events_per_s:,.0f})"
            )
            if replayed
            else "not measured",
            replayed.events_per_s >= 50_000 if replayed else None,
        ),
        lambda: _searches(run),
        lambda: _idempotent(run, conns),
    ]
    found: list[Target] = []
    for check in checks:
        result = check()
        found += result if isinstance(result, list) else [result]
    return found
