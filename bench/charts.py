"""A PNG chart per scenario: service against baseline, requests/s and p99 latency."""

from __future__ import annotations

from pathlib import Path

# A Figure of its own, not pyplot's: no display, no global state.
from matplotlib.figure import Figure

from bench.load import Measured

COLOURS = {"service": "#1f77b4", "baseline": "#ff7f0e"}


def chart(name: str, measured: list[Measured], path: Path) -> None:
    """Bars per (size, connections), one per target, of req/s and of p99 ms."""
    cases = sorted({(m.size, m.connections) for m in measured})
    sizes = {size for size, _ in cases}
    labels = [f"{c} conn" + (f"\n{s:,}" if len(sizes) > 1 else "") for s, c in cases]
    targets = [t for t in COLOURS if any(m.target == t for m in measured)]
    figure = Figure(figsize=(10, 4))
    rates, p99s = figure.subplots(1, 2)
    width = 0.8 / len(targets)
    for offset, target in enumerate(targets):
        by_case = {(m.size, m.connections): m for m in measured if m.target == target}
        xs = [i + offset * width for i in range(len(cases))]
        found = [by_case.get(case) for case in cases]
        for axes, values in (
            (rates, [m.rate if m and m.ok else 0 for m in found]),
            (p99s, [m.p99_ms if m and m.ok else 0 for m in found]),
        ):
            axes.bar(xs, values, width, label=target, color=COLOURS[target])
    for axes, title in (
        (rates, "requests/s (higher is better)"),
        (p99s, "p99 ms (lower is better)"),
    ):
        axes.set_title(title)
        axes.set_xticks([i + width * (len(targets) - 1) / 2 for i in range(len(cases))], labels)
        axes.legend()
    if not any(m.ok for m in measured):  # say why the bars are missing
        rates.text(0.5, 0.5, measured[0].outcome, ha="center", wrap=True, transform=rates.transAxes)
    figure.suptitle(name)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
