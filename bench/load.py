"""Driving the load: wrk, a separate process, with a scenario script of bench/wrk/."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
MARK = "BENCH-RESULT "


@dataclass
class Measured:
    """One scenario against one target at one number of connections."""

    scenario: str
    target: str  # "service" or "baseline"
    connections: int
    size: int  # vigente Clientes seeded
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    outcome: str = "ok"  # or "failed: ..." or "skipped: ..."
    first_ms: float | None = None  # the slowest of the first asks, before the measurement

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "req_per_s": round(self.rate, 1)}


@dataclass(frozen=True)
class Load:
    """A wrk run: ``script`` in bench/wrk/ with its ``args``."""

    script: str
    args: tuple[str, ...] = ()
    probe: tuple[str, str, bytes] = ("GET", "/api/clientes", b"")  # method, path, body
    # For a search: its probe must count fewer Clientes than this, or it did not filter.
    fewer_than: int | None = None
    # Asked twice, one at a time, before the measurement: a search's steady state is the
    # one after its first (the table keeps the count of a common term from then on).
    asked_first: tuple[str, ...] = ()


def probe(base_url: str, token: str, load: Load) -> tuple[int, bytes]:
    """The status and body of one request like the scenario's, to tell a route that
    refuses it, or ignores what it is asked."""
    method, path, body = load.probe
    request = urllib.request.Request(
        base_url + path,
        data=body or None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""


def ask_first(base_url: str, token: str, load: Load) -> float | None:
    """Asks each of ``load.asked_first`` twice, one at a time; the slowest first ask's ms."""
    if not load.asked_first:
        return None
    first: list[float] = []
    for attempt in range(2):
        for path in load.asked_first:
            started = time.perf_counter()
            probe(base_url, token, replace(load, probe=("GET", path, b"")))
            if attempt == 0:
                first.append((time.perf_counter() - started) * 1000)
    return max(first)


def refusal(load: Load, status: int, body: bytes) -> str | None:
    """Why the probe shows the scenario cannot be measured, if it does."""
    if not 200 <= status < 300:
        return f"answered {status}"
    if load.fewer_than is not None:
        total = json.loads(body).get("totalElements")
        if not isinstance(total, int) or total >= load.fewer_than:
            return f"answered {status} without filtering (totalElements {total})"
    return None


def run_wrk(base_url: str, token: str, load: Load, measured: Measured, seconds: float) -> Measured:
    """Runs wrk for ``seconds`` and fills ``measured`` with what it reports."""
    status, body = probe(base_url, token, load)
    if reason := refusal(load, status, body):
        measured.outcome = f"skipped: {reason}"
        measured.statuses = {str(status): 1}
        return measured
    measured.first_ms = ask_first(base_url, token, load)
    command = [
        "wrk",
        f"--threads={min(2, measured.connections)}",
        f"--connections={measured.connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--header=Authorization: Bearer {token}",
        "--header=Content-Type: application/json",
        f"--script={SCRIPTS / load.script}",
        base_url,
        "--",
        *load.args,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 60
        )
    except subprocess.TimeoutExpired:
        measured.outcome = "failed: wrk did not finish"
        return measured
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        measured.outcome = f"failed: wrk exited {done.returncode}: {done.stderr.strip()[:200]}"
        return measured
    figures = json.loads(lines[-1].removeprefix(MARK))
    measured.requests = figures["requests"]
    measured.seconds = figures["duration_us"] / 1e6
    measured.p50_ms = figures["p50_us"] / 1000
    measured.p99_ms = figures["p99_us"] / 1000
    measured.max_ms = figures["max_us"] / 1000
    measured.statuses = dict(sorted(figures["statuses"].items()))
    measured.socket_errors = figures["socket_errors"]
    refused = {s: n for s, n in measured.statuses.items() if not s.startswith("2")}
    if sum(refused.values()) > 0.01 * measured.requests:  # a stray conflict is not a failure
        measured.outcome = f"failed: answered {refused}"
    return measured
