"""Faults injected during load, each against servers of the test's own.

PostgreSQL restarted, its connections killed, the active projector killed in
the middle of a catch-up, Redis stopped and started again, and the embedded
SQLite store on a disk that turns read-only or fills up. While the fault
lasts the service answers what it can and 503 for the rest, never 500;
afterwards it has recovered by itself, and the consistency check of the load
test holds: nothing acknowledged is lost, the read table equals a rebuild,
the stream holds each position once.

The SQLite faults mount a filesystem of their own, so they need root: without
it they fail, saying so, rather than skip.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest

from api.bootstrap import Services, bootstrap
from api.settings import Settings
from commands import CreateCliente
from stores import Store, store_from_url
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.load_support import Acknowledged, check_consistency, load
from tests.private_postgres import PrivatePostgres
from tests.private_redis import PrivateRedis
from tests.reliability import REPORT, Category
from tests.server import CLIENTES, Server, bearer, server_env
from tests.support import fields

SECONDS = 12  # of load, per fault
CLIENTS = 6  # concurrent connections
FAULT_AT = 3.0  # seconds into the load
OUTAGE = 2.0  # seconds a stopped server stays down
ACTIVE = "Projection clientes_projection active in this process"
WRITES = {"POST", "PATCH", "DELETE"}
# Why writes answered 503, as logged: the store refused the request's own
# statement, or the projector could not write the change the request waits for.
STORE_DOWN = re.compile(
    r"(?:Store unavailable|Projection \w+ interrupted, retrying until it recovers): ([^\"]+)"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.serial,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(90),
]


def faults() -> Category:
    return REPORT.category(
        __name__,
        "Faults under load",
        f"{CLIENTS} connections for {SECONDS} s each, a fault injected {FAULT_AT:g} s in: "
        "PostgreSQL restarted, its connections killed (pg_terminate_backend), the active "
        "projector SIGKILLed mid-catch-up, Redis stopped and restarted, the SQLite store's "
        "disk turned read-only and filled up. Then the load test's consistency check.",
    )


@pytest.fixture(autouse=True)
def _category() -> None:
    faults()  # open before the first fixture can fail, so that a failure is counted


def run_load(
    url: str, headers: dict[str, str], label: str, fault: Callable[[Acknowledged], object]
) -> Acknowledged:
    """The load, with ``fault`` injected part-way; what was answered while it lasted
    is recorded under ``label``."""
    acked = Acknowledged()

    def injected() -> None:
        try:
            fault(acked)
        finally:
            acked.phase = "after"

    asyncio.run(load(url, headers, SECONDS, CLIENTS, injected, FAULT_AT, acked))
    faults().held.append(
        f"{label}: while it lasted, writes answered {during(acked, writes=True)}, "
        f"reads {during(acked, writes=False)}"
    )
    return acked


def answered(acked: Acknowledged, phase: str, writes: bool) -> set[int]:
    """The statuses of the writes (or the reads) sent in a phase of the load."""
    return {
        status
        for (when, method, status) in acked.phases
        if when == phase and (method in WRITES) == writes
    }


def recovered(category: Category, acked: Acknowledged, label: str) -> None:
    """Writes succeeded again after the fault, with no restart of the service."""
    assert answered(acked, "after", writes=True) & {200, 201, 204}, acked.phases
    category.held.append(f"{label}: writes succeed again after it, with no restart")


def restart_postgres(postgres: PrivatePostgres, acked: Acknowledged) -> int:
    acked.phase = "during"
    postgres.stop()
    time.sleep(OUTAGE)
    postgres.start()
    return 1


def kill_connections(postgres: PrivatePostgres, acked: Acknowledged) -> int:
    acked.phase = "during"
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        for _round in range(3):
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchall()
            faults().counts["connections killed"] += len(killed)
            time.sleep(1)
    return 3


@pytest.mark.parametrize(
    ("label", "fault"),
    [
        ("PostgreSQL restarted", restart_postgres),
        ("PostgreSQL connections killed (pg_terminate_backend)", kill_connections),
    ],
    ids=["restarted", "connections-killed"],
)
def test_postgres_faults_answer_503_meanwhile_and_the_service_recovers_by_itself(
    private_postgres: PrivatePostgres,
    private_postgres_store: Store,
    publishing_env: dict[str, str],
    stream_name: str,
    label: str,
    fault: Callable[[PrivatePostgres, Acknowledged], int],
) -> None:
    category = faults()

    def inject(acked: Acknowledged) -> None:
        category.counts["faults injected"] += fault(private_postgres, acked)

    headers = bearer(private_postgres_store, SECRET, "faults")
    with Server(publishing_env, "--workers", "2") as server:
        acked = run_load(server.url, headers, label, inject)
        recovered(category, acked, label)
        check_consistency(category, acked, server.url, headers, publishing_env, label=label)


@contextmanager
def projector(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], Callable[[], str]]]:
    """A ``clientes project`` process, and what it has logged so far."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(CLIENTES), "project"], env=env, stdout=subprocess.DEVNULL, stderr=log
        )

        def output() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")

        try:
            yield process, output
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a test that failed may have stopped it
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_the_active_projector_killed_mid_catch_up_is_resumed_each_event_applied_once(
    private_postgres_store: Store, publishing_env: dict[str, str], stream_name: str
) -> None:
    category, label = faults(), "projector SIGKILLed mid-catch-up"
    services = bootstrap(
        Settings(store=private_postgres_store, jwt_secret=SECRET), api=False, projector=False
    )
    killed_at: list[int] = []

    def kill_mid_catch_up(acked: Acknowledged) -> None:
        acked.phase = "during"
        # Stopped, the projector falls behind a backlog of several batches; let go,
        # it is killed once it has applied part of it.
        os.kill(active.pid, signal.SIGSTOP)
        seed(services, seconds=2.5)
        start, head = services.position or 0, services.clientes.recorder.max_notification_id() or 0
        os.kill(active.pid, signal.SIGCONT)
        wait_until(lambda: (services.position or 0) > start, timeout=10, what="a batch applied")
        os.kill(active.pid, signal.SIGKILL)
        active.wait()
        killed_at.extend([services.position or 0, head])
        category.counts["faults injected"] += 1
        wait_until(lambda: ACTIVE in standby_log(), timeout=10, what="the standby taking over")

    headers = bearer(private_postgres_store, SECRET, "faults")
    with ExitStack() as stack:
        stack.callback(services.close)
        first, first_log = stack.enter_context(projector(publishing_env))
        second, second_log = stack.enter_context(projector(publishing_env))
        wait_until(lambda: ACTIVE in first_log() + second_log(), what="an active projector")
        active, standby_log = (first, second_log) if ACTIVE in first_log() else (second, first_log)
        server = stack.enter_context(Server(publishing_env, "--workers", "2", "--no-projector"))
        acked = run_load(server.url, headers, label, kill_mid_catch_up)
        position, head = killed_at
        assert position < head, f"killed at {position}, after the catch-up to {head}"
        category.held.append(
            f"{label}: killed at position {position:,} of a backlog up to {head:,}; "
            "the standby resumed from the tracked position"
        )
        recovered(category, acked, label)
        check_consistency(category, acked, server.url, headers, publishing_env, label=label)


def seed(services: Services, seconds: float) -> None:
    """Records Clientes straight through the application, from two threads, for ``seconds``."""
    until = time.monotonic() + seconds

    def write() -> None:
        while time.monotonic() < until:
            services.clientes.execute(CreateCliente(fields(), "seed"))

    writers = [threading.Thread(target=write) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()


def test_redis_stopped_and_restarted_the_publisher_catches_up_each_position_once(
    private_postgres_store: Store, tmp_path: Path
) -> None:
    category, label = faults(), "Redis stopped and restarted"
    private_redis = PrivateRedis(tmp_path)
    private_redis.start()
    stream = "clientes:events"
    env = server_env(
        private_postgres_store,
        SECRET,
        CLIENTES_REDIS_URL=private_redis.url,
        CLIENTES_REDIS_STREAM=stream,
    )

    def restart(acked: Acknowledged) -> None:
        acked.phase = "during"
        private_redis.stop()
        time.sleep(OUTAGE)
        private_redis.start()
        category.counts["faults injected"] += 1

    headers = bearer(private_postgres_store, SECRET, "faults")
    try:
        with Server(env, "--workers", "2") as server:
            acked = run_load(server.url, headers, label, restart)
            assert answered(acked, "during", writes=True) <= {200, 201, 204, 404, 412}
            category.held.append(f"{label}: writes go on while Redis is away")
            check_consistency(category, acked, server.url, headers, env, label=label)
    finally:
        private_redis.kill()


def mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.fail("this fault mounts a filesystem of its own: run the test as root")
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"mount {' '.join(args)} failed: {done.stderr.strip()}")


@contextmanager
def mounted(*args: str) -> Iterator[Path]:
    """A filesystem mounted for the test on a directory of its own; unmounted afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="clientes-fault-"))
    try:
        mount(*args, str(directory))
        try:
            yield directory
        finally:
            subprocess.run(["umount", "-l", str(directory)], check=False)
    finally:
        directory.rmdir()


@contextmanager
def ext4_image(megabytes: int) -> Iterator[Path]:
    """An ext4 image that a kernel error makes read-only, as a failing disk would."""
    with tempfile.TemporaryDirectory(prefix="clientes-disk-") as work:
        image = Path(work) / "disk.img"
        with image.open("wb") as file:
            file.truncate(megabytes * 2**20)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
        yield image


def sqlite_env(directory: Path) -> tuple[Store, dict[str, str]]:
    store = store_from_url(f"sqlite:///{directory}/clientes.sqlite3")
    return store, server_env(store, SECRET)


def intact(database: Path) -> bool:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return bool(conn.execute("PRAGMA integrity_check").fetchone() == ("ok",))


def refused_writes_served_reads(
    category: Category, acked: Acknowledged, label: str, refused: set[int]
) -> None:
    """While the fault lasted, writes were refused with 503 (any other answer to a
    write is one of ``refused``) and every read was served."""
    writes, reads = answered(acked, "during", True), answered(acked, "during", False)
    assert 503 in writes, acked.phases
    assert writes <= {503, *refused}, acked.phases
    assert reads, acked.phases
    assert reads <= {200, 404}, acked.phases
    others = f" (or {', '.join(map(str, sorted(refused)))})"
    category.held.append(
        f"{label}: while it lasted, writes answered 503{others}; every read served"
    )


def said_why(category: Category, label: str, server: Server) -> None:
    """The service logged why it answered 503, in the store's own words."""
    output = server.output()
    reasons = sorted(set(STORE_DOWN.findall(output)))
    assert reasons, output[-2000:]
    category.held.append(f"{label}: the log says why: {'; '.join(reasons)}")


def during(acked: Acknowledged, writes: bool) -> dict[int, int]:
    counted: Counter[int] = Counter()
    for (when, method, status), n in acked.phases.items():
        if when == "during" and (method in WRITES) == writes:
            counted[status] += n
    return dict(sorted(counted.items()))


def test_sqlite_on_a_disk_turned_read_only_refuses_writes_and_serves_reads() -> None:
    category, label = faults(), "SQLite disk turned read-only"
    with ext4_image(32) as image, ExitStack() as stack:
        directory = stack.enter_context(mounted("-o", "loop,errors=remount-ro", str(image)))
        device = Path(
            subprocess.run(
                ["findmnt", "-n", "-o", "SOURCE", str(directory)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        store, env = sqlite_env(directory)
        headers = bearer(store, SECRET, "faults")

        def fail_the_disk(acked: Acknowledged) -> None:
            # ext4 reacts to an error by making itself read-only (errors=remount-ro).
            Path(f"/sys/fs/ext4/{device.name}/trigger_fs_error").write_text("injected fault\n")
            acked.phase = "during"
            category.counts["faults injected"] += 1
            time.sleep(SECONDS - FAULT_AT)  # read-only to the end of the load

        with Server(env) as server:
            acked = run_load(server.url, headers, label, fail_the_disk)
            said_why(category, label, server)
        refused_writes_served_reads(category, acked, label, refused={404, 412})

        # The disk mended (unmounted, checked, mounted again): nothing was damaged.
        subprocess.run(["umount", str(directory)], check=True)
        subprocess.run(["e2fsck", "-fy", str(image)], capture_output=True, check=False)
        mount("-o", "loop", str(image), str(directory))
        assert intact(directory / "clientes.sqlite3")
        category.held.append(f"{label}: the database passes PRAGMA integrity_check")
        with Server(env) as server:
            check_consistency(category, acked, server.url, headers, env, label=label)


def test_sqlite_on_a_full_disk_refuses_writes_serves_reads_and_recovers() -> None:
    category, label = faults(), "SQLite disk full"
    with mounted("-t", "tmpfs", "-o", "size=24m", "tmpfs") as directory:
        store, env = sqlite_env(directory)
        headers = bearer(store, SECRET, "faults")
        filler = directory / "filler"

        def fill_the_disk(acked: Acknowledged) -> None:
            with filler.open("wb", buffering=0) as file:
                try:
                    while True:
                        file.write(b"\0" * 2**20)
                except OSError:
                    pass  # no space left: the disk is full
            acked.phase = "during"
            category.counts["faults injected"] += 1
            time.sleep(OUTAGE * 2)
            filler.unlink()

        with Server(env) as server:
            acked = run_load(server.url, headers, label, fill_the_disk)
            # SQLite writes on in the pages its write-ahead log already has.
            refused_writes_served_reads(category, acked, label, refused={200, 201, 204, 404, 412})
            said_why(category, label, server)
            recovered(category, acked, label)
            assert intact(directory / "clientes.sqlite3")
            category.held.append(f"{label}: the database passes PRAGMA integrity_check")
            check_consistency(category, acked, server.url, headers, env, label=label)
