"""Where a run's figures come from: the code, the stack, PostgreSQL's settings, the machine."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

import psycopg

from bench.database import conninfo

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("litestar", "msgspec", "eventsourcing", "psycopg", "psycopg-pool", "uvicorn", "redis")
POSTGRES_SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "max_connections",
    "synchronous_commit",
    "fsync",
    "full_page_writes",
    "wal_level",
    "max_wal_size",
    "checkpoint_timeout",
    "random_page_cost",
    "jit",
    "max_parallel_workers_per_gather",
)


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def code() -> dict[str, object]:
    """The commit the run measured, and whether the tree held changes not in it."""
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD") or "unknown",
        "short": _git("rev-parse", "--short", "HEAD") or "unknown",
        "clean": not changed,
        "changed": [line[3:] for line in changed.splitlines()],
    }


def stack() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in LIBRARIES},
        "wrk": _wrk_version(),
    }


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split(" [")[0].removeprefix("wrk ").strip()


def postgres(url: str) -> dict[str, str]:
    with psycopg.connect(conninfo(url)) as conn:
        return {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in POSTGRES_SETTINGS
        }


def machine() -> dict[str, str]:
    model = next(
        (
            text.split(":", 1)[1].strip()
            for text in Path("/proc/cpuinfo").read_text().splitlines()
            if text.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory_kb = next(
        int(text.split()[1])
        for text in Path("/proc/meminfo").read_text().splitlines()
        if text.startswith("MemTotal:")
    )
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{memory_kb / 1024**2:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
