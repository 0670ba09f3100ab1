"""The tables the load reads: the read table, rebuilt by ``clientes replay`` from the
seeded events, and the baseline's, filled with the same rows."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import crud, seed
from bench.database import conninfo

CLIENTES = Path(sys.executable).with_name("clientes")


@dataclass(frozen=True)
class Replayed:
    stored: int  # the events in the store, the code index's included
    read: int  # those the replay read: the Cliente events, and any stored during it
    seconds: float

    @property
    def events_per_s(self) -> float:
        """The store's events gone through per second."""
        return self.stored / self.seconds


def replay(url: str, env: dict[str, str]) -> Replayed:
    """Runs ``clientes replay`` and reads its figures from the line it ends with."""
    stored = seed.stored_events(url)
    done = subprocess.run(
        [str(CLIENTES), "replay"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    found = re.search(r"Rebuilt from ([\d,]+) events in ([\d.]+) s", done.stdout)
    if found is None:
        raise RuntimeError(f"clientes replay said: {done.stdout}{done.stderr}")
    read, seconds = found.groups()
    return Replayed(stored, int(read.replace(",", "")), float(seconds))


def fill_baseline(url: str) -> None:
    """The baseline's table holds the same rows as the read table, and only those."""
    columns = ", ".join(crud.COLUMNS)
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
