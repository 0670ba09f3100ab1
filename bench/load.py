"""Driving the load: wrk, a separate process, with a scenario script of bench/wrk/.

wrk is a C program that costs the two cores little, and it is time-based: a
sample is a window of so many seconds. A window that ends before a slow route
has answered a few times measures nothing, so the method (bench/method.py)
sizes each cell's window from its warm-up, for every sample of both sides to
complete at least a given number of requests, and a sample that completes fewer
is reported as short and not scored.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
MARK = "BENCH-RESULT "


@dataclass
class Measured:
    """One sample: one side of a cell (scenario, size, connections) over one window."""

    scenario: str
    side: str  # "service", "baseline"; for the Idempotency-Key pairs "keyed", "plain"
    connections: int
    size: int  # vigente Clientes seeded
    order: int = 0  # its place in the cell's sequence of samples
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    outcome: str = "ok"  # or "short: ...", "failed: ...", "skipped: ..."
    first_ms: float | None = None  # the slowest of the first asks, before the measurement
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per request, per process

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
    # A search: its probe must count fewer Clientes than the list holds, or it did not filter.
    filters: bool = False
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


def refusal(load: Load, status: int, body: bytes, listed: Callable[[], int]) -> str | None:
    """Why the probe shows the scenario cannot be measured, if it does; ``listed`` is
    how many Clientes the unfiltered list counts."""
    if not 200 <= status < 300:
        return f"answered {status}"
    if load.filters:
        total, everyone = json.loads(body).get("totalElements"), listed()
        if not isinstance(total, int) or total >= everyone:
            return f"answered {status} without filtering (totalElements {total} of {everyone})"
    return None


def run_wrk(
    base_url: str,
    token: str,
    load: Load,
    measured: Measured,
    seconds: int,
    *,
    min_requests: int = 1,
    cpu: Callable[[], dict[str, float]] | None = None,
) -> Measured:
    """Runs wrk for ``seconds`` and fills ``measured`` with what it reports: fewer than
    ``min_requests`` answered make it short. ``cpu`` gives the CPU seconds each process
    has used so far, read before and after."""
    status, body = probe(base_url, token, load)

    def listed() -> int:
        _, everyone = probe(
            base_url, token, replace(load, probe=("GET", "/api/clientes?size=1", b""))
        )
        return int(json.loads(everyone)["totalElements"])

    if reason := refusal(load, status, body, listed):
        measured.outcome = f"skipped: {reason}"
        measured.statuses = {str(status): 1}
        return measured
    measured.first_ms = ask_first(base_url, token, load)
    command = [
        "wrk",
        f"--threads={min(2, measured.connections)}",
        f"--connections={measured.connections}",
        f"--duration={seconds}s",
        "--timeout=30s",
        f"--header=Authorization: Bearer {token}",
        "--header=Content-Type: application/json",
        f"--script={SCRIPTS / load.script}",
        base_url,
        "--",
        *load.args,
    ]
    before = cpu() if cpu else {}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 60
        )
    except subprocess.TimeoutExpired:
        measured.outcome = "failed: wrk did not finish"
        return measured
    after = cpu() if cpu else {}
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
    if measured.requests:
        measured.cpu_ms = {
            name: round((after[name] - before[name]) * 1000 / measured.requests, 3)
            for name in after
            if name in before
        }
    refused = {s: n for s, n in measured.statuses.items() if not s.startswith("2")}
    if sum(refused.values()) > 0.01 * measured.requests:  # a stray conflict is not a failure
        measured.outcome = f"failed: answered {refused}"
    elif measured.requests < min_requests:
        measured.outcome = f"short: {measured.requests} requests, fewer than {min_requests}"
    return measured
