"""The benchmark harness, end to end, at its smallest: every scenario measured and reported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load import Measured
from bench.run import Options, Run
from bench.scenarios import BASELINE, SCENARIOS, SERVICE
from bench.targets import targets

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.postgres]


def test_a_quick_run_reports_every_scenario_with_its_figures(tmp_path: Path) -> None:
    assert shutil.which("wrk"), "the benchmark needs wrk: apt-get install wrk (.ci/run does)"
    tiniest = ["--quick", "--sizes", "200", "--seconds", "1", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", *tiniest],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"bench.run exited {done.returncode}:\n{done.stderr[-4000:]}"

    page = (tmp_path / "benchmarks.md").read_text()
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    for scenario in SCENARIOS:
        assert f"### {scenario.name}" in page
        assert (tmp_path / "benchmarks" / f"{scenario.slug}.png").stat().st_size > 0
        measured = [m for m in results["measured"] if m["scenario"] == scenario.name]
        assert {m["target"] for m in measured} == set(scenario.targets)
        for m in measured:
            # A route this branch lacks is reported with the status it gave, not measured.
            assert m["outcome"] == "ok" or m["outcome"].startswith("skipped: answered"), m
            assert m["outcome"] != "ok" or (m["req_per_s"] > 0 and m["p99_ms"] > 0), m
    replayed = results["replays"][0]
    assert replayed["events_per_s"] > 0
    assert replayed["reading_events_per_s"] > 0, "the replay's baseline was not measured"
    assert "read and decoded alone" in page
    assert results["peak_rss_mb"]["service"] > 0
    assert results["projection_lag_ms"]["32"]["p99"] >= 0
    assert "Quick run" in page or "quick run" in page
    assert {t["name"].split(":")[0] for t in results["targets"]} >= {"create", "GET by id"}


def _run_of(create: tuple[float, float], get_p99_ms: float) -> Run:
    """A run that measured creates at these rates (service, baseline) and GETs."""
    run = Run(Options([100], [32], 1, 1, Path("."), quick=True))
    for target, rate in zip((SERVICE, BASELINE), create, strict=True):
        run.measured.append(Measured("create", target, 32, 100, requests=int(rate), seconds=1))
    run.measured.append(
        Measured("GET by id", BASELINE, 32, 100, requests=1, seconds=1, p99_ms=get_p99_ms)
    )
    for scenario in ("list first page", "list deep page"):
        for target in (SERVICE, BASELINE):
            run.measured.append(
                Measured(scenario, target, 32, 100, requests=500, seconds=1, p99_ms=31.0)
            )
    return run


def test_a_ratio_just_under_its_target_is_not_shown_as_the_target() -> None:
    (under,) = [t for t in targets(_run_of((4_970, 10_000), 28.1)) if t.name.startswith("create")]
    assert (under.figure, under.met) == ("0.497", False)
    (met,) = [t for t in targets(_run_of((5_000, 10_000), 28.1)) if t.name.startswith("create")]
    assert (met.figure, met.met) == ("0.50", True)


def test_a_list_target_gives_the_baselines_get_by_id_p99_of_the_same_run() -> None:
    lists = [t for t in targets(_run_of((1, 1), 28.1)) if t.name.startswith("list")]
    assert [t.figure for t in lists] == [
        "p99 31.0 ms, 1.0x; the baseline's GET by id: p99 28.1 ms"
    ] * 2
    assert not any(t.met for t in lists)
