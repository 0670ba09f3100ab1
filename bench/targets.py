"""The targets a run is held to, each met, missed, or not measured, read from the run's
JSON alone: every figure a verdict rests on is in the run it names.

PostgreSQL, the run's workers (1 by default), at each of the run's numbers of
connections; a ratio is the service's median over the baseline's median, both of
the same cell of the same run.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from bench.method import ratio, summary
from bench.scenarios import BASELINE, KEYED, PLAIN, SCENARIOS, SERVICE

Run = dict[str, Any]  # a run's JSON
RSS_MB = 200
LAG_MS = 25
SEARCH_MS = 30


@dataclass(frozen=True)
class Target:
    name: str
    figure: str  # what was measured, in words; why not, when it was not
    met: bool | None  # None: not measured

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cell(run: Run, scenario: str, size: int, connections: int) -> dict[str, Any] | None:
    return next(
        (
            c
            for c in run["cells"]
            if (c["scenario"], c["size"], c["connections"]) == (scenario, size, connections)
        ),
        None,
    )


def _rate(found: dict[str, Any] | None) -> str:
    if found is None:
        return "?"
    if found["outcome"] != "ok":
        return str(found["outcome"])
    r = found["req_per_s"]
    return f"{r['median']:,.0f} [{r['min']:,.0f}-{r['max']:,.0f}]"


def _p99(found: dict[str, Any]) -> str:
    p = found["p99_ms"]
    return f"{p['median']:.1f} ms [{p['min']:.1f}-{p['max']:.1f}]"


def _shown(value: float, threshold: float) -> str:
    """Two decimals, or three where two would round a miss up to the target."""
    shown = f"{value:.2f}"
    return f"{value:.3f}" if value < threshold <= float(shown) else shown


def _ratio(run: Run, scenario: str, threshold: float, size: int, conns: int) -> Target:
    name = f"{scenario}: service / baseline >= {threshold:.2f} ({conns} conn, {size:,})"
    found = cell(run, scenario, size, conns)
    if found is None:
        return Target(name, "not measured", None)
    value = ratio(found, SERVICE, BASELINE)
    mine, theirs = summary(found, SERVICE), summary(found, BASELINE)
    figures = f"service {_rate(mine)}, baseline {_rate(theirs)} req/s"
    if value is None:
        return Target(name, f"not measured: {figures}", None)
    return Target(name, f"{_shown(value, threshold)} ({figures})", value >= threshold)


def _lists(run: Run, size: int, conns: int) -> Iterator[Target]:
    get = cell(run, "GET by id", size, conns)
    point = summary(get, BASELINE) if get else None
    for scenario in ("list first page", "list deep page"):
        found = cell(run, scenario, size, conns)
        mine = summary(found, SERVICE) if found else None
        theirs = summary(found, BASELINE) if found else None
        name = f"{scenario} at {size:,}: p99 <= the baseline's GET by id p99 ({conns} conn)"
        if mine and point and mine["outcome"] == point["outcome"] == "ok":
            met = mine["p99_ms"]["median"] <= point["p99_ms"]["median"]
            yield Target(name, f"{_p99(mine)} against {_p99(point)}", met)
        else:
            yield Target(name, "not measured", None)
        name = f"{scenario} at {size:,}: >= 10x the baseline's {scenario} ({conns} conn)"
        value = ratio(found, SERVICE, BASELINE) if found else None
        figures = f"service {_rate(mine)}, baseline {_rate(theirs)} req/s"
        if value is None:
            yield Target(name, f"not measured: {figures}", None)
        else:
            yield Target(name, f"{value:.1f}x ({figures})", value >= 10)


def _idempotent(run: Run, size: int, conns: int) -> Target:
    """A create's time is the connections over the rate, so the time a key adds is the
    plain rate over the keyed one, less one: per pair, then the median of the pairs."""
    name = f"Idempotency-Key adds < 10% to a create ({conns} conn, alternating pairs)"
    found = cell(run, "create with Idempotency-Key", size, conns)
    samples = found["samples"] if found else []
    if not samples or any(s["outcome"] != "ok" for s in samples):
        bad = next((s["outcome"] for s in samples if s["outcome"] != "ok"), "")
        return Target(name, f"not measured {bad}".strip(), None)
    added = []
    for first, second in zip(samples[::2], samples[1::2], strict=True):
        rates = {s["side"]: s["req_per_s"] for s in (first, second)}
        added.append(rates[PLAIN] / rates[KEYED] - 1)
    added.sort()
    middle = statistics.median(added)
    figure = (
        f"adds {middle:.1%}, the median of {len(added)} pairs "
        f"(range {added[0]:.1%} to {added[-1]:.1%})"
    )
    return Target(name, figure, middle < 0.10)


def _lag(run: Run) -> Target:
    lag = run.get("lag")
    name = f"projection lag p99 < {LAG_MS} ms under creates, no commit left out"
    if not lag or not lag["commits"]:
        return Target(name, "not measured", None)
    if lag.get("outcome", "ok") != "ok":
        return Target(name, f"not measured: the creates {lag['outcome']}", None)
    name += f" ({lag['connections']} conn, {lag['workers']} API workers)"
    figure = (
        f"p50 {lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms over {lag['commits']:,} "
        f"commits, {lag['unreached']} not reached"
    )
    return Target(name, figure, lag["p99_ms"] < LAG_MS and lag["unreached"] == 0)


def _replays(run: Run) -> Iterator[Target]:
    for replayed in run["replays"]:
        name = f"replay >= 0.6 of reading and decoding alone ({replayed['size']:,})"
        figure = (
            f"{replayed['of_reading']:.2f}: {replayed['events_per_s']:,} against "
            f"{replayed['reading_events_per_s']:,} Cliente events/s"
        )
        yield Target(name, figure, replayed["of_reading"] >= 0.6)


def _memory(run: Run) -> Target:
    service = {k: v for k, v in run["peak_rss_mb"].items() if not k.startswith(BASELINE)}
    name = f"peak RSS < {RSS_MB} MB per process of the service"
    if not service:
        return Target(name, "not measured", None)
    figure = ", ".join(f"{k} {v:.0f} MB" for k, v in service.items())
    return Target(name, figure, max(service.values()) < RSS_MB)


def _searches(run: Run, size: int) -> Iterator[Target]:
    for scenario in (s for s in SCENARIOS if s.name.startswith("search")):
        for conns in scenario.connections or ():
            name = f"{scenario.name}: p99 < {SEARCH_MS} ms ({conns} conn, {size:,})"
            found = cell(run, scenario.name, size, conns)
            mine = summary(found, SERVICE) if found else None
            if mine is None:
                yield Target(name, "not measured", None)
            elif mine["outcome"] != "ok":
                yield Target(name, mine["outcome"], None)
            else:
                met = mine["p99_ms"]["median"] < SEARCH_MS
                yield Target(name, f"{_p99(mine)}, {_rate(mine)} req/s", met)


def targets(run: Run) -> list[Target]:
    """Every target, at each of the run's numbers of connections where it applies."""
    sizes, conns = run["options"]["sizes"], run["options"]["connections"]
    first, largest = sizes[0], sizes[-1]
    found: list[Target] = []
    found += [_ratio(run, "create", 0.5, first, c) for c in conns]
    found += [_ratio(run, "GET by id", 1.0, size, c) for size in sizes for c in conns]
    for c in conns:
        found += _lists(run, largest, c)
    found.append(_lag(run))
    found += _replays(run)
    found += [_idempotent(run, first, c) for c in conns]
    found.append(_memory(run))
    found += _searches(run, largest)
    return found
