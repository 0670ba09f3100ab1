"""What the run's processes cost, read from /proc: CPU time, peak memory, and a CPU
calibration that tells a machine slower at the end of a run than at its start."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")
CALIBRATION_LOOP = 3_000_000


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (field 3 onwards)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def command_name(pid: int) -> str:
    """The process's command name (/proc/PID/comm), or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pids() -> Iterable[int]:
    return (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())


def children(pid: int) -> list[int]:
    found = []
    for child in _pids():
        fields = _stat(child)
        if fields is not None and int(fields[1]) == pid:
            found.append(child)
    return found


def family(pid: int) -> list[int]:
    """``pid`` and its children (the workers uvicorn spawns)."""
    return [pid, *children(pid)]


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU the processes have used (the live ones)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_pids(conninfo: str) -> list[int]:
    """PostgreSQL's processes that work for the run: the sessions of its database and
    the server's own (WAL writer, checkpointer, ...), not other databases' sessions, as
    the server may be shared. A session that ends within a window takes its CPU with it."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE (datname = current_database() OR datname IS NULL)"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows if command_name(pid) == "postgres"]


def cpu_meter(processes: dict[str, Callable[[], list[int]]]) -> Callable[[], dict[str, float]]:
    """A reading of the CPU seconds of each named group of processes."""

    def read() -> dict[str, float]:
        return {name: cpu_seconds(pids()) for name, pids in processes.items()}

    return read


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def calibrate() -> float:
    """Milliseconds of a fixed pure-Python loop, the best of five: the same figure before
    and after a run says the machine ran it at one speed."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(CALIBRATION_LOOP):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)
