"""The benchmark harness: its method (balanced order, windows long enough, medians and
ranges, ratios of the same cell), its targets read from a run's JSON alone, and the
whole harness end to end at its smallest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.method import MAX_WINDOW, Plan, sequence, summary, window
from bench.scenarios import BASELINE, KEYED, PLAIN, SERVICE
from bench.targets import targets

ROOT = Path(__file__).resolve().parent.parent
PLAN = Plan(seconds=8, warm_up=2, blocks=1, pairs=5, min_requests=100)


def test_two_sides_are_sampled_in_balanced_order() -> None:
    assert sequence(2, 2) == [0, 1, 1, 0]
    assert sequence(2, 4) == [0, 1, 1, 0, 0, 1, 1, 0]
    assert sequence(2, 5) == [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]
    assert sequence(1, 2) == [0, 0]


def test_a_window_lasts_until_a_slow_side_completes_its_requests_and_enough_per_connection() -> (
    None
):
    assert window(PLAN, 2_000.0, 32) == 8  # fast: the run's seconds
    assert window(PLAN, 4.0, 1) == 30  # 100 requests at 4/s, with a fifth to spare
    assert window(PLAN, 20.0, 32) == 39  # 20 per connection: 640 at 20/s, a fifth to spare
    assert window(PLAN, 0.1, 1) == MAX_WINDOW
    assert window(PLAN, 0.0, 1) == 8  # no warm-up rate: the run's seconds


def _sample(side: str, rate: float, p99: float, outcome: str = "ok") -> dict[str, Any]:
    return {
        "side": side,
        "req_per_s": rate,
        "requests": max(1, int(rate * 8)),
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "outcome": outcome,
        "first_ms": None,
        "cpu_ms": {"api": 0.5},
    }


def _cell(scenario: str, service: list[float], baseline: list[float], p99: float = 5.0) -> Any:
    """A cell of 32 connections at 100 Clientes, its samples in ABBA order."""
    s1, s2 = service
    b1, b2 = baseline
    samples = [
        _sample(SERVICE, s1, p99),
        _sample(BASELINE, b1, p99),
        _sample(BASELINE, b2, p99),
        _sample(SERVICE, s2, p99),
    ]
    return {
        "scenario": scenario,
        "size": 100,
        "connections": 32,
        "sides": [SERVICE, BASELINE],
        "window_s": {SERVICE: 8, BASELINE: 8},
        "samples": samples,
    }


def _run(*cells: Any, lag: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "options": {"sizes": [100], "connections": [32]},
        "cells": list(cells),
        "replays": [],
        "peak_rss_mb": {},
        "lag": lag,
    }


def _target(run: dict[str, Any], start: str) -> Any:
    (found,) = [t for t in targets(run) if t.name.startswith(start)]
    return found


def test_a_side_is_its_median_and_range_and_a_ratio_is_of_two_medians() -> None:
    cell = _cell("create", [1_000, 1_400], [2_000, 2_600])
    found = summary(cell, SERVICE)
    assert found is not None
    assert found["req_per_s"] == {"median": 1_200, "min": 1_000, "max": 1_400}
    assert found["edge_bound"] == 32 / 8_000  # the connections over the fewest requests
    create = _target(_run(cell), "create")
    assert (create.figure.split()[0], create.met) == ("0.52", True)  # 1,200 / 2,300


def test_a_ratio_just_under_its_target_is_not_shown_as_the_target() -> None:
    under = _target(_run(_cell("create", [4_970, 4_970], [10_000, 10_000])), "create")
    assert (under.figure.split()[0], under.met) == ("0.497", False)


def test_a_cell_with_a_short_sample_is_not_scored() -> None:
    cell = _cell("GET by id", [5_000, 5_000], [4_000, 4_000])
    cell["samples"][2] = _sample(BASELINE, 2, 900, "short: 16 requests, fewer than 100")
    found = _target(_run(cell), "GET by id")
    assert found.met is None
    assert "short: 16 requests" in found.figure


def test_a_page_is_held_to_the_baselines_get_by_id_p99_of_the_same_cell() -> None:
    run = _run(
        _cell("GET by id", [5_000, 5_000], [4_000, 4_000], p99=28.1),
        _cell("list first page", [2_000, 2_000], [100, 100], p99=31.0),
        _cell("list deep page", [2_000, 2_000], [100, 100], p99=20.0),
    )
    first = _target(run, "list first page at 100: p99")
    assert first.met is False
    assert first.figure.startswith("31.0 ms [31.0-31.0] against 28.1 ms")
    assert _target(run, "list deep page at 100: p99").met is True
    assert _target(run, "list deep page at 100: >= 10x").figure.startswith("20.0x")


def test_a_commit_the_read_table_was_not_heard_to_reach_misses_the_lag_target() -> None:
    lag: dict[str, Any] = {"connections": 32, "workers": 2, "commits": 200, "unreached": 1}
    lag |= {"p50_ms": 2.0, "p99_ms": 9.0, "max_ms": 12.0}
    found = _target(_run(lag=lag), "projection lag")
    assert found.met is False
    assert "1 not reached" in found.figure


def test_the_idempotency_key_is_scored_by_the_median_of_its_pairs() -> None:
    rates = [(1_000, 1_050), (1_100, 1_050), (900, 1_200), (1_000, 1_020), (1_000, 1_000)]
    samples = []
    for keyed, plain in rates:
        samples += [_sample(KEYED, keyed, 9.0), _sample(PLAIN, plain, 9.0)]
    cell = {"scenario": "create with Idempotency-Key", "size": 100, "connections": 32}
    cell |= {"sides": [KEYED, PLAIN], "window_s": {KEYED: 8, PLAIN: 8}, "samples": samples}
    found = _target(_run(cell), "Idempotency-Key")
    # Per pair: +5.0%, -4.5%, +33.3%, +2.0%, 0.0%; the median is 2.0%.
    assert (found.met, found.figure.split(",")[0]) == (True, "adds 2.0%")


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.postgres
def test_a_run_at_its_smallest_keeps_its_json_and_writes_the_page_from_it_alone(
    tmp_path: Path,
) -> None:
    assert shutil.which("wrk"), "the benchmark needs wrk: apt-get install wrk (.ci/run does)"
    scenarios = "create,create-with-idempotency-key,get-by-id,search-q-in-the-telefono-s-digits"
    tiniest = ["--quick", "--sizes", "200", "--connections", "8", "--pairs", "1"]
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", *tiniest, "--scenarios", scenarios, "--out", str(out)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"bench.run exited {done.returncode}:\n{done.stderr[-4000:]}"
    assert re.search(r"expected to take about \d+ min", done.stdout)

    (kept,) = (out / "benchmarks" / "runs").glob("*.json")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{commit}\.json", kept.name)
    run = json.loads(kept.read_text())

    cells = {c["scenario"]: c for c in run["cells"]}
    assert set(cells) == {
        "create",
        "create with Idempotency-Key",
        "GET by id",
        "search q in the telefono's digits",
    }
    for name in ("create", "GET by id"):
        assert [s["side"] for s in cells[name]["samples"]] == [SERVICE, BASELINE, BASELINE, SERVICE]
        assert [s["side"] for s in cells[name]["warm_up"]] == [SERVICE, BASELINE]
    assert [s["side"] for s in cells["create with Idempotency-Key"]["samples"]] == [KEYED, PLAIN]
    for cell in run["cells"]:
        for s in cell["samples"]:
            assert s["outcome"] == "ok", (cell["scenario"], s)
            assert s["requests"] >= run["options"]["min_requests"]
            assert 0 < s["p50_ms"] <= s["p99_ms"] <= s["max_ms"]
            assert s["cpu_ms"]["api"] > 0, s
            assert "postgres" in s["cpu_ms"]

    create = _target(run, "create")
    mine, theirs = (summary(cells["create"], side) for side in (SERVICE, BASELINE))
    assert mine is not None
    assert theirs is not None
    medians = mine["req_per_s"]["median"], theirs["req_per_s"]["median"]
    assert create.figure.startswith(f"{medians[0] / medians[1]:.2f}")

    (replayed,) = run["replays"]
    assert (replayed["read"], replayed["reading_read"], replayed["stored"]) == (200, 200, 400)
    assert replayed["events_per_s"] == round(200 / replayed["seconds"])
    assert run["lag"]["commits"] > 0
    assert run["lag"]["unreached"] == 0
    assert all(mb > 30 for mb in run["peak_rss_mb"].values())
    assert run["calibration_ms"]["before"] > 0
    assert run["calibration_ms"]["after"] > 0
    assert set(run["provenance"]["stack"]) >= {"litestar", "msgspec", "eventsourcing", "psycopg"}
    assert run["provenance"]["postgres"]["fsync"] in ("on", "off")

    page = (out / "benchmarks.md").read_text()
    assert kept.name in page
    assert run["provenance"]["code"]["commit"] in page
    assert "PostgreSQL shared_buffers" in page
    assert "CPU calibration" in page
    assert "### search q in the telefono's digits" in page
    for cell in run["cells"]:
        slug = "".join(c if c.isalnum() else "-" for c in cell["scenario"].lower()).strip("-")
        assert (out / "benchmarks" / f"{slug}.png").stat().st_size > 0

    # The page is the run's alone: written again from the kept JSON, it is the same page.
    again = tmp_path / "again"
    (again / "benchmarks" / "runs").mkdir(parents=True)
    shutil.copy(kept, again / "benchmarks" / "runs" / kept.name)
    subprocess.run(
        [sys.executable, "-m", "bench.report", str(again / "benchmarks" / "runs" / kept.name)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert (again / "benchmarks.md").read_text() == page
