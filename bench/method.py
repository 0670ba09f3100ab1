"""How a cell (a scenario at one size and one number of connections) is measured, and
how its samples are summed up.

Both servers are up together. Each side of a cell is warmed alike, one warm-up
window each, before the cell's first sample. The samples then alternate in
balanced order: A B B A for each block (service, baseline, baseline, service),
so that neither side always follows the other, whose writes the database may
still be digesting; the Idempotency-Key's pairs go A B, B A, A B, ... Before
each sample the database is left to finish what the last one started.

wrk is time-based, and a window that ends before a slow route has answered
measures nothing; a count-based driver would not help by itself, as a rate's
error comes from the requests in flight at either end of a sample, at most one
per connection: the connections over the requests completed. So each side's
window is sized from its own warm-up rate for its samples to complete at least
``min_requests``, and at least ``PER_CONNECTION`` per connection (which bounds
that error at 5%), never shorter than the run's seconds nor longer than
``MAX_WINDOW``. Each sample keeps its bound (``edge_bound``); one that completes
fewer than ``min_requests`` is short, and its cell is not scored.

A side is summed up by the median of its samples and their range (min-max); a
ratio is only ever the two medians of the same cell.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.load import Load, Measured, run_wrk
from bench.scenarios import Dataset, Scenario

MAX_WINDOW = 120  # seconds: the most a slow cell's sample may take
PER_CONNECTION = 20  # requests: the rate's error at the window's ends at most 1/20


@dataclass(frozen=True)
class Endpoint:
    """Where a side's server answers, and its processes' CPU meter."""

    url: str
    cpu: Callable[[], dict[str, float]]


@dataclass(frozen=True)
class Plan:
    seconds: int  # the shortest window
    warm_up: int  # seconds of each side's warm-up
    blocks: int  # ABBA blocks per cell: 2 x blocks samples per side
    pairs: int  # alternating pairs for the pairs scenarios
    min_requests: int


def sequence(sides: int, per_side: int) -> list[int]:
    """The sides' indexes in sampling order: A B, B A, A B, ... (two sides), or A A ..."""
    if sides == 1:
        return [0] * per_side
    order: list[int] = []
    for pair in range(per_side):
        order += [0, 1] if pair % 2 == 0 else [1, 0]
    return order


def window(plan: Plan, rate: float, connections: int) -> int:
    """Seconds for a sample to complete at least ``plan.min_requests``, and
    ``PER_CONNECTION`` per connection, at the side's warm-up ``rate`` (a fifth to spare)."""
    if rate <= 0:
        return plan.seconds
    needed = max(plan.min_requests, PER_CONNECTION * connections)
    return max(plan.seconds, min(MAX_WINDOW, math.ceil(needed * 1.2 / rate)))


def measure_cell(
    scenario: Scenario,
    data: Dataset,
    connections: int,
    endpoints: dict[str, Endpoint],
    token: str,
    plan: Plan,
    before_each: Callable[[], None],
) -> dict[str, Any]:
    """Every sample of one cell, in balanced order, as the run's JSON keeps them."""
    sides = scenario.sides
    per_side = plan.pairs if scenario.pairs else 2 * plan.blocks

    def sample(index: int, seconds: int, order: int, min_requests: int) -> Measured:
        side = sides[index]
        target = endpoints[side.server]
        measured = Measured(scenario.name, side.name, connections, data.size, order=order)
        load: Load = side.load(data)  # a new one each time: a create's codes are its own
        before_each()
        return run_wrk(
            target.url,
            token,
            load,
            measured,
            seconds,
            min_requests=min_requests,
            cpu=target.cpu,
        )

    warm = [sample(i, plan.warm_up, -1, 1) for i in range(len(sides))]
    seconds = [window(plan, m.rate if m.ok else 0.0, connections) for m in warm]
    samples = [
        sample(index, seconds[index], order, plan.min_requests)
        for order, index in enumerate(sequence(len(sides), per_side))
    ]
    return {
        "scenario": scenario.name,
        "size": data.size,
        "connections": connections,
        "sides": [side.name for side in sides],
        "window_s": dict(zip((side.name for side in sides), seconds, strict=True)),
        "warm_up": [m.as_dict() for m in warm],
        "samples": [m.as_dict() for m in samples],
    }


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def summary(cell: dict[str, Any], side: str) -> dict[str, Any] | None:
    """The median and range of one side's samples; None unless every one is ok (the
    reason is then the first outcome that is not)."""
    samples = [s for s in cell["samples"] if s["side"] == side]
    if not samples:
        return None
    connections = cell["connections"]
    bad = [s["outcome"] for s in samples if s["outcome"] != "ok"]
    if bad:
        return {"outcome": bad[0], "samples": len(samples)}
    return {
        "outcome": "ok",
        "samples": len(samples),
        "req_per_s": spread([s["req_per_s"] for s in samples]),
        "p50_ms": spread([s["p50_ms"] for s in samples]),
        "p99_ms": spread([s["p99_ms"] for s in samples]),
        "requests": min(s["requests"] for s in samples),
        "edge_bound": max(connections / s["requests"] for s in samples),
        "cpu_ms": {
            name: round(statistics.median(s["cpu_ms"].get(name, 0.0) for s in samples), 3)
            for name in samples[0]["cpu_ms"]
        },
    }


def ratio(cell: dict[str, Any], mine: str, theirs: str) -> float | None:
    """``mine``'s median requests/s over ``theirs``', both of this cell; None unless both
    sides were measured."""
    a, b = summary(cell, mine), summary(cell, theirs)
    if not (a and b and a["outcome"] == b["outcome"] == "ok" and b["req_per_s"]["median"]):
        return None
    return float(a["req_per_s"]["median"] / b["req_per_s"]["median"])
