"""The tables the load reads: the read table, rebuilt by ``clientes replay`` from the
seeded events, and the baseline's, filled with the same rows."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import crud, reading, seed
from bench.database import conninfo
from bench.servers import ROOT

CLIENTES = Path(sys.executable).with_name("clientes")


@dataclass(frozen=True)
class Replayed:
    """The replay's figures, and its baseline's, each counting only the events it read."""

    stored: int  # the events in the store, the code index's included
    read: int  # those the replay read and applied: the Cliente events
    seconds: float
    reading_read: int  # those bench/reading.py read and decoded, the same Cliente events
    reading_seconds: float

    @property
    def events_per_s(self) -> float:
        """The Cliente events the replay read, decoded and applied, per second."""
        return self.read / self.seconds

    @property
    def reading_events_per_s(self) -> float:
        """The same events read and decoded alone, per second: the replay's baseline."""
        return self.reading_read / self.reading_seconds

    @property
    def of_reading(self) -> float:
        """The replay's rate over its baseline's."""
        return self.events_per_s / self.reading_events_per_s

    def as_dict(self) -> dict[str, float]:
        return {
            **vars(self),
            "events_per_s": round(self.events_per_s),
            "reading_events_per_s": round(self.reading_events_per_s),
            "of_reading": round(self.of_reading, 3),
        }


def replay(url: str, env: dict[str, str]) -> Replayed:
    """Runs ``clientes replay``, then its baseline (bench/reading.py, after it, so with
    whatever the replay left in the caches), and reads their figures from their last lines."""
    stored = seed.stored_events(url)
    read, seconds = _figures([str(CLIENTES), "replay"], env, "Rebuilt from")
    alone = [sys.executable, "-m", "bench.reading", url]
    reading_read, reading_seconds = _figures(alone, {**env, "PYTHONPATH": str(ROOT)}, reading.MARK)
    return Replayed(stored, read, seconds, reading_read, reading_seconds)


def _figures(command: list[str], env: dict[str, str], mark: str) -> tuple[int, float]:
    """The events and the seconds of the line "{mark} N [Cliente] events in S s" that
    ``command`` prints."""
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800
    )
    found = re.search(rf"{mark} ([\d,]+) (?:Cliente )?events in ([\d.]+) s", done.stdout)
    if found is None:
        raise RuntimeError(f"{' '.join(command)} said: {done.stdout}{done.stderr}")
    events, seconds = found.groups()
    return int(events.replace(",", "")), float(seconds)


def fill_baseline(url: str) -> None:
    """The baseline's table holds the same rows as the read table, and only those."""
    # The read table holds vigente Clientes only, and no column that says so.
    columns = ", ".join(c for c in crud.COLUMNS if c != "vigente")
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute(crud.CREATE_TABLE)
        conn.execute(f"TRUNCATE {crud.TABLE}")
        conn.execute(f"INSERT INTO {crud.TABLE} ({columns}) SELECT {columns} FROM clientes")
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{crud.TABLE}', 'id'),"
            f" (SELECT coalesce(max(id), 0) + 1 FROM {crud.TABLE}), false)"
        )
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {crud.TABLE}")
        conn.execute("VACUUM ANALYZE clientes")
