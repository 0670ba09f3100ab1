"""Progress of a long command: a bar on a terminal, a log line now and then elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Shows the position reached in the event store out of its last one, positions
    per second and the time left. Positions, not events: a command reads past
    the events it leaves alone (the code index's, for a replay) as it goes."""

    def __init__(
        self, stream: TextIO = sys.stderr, every: float = 5.0, label: str = "replay"
    ) -> None:
        self.stream = stream
        self.label = label
        self.interactive = stream.isatty()
        self.every = every if not self.interactive else 0.1
        self.started = time.monotonic()
        self.shown_at = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown_at < self.every and done < total:
            return
        self.shown_at = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        share = done / total if total else 1.0
        figures = (
            f"position {done:,}/{total:,} {share:4.0%}  {rate:,.0f} positions/s  "
            f"{int(left) // 60}:{int(left) % 60:02d} left"
        )
        if self.interactive:
            filled = int(share * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {figures}  ")
        else:
            self.stream.write(f"{self.label}: {figures}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
