"""A PNG chart per scenario, from a run's JSON: each side's median requests/s and p99,
with the range of its samples as error bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A Figure of its own, not pyplot's: no display, no global state.
from matplotlib.figure import Figure

from bench.method import summary

COLOURS = ("#1f77b4", "#ff7f0e")


def chart(name: str, cells: list[dict[str, Any]], path: Path) -> None:
    """Bars per (size, connections), one per side, of req/s and of p99 ms."""
    cells = sorted(cells, key=lambda c: (c["size"], c["connections"]))
    sides = cells[0]["sides"]
    sizes = {c["size"] for c in cells}
    labels = [
        f"{c['connections']} conn" + (f"\n{c['size']:,}" if len(sizes) > 1 else "") for c in cells
    ]
    figure = Figure(figsize=(10, 4))
    rates, p99s = figure.subplots(1, 2)
    width = 0.8 / len(sides)
    for offset, side in enumerate(sides):
        found = [summary(c, side) for c in cells]
        xs = [i + offset * width for i in range(len(cells))]
        for axes, key in ((rates, "req_per_s"), (p99s, "p99_ms")):
            spreads = [s[key] if s and s["outcome"] == "ok" else None for s in found]
            medians = [s["median"] if s else 0 for s in spreads]
            below = [s["median"] - s["min"] if s else 0 for s in spreads]
            above = [s["max"] - s["median"] if s else 0 for s in spreads]
            axes.bar(xs, medians, width, yerr=[below, above], label=side, color=COLOURS[offset % 2])
    for axes, title in (
        (rates, "requests/s, median and range (higher is better)"),
        (p99s, "p99 ms, median and range (lower is better)"),
    ):
        axes.set_title(title, fontsize=10)
        axes.set_xticks([i + width * (len(sides) - 1) / 2 for i in range(len(cells))], labels)
        axes.legend()
    figure.suptitle(name)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
