"""A run's page, written from the run's JSON and nothing else.

    .venv/bin/python -m bench.report docs/benchmarks/runs/RUN.json [--out DIR]

``write`` keeps the JSON of the run in DIR/benchmarks/runs/, named by its UTC
start and its commit, then writes DIR/benchmarks.md and a chart per scenario in
DIR/benchmarks/ from that file; the command above writes them again from a kept
run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.charts import chart
from bench.method import summary
from bench.scenarios import SCENARIOS
from bench.servers import ROOT
from bench.targets import Run, targets

VERDICTS = {True: "met", False: "**missed**", None: "not measured"}
EDGE_NOTED = 0.05  # a rate's bound of error at the window's ends, noted above it
CPU_NAMES = {"api": "API", "projector": "projector", "postgres": "PostgreSQL"}


def run_name(run: Run) -> str:
    stamp = run["started"].replace("-", "").replace(":", "").split(".")[0]
    return f"{stamp}Z-{run['provenance']['code']['short']}.json"


def write(run: Run, out: Path) -> Path:
    """Keeps the run's JSON under ``out``/benchmarks/runs/ and writes its page from it."""
    runs = out / "benchmarks" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    kept = runs / run_name(run)
    run["targets"] = [t.as_dict() for t in targets(run)]  # for readers of the JSON
    kept.write_text(json.dumps(run, indent=1) + "\n")
    return page(kept, out)


def page(kept: Path, out: Path) -> Path:
    """Writes ``out``/benchmarks.md and the charts from the run kept in ``kept``."""
    run: Run = json.loads(kept.read_text())
    charts = out / "benchmarks"
    charts.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        cells = [c for c in run["cells"] if c["scenario"] == scenario.name]
        if cells:
            chart(scenario.name, cells, charts / f"{scenario.slug}.png")
    kept, out = kept.resolve(), out.resolve()
    link = kept.relative_to(out) if kept.is_relative_to(out) else kept  # from the page
    shown = kept.relative_to(ROOT) if kept.is_relative_to(ROOT) else link  # from the checkout
    markdown = out / "benchmarks.md"
    markdown.write_text("\n".join(render(run, str(link), str(shown))) + "\n")
    return markdown


def render(run: Run, link: str, shown: str) -> list[str]:
    options, found = run["options"], targets(run)
    code, stack = run["provenance"]["code"], run["provenance"]["stack"]
    calibration = run["calibration_ms"]
    slower = calibration["after"] / calibration["before"] - 1
    other = "; ".join(
        f"{k} {v} (`make bench`: {full})" for k, (v, full) in run.get("unlike_full", {}).items()
    )
    kind = (
        "**A quick run** (`make bench ARGS=--quick`): a check of the harness on small sizes "
        "and short windows. Its figures say little."
        if options["quick"]
        else f"**A run with options of its own**: {other}."
        if other
        else "A full run (`make bench`)."
    )
    tree = "clean" if code["clean"] else f"with changes not committed: {', '.join(code['changed'])}"
    verdicts = [sum(t.met is v for t in found) for v in (True, False, None)]
    text = [
        "# Benchmarks: the service against a plain CRUD baseline",
        "",
        f"{kind} Written by `bench/report.py` from the run [{Path(link).name}]({link}) "
        f"alone; `.venv/bin/python -m bench.report {shown}` writes this page again.",
        "",
        "## The run",
        "",
        "| | |",
        "| --- | --- |",
        f"| commit | `{code['commit']}`, the tree {tree} |",
        f"| started, took | {run['started']} UTC, {run['seconds'] / 60:.1f} min |",
        f"| stack | {', '.join(f'{k} {v}' for k, v in stack.items())} |",
        *(f"| PostgreSQL {k} | {v} |" for k, v in run["provenance"]["postgres"].items()),
        *(f"| machine: {k} | {v} |" for k, v in run["provenance"]["machine"].items()),
        f"| CPU calibration (a fixed pure-Python loop, best of 5) | {calibration['before']} ms "
        f"before, {calibration['after']} ms after: {slower:+.1%} |",
        "",
        *_method(options),
        "",
        f"## Targets: {verdicts[0]} met, {verdicts[1]} missed, {verdicts[2]} not measured",
        "",
        "| target | measured: median [range] | verdict |",
        "| --- | --- | --- |",
        *(f"| {t.name} | {t.figure} | {VERDICTS[t.met]} |" for t in found),
        "",
        "## Replay, lag and memory",
        "",
        *_others(run),
        "",
        "## Scenarios",
        "",
        "Each side: the median requests/s of its samples [their range], and the median p50 "
        "and p99 [range]; the ratio is the service's median over the baseline's. CPU: each "
        "process's CPU time per request answered (median of the samples; /proc), the profile "
        "of where the time went; PostgreSQL's is that of the run's sessions and of the "
        "server's own processes, not of other databases' sessions.",
    ]
    for scenario in SCENARIOS:
        cells = [c for c in run["cells"] if c["scenario"] == scenario.name]
        if cells:
            text += ["", f"### {scenario.name}", "", *_table(cells)]
            text += ["", f"![{scenario.name}](benchmarks/{scenario.slug}.png)"]
    return text


def _method(options: dict[str, Any]) -> list[str]:
    sizes = ", ".join(f"{s:,}" for s in options["sizes"])
    return [
        "## How it was measured",
        "",
        f"Sizes: {sizes} vigente Clientes; connections: "
        f"{', '.join(map(str, options['connections']))}; {options['workers']} uvicorn "
        "worker(s) per server; load from wrk, a separate process. Both servers are up "
        "together for a size. Each cell (scenario, size, connections) warms each side "
        f"alike ({options['warm_up']} s each), then takes {2 * options['blocks']} samples "
        "of each side in balanced order (service, baseline, baseline, service; "
        f"{options['blocks']} such block(s)); the "
        f"Idempotency-Key's {options['pairs']} alternating pairs (keyed, plain; plain, "
        f"keyed; ...) are the service's alone. A window lasts at least {options['seconds']} s, "
        f"and longer where a side is slow (sized from its warm-up, at most 120 s), so that "
        f"each sample completes at least {options['min_requests']} requests and 20 per "
        "connection: a rate's error from the requests in flight at a window's ends is then "
        "at most 5% (a larger bound is noted); a sample that completes fewer than "
        f"{options['min_requests']} is reported as short and its cell is not scored. wrk, a "
        "C program, costs the two cores little next to a client in Python.",
        "",
        "The service runs as `compose.yaml` runs it: its API worker(s) with `--no-projector`, "
        "one `clientes project` process beside them, publishing to a Redis of the run's "
        "own. The baseline (`bench/crud.py`) checks the same JWT and scopes, applies the "
        "same field rules with the service's own request Structs, writes the same access "
        "line per request and has the same collector tuning, pool sizes and uvicorn "
        "arguments; it stays plain CRUD: one table written in place, and a list that "
        "counts with `count(*)` and pages with OFFSET. The service keeps its counts as it "
        "projects and pages by index: a design advantage, which the list targets measure. "
        "The service also counts each request for `/metrics`, which the baseline does not "
        "serve, and checks more of a request's form than the field rules (a key given twice, "
        "query parameters a route does not take), which the baseline leaves to msgspec and "
        "Litestar.",
    ]


def _others(run: Run) -> list[str]:
    lines = [
        f"- `clientes replay` at {r['size']:,} vigente: {r['read']:,} Cliente events read "
        f"and applied in {r['seconds']:.1f} s, {r['events_per_s']:,}/s; the same events read "
        f"and decoded alone (`bench/reading.py`) in {r['reading_seconds']:.1f} s, "
        f"{r['reading_events_per_s']:,}/s; the replay runs at {r['of_reading']:.2f} of that "
        f"(the store holds {r['stored']:,} events, the code index's unread)"
        for r in run["replays"]
    ]
    if lag := run.get("lag"):
        lines.append(
            f"- projection lag under creates, {lag['connections']} conn, {lag['workers']} API "
            f"workers, {lag['windows']} windows: {lag['commits']:,} commits heard, "
            f"{lag['unreached']} not reached; p50 {lag['p50_ms']:.1f} ms, p99 "
            f"{lag['p99_ms']:.1f} ms, max {lag['max_ms']:.1f} ms (from a commit to the event "
            "store to the read table reaching it, both heard on PostgreSQL's notifications)"
        )
    lines += [f"- peak RSS, {name}: {mb:.0f} MB" for name, mb in run["peak_rss_mb"].items()]
    return lines


def _table(cells: list[dict[str, Any]]) -> list[str]:
    sides = cells[0]["sides"]
    head = " | ".join(f"{side} req/s | p50 ms | p99 ms | CPU ms/request" for side in sides)
    rows = [
        f"| size | conn | windows | {head} | ratio | notes |",
        "| ---: | ---: | ---: | " + " | ".join(["---:"] * 4 * len(sides)) + " | ---: | --- |",
    ]
    for cell in sorted(cells, key=lambda c: (c["size"], c["connections"])):
        found = {side: summary(cell, side) for side in sides}
        ratio = ""
        if len(sides) == 2 and all(s and s["outcome"] == "ok" for s in found.values()):
            a, b = (found[side]["req_per_s"]["median"] for side in sides)  # type: ignore[index]
            ratio = f"{a / b:.2f}" if b else ""
        notes = [
            f"{side}: {s['outcome']}" for side, s in found.items() if s and s["outcome"] != "ok"
        ]
        firsts = [s["first_ms"] for s in cell["samples"] if s["first_ms"] is not None]
        if firsts:
            notes.append(
                f"each term asked twice before a window: the first up to {max(firsts):.0f} ms"
            )
        notes += [
            f"{side}: the window's ends may understate its rate by up to {s['edge_bound']:.0%}"
            for side, s in found.items()
            if s and s["outcome"] == "ok" and s["edge_bound"] > EDGE_NOTED
        ]
        cells_text = " | ".join(_cells(found[side]) for side in sides)
        rows.append(
            f"| {cell['size']:,} | {cell['connections']} | {_windows(cell)} | {cells_text} "
            f"| {ratio} | {'; '.join(notes)} |"
        )
    return rows


def _windows(cell: dict[str, Any]) -> str:
    return " / ".join(f"{seconds} s" for seconds in cell["window_s"].values())


def _cells(found: dict[str, Any] | None) -> str:
    if found is None or found["outcome"] != "ok":
        return " | | | "
    rate, p50, p99 = found["req_per_s"], found["p50_ms"], found["p99_ms"]
    cpu = ", ".join(f"{CPU_NAMES.get(k, k)} {v:.2f}" for k, v in found["cpu_ms"].items())
    return (
        f"{rate['median']:,.0f} [{rate['min']:,.0f}-{rate['max']:,.0f}] | {p50['median']:.1f} "
        f"| {p99['median']:.1f} [{p99['min']:.1f}-{p99['max']:.1f}] | {cpu}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="a run's JSON, in DIR/benchmarks/runs/")
    parser.add_argument("--out", type=Path, help="default: the DIR the run is kept in")
    args = parser.parse_args(argv)
    out = args.out or args.run.resolve().parent.parent.parent
    print(f"written to {page(args.run, out)}")


if __name__ == "__main__":
    main()
