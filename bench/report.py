"""The run's figures, written out: benchmarks.md, benchmarks.json and a chart per scenario."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.charts import chart
from bench.lag import percentile
from bench.load import Measured
from bench.scenarios import BASELINE, SCENARIOS, SERVICE
from bench.targets import TARGET_CONNECTIONS, Target, targets

if TYPE_CHECKING:
    from bench.run import Run

VERDICTS = {True: "met", False: "**missed**", None: "not measured"}
ANALYSIS = Path(__file__).with_name("analysis.md")  # where the time goes, from profiles


def line(m: Measured) -> str:
    """One measurement, for the console."""
    return (
        f"{m.scenario:30} {m.target:8} {m.connections:>3} conn {m.size:>9,}: "
        f"{m.rate:9.1f} req/s  p50 {m.p50_ms:7.2f} ms  p99 {m.p99_ms:7.2f} ms  {m.outcome}"
    )


def machine(postgres: str) -> dict[str, str]:
    model = "unknown"
    for text in Path("/proc/cpuinfo").read_text().splitlines():
        if text.startswith("model name"):
            model = text.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(text.split()[1])
        for text in Path("/proc/meminfo").read_text().splitlines()
        if text.startswith("MemTotal:")
    )
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "RAM": f"{memory_kb / 1024**2:.1f} GiB",
        "PostgreSQL": postgres,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def write(run: Run, postgres: str) -> Path:
    """Writes benchmarks.md, benchmarks.json and the charts into the run's output folder."""
    out = run.options.out
    charts = out / "benchmarks"
    charts.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        measured = [m for m in run.measured if m.scenario == scenario.name]
        if measured:
            chart(scenario.name, measured, charts / f"{scenario.slug}.png")
    about = machine(postgres)
    found = targets(run)
    (out / "benchmarks.json").write_text(
        json.dumps(
            {
                "machine": about,
                "quick": run.options.quick,
                "measured": [m.as_dict() for m in run.measured],
                "replays": [
                    {
                        "size": size,
                        **vars(replayed),
                        "events_per_s": replayed.events_per_s,
                        "reading_events_per_s": replayed.reading_events_per_s,
                    }
                    for size, replayed in run.replays
                ],
                "peak_rss_mb": run.peak_rss_mb,
                "projection_lag_ms": {
                    str(conns): {
                        "p50": round(percentile(lags, 0.5), 2),
                        "p99": round(percentile(lags, 0.99), 2),
                        "commits": len(lags),
                    }
                    for conns, lags in run.lag_ms.items()
                },
                "targets": [vars(target) for target in found],
            },
            indent=2,
        )
    )
    markdown = out / "benchmarks.md"
    markdown.write_text("\n".join(render(run, about, found)) + "\n")
    return markdown


def render(run: Run, about: dict[str, str], found: list[Target]) -> list[str]:
    options = run.options
    kind = (
        "**A quick run** (`make bench ARGS=--quick`): a smoke test of the harness on small sizes "
        "and short measurements, on a machine shared with other work. Its figures say "
        "little; the full run (`make bench`) writes this page again."
        if options.quick
        else "A full run (`make bench`)."
    )
    text = [
        "# Benchmarks: the service against a plain CRUD baseline",
        "",
        kind,
        "",
        f"Written by `bench/run.py` in {run.seconds / 60:.1f} min on:",
        "",
        *(f"- {key}: {value}" for key, value in about.items()),
        "",
        f"Sizes: {', '.join(f'{s:,}' for s in options.sizes)} vigente Clientes; "
        f"connections: {', '.join(map(str, options.connections))}; {options.seconds:g} s per "
        f"measurement; {options.workers} uvicorn worker(s) per server; load from wrk, "
        "a separate process. The service runs as `compose.yaml` runs it: its API worker(s) "
        "with `--no-projector` and one `clientes project` process beside them. The baseline "
        "(`bench/crud.py`) is one table written in place, listed with `count(*)` and OFFSET.",
        "",
        f"## Targets (PostgreSQL, {options.workers} worker(s), {TARGET_CONNECTIONS} connections)",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        *(f"| {t.name} | {t.figure} | {VERDICTS[t.met]} |" for t in found),
        "",
        *_analysis(),
        "## Replay and memory",
        "",
        *(
            f"- `clientes replay` at {size:,} vigente: {r.stored:,} stored events in "
            f"{r.seconds:.1f} s, {r.events_per_s:,.0f} events/s ({r.read:,} of them read: "
            "the Cliente events; the code index's are skipped unread); the same events read "
            f"and decoded alone (`bench/reading.py`, the replay's baseline) in "
            f"{r.reading_seconds:.1f} s, {r.reading_events_per_s:,.0f} events/s: the replay "
            f"runs at {r.of_reading:.2f} of that"
            for size, r in run.replays
        ),
        *(f"- peak RSS per process, {t}: {mb:.0f} MB" for t, mb in run.peak_rss_mb.items()),
        *(
            f"- projection lag under the mix, {conns} conn: p50 {percentile(lags, 0.5):.1f} ms, "
            f"p99 {percentile(lags, 0.99):.1f} ms ({len(lags)} commits)"
            for conns, lags in sorted(run.lag_ms.items())
        ),
        "",
        "## Scenarios",
    ]
    for scenario in SCENARIOS:
        measured = [m for m in run.measured if m.scenario == scenario.name]
        if measured:
            text += ["", f"### {scenario.name}", "", *_table(measured)]
            text += ["", f"![{scenario.name}](benchmarks/{scenario.slug}.png)"]
    return text


def _analysis() -> list[str]:
    """The profiles behind the figures and what the misses come from: bench/analysis.md,
    written by hand from py-spy profiles, kept with the page across runs."""
    if not ANALYSIS.exists():
        return []
    return [*ANALYSIS.read_text().splitlines(), ""]


def _table(measured: list[Measured]) -> list[str]:
    rows = [
        "| size | conn | service req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms "
        "| ratio | notes |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for size, conns in sorted({(m.size, m.connections) for m in measured}):
        here = {m.target: m for m in measured if (m.size, m.connections) == (size, conns)}
        mine, theirs = here.get(SERVICE), here.get(BASELINE)
        ratio = f"{mine.rate / theirs.rate:.2f}" if mine and theirs and theirs.rate else ""
        notes = "; ".join(
            [f"{m.target} {m.outcome}" for m in here.values() if not m.ok]
            + [
                f"each term asked twice before: the first ask up to {m.first_ms:.0f} ms"
                for m in here.values()
                if m.first_ms is not None
            ]
        )
        rows.append(
            f"| {size:,} | {conns} | {_cells(mine)} | {_cells(theirs)} | {ratio} | {notes} |"
        )
    return rows


def _cells(m: Measured | None) -> str:
    if m is None or not m.ok:
        return " | | "
    return f"{m.rate:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f}"
