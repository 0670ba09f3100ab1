"""A benchmark stopped half way, by Ctrl-C or by SIGTERM, leaves nothing behind: every
server, Redis and wrk it started is gone, and so is its database."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from bench.database import SERVER_URL, conninfo
from bench.profile import children, command_name
from tests.events_support import wait_until

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *_descendants(child)]
    return found


def _database_of(pids: list[int]) -> str | None:
    """The run's database, as its servers were told it."""
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in environ:
            if entry.startswith(b"CLIENTES_DATABASE_URL="):
                return entry.decode().rsplit("/", 1)[1]
    return None


def _databases() -> set[str]:
    with psycopg.connect(conninfo(SERVER_URL)) as conn:
        rows = conn.execute("SELECT datname FROM pg_database").fetchall()
    return {name for (name,) in rows}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_run_stopped_half_way_leaves_no_process_and_no_database(
    tmp_path: Path, signum: signal.Signals
) -> None:
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench.run", "--quick", "--sizes", "200", "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        started: list[int] = []
        # Until both servers, the projector, Redis and a wrk are running.
        while time.monotonic() < deadline and not (
            "wrk" in {command_name(pid) for pid in started} and len(started) >= 5
        ):
            time.sleep(0.2)
            started = _descendants(bench.pid)
        assert "wrk" in {command_name(pid) for pid in started}, [
            command_name(pid) for pid in started
        ]
        database = _database_of(started)
        assert database in _databases()

        bench.send_signal(signum)
        bench.wait(timeout=60)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()

    # A process killed a moment ago may still be reaped.
    wait_until(
        lambda: not [pid for pid in started if Path(f"/proc/{pid}").exists()],
        timeout=10,
        what="every process of the run to end",
    )
    assert database not in _databases()
