"""`clientes project --health`: the projector's health check, as a container runs it."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from api.cli.project_status import STALE, ProjectionStatus, Status, problems
from stores import Store, store_from_url
from tests.cli_support import clientes
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.server import CLIENTES, server_env

pytestmark = pytest.mark.slow


class Project:
    """A `clientes project` writing its status to its own file."""

    def __init__(self, store: Store, status: Path) -> None:
        self.status = status
        self.env = server_env(store, SECRET)
        self.process = subprocess.Popen(
            [str(CLIENTES), "project", "--status-file", str(status)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def health(self) -> subprocess.CompletedProcess[str]:
        return clientes("project", "--health", "--status-file", str(self.status), env=self.env)

    def says(self, words: str) -> bool:
        checked = self.health()
        return checked.returncode == 0 and words in checked.stdout

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)


@pytest.fixture
def projects(tmp_path: Path) -> Iterator[list[Project]]:
    started: list[Project] = []
    yield started
    for project in started:
        project.stop()


def test_a_projector_is_healthy_active_or_standing_by_and_gone_once_stopped(
    postgres_store: Store, tmp_path: Path, projects: list[Project]
) -> None:
    first = Project(postgres_store, tmp_path / "first.status")
    projects.append(first)
    wait_until(lambda: first.says("clientes active"), timeout=20, what="the first active")
    second = Project(postgres_store, tmp_path / "second.status")
    projects.append(second)
    wait_until(lambda: second.says("clientes standing by"), timeout=20, what="a standby")
    assert f"(pid {second.process.pid})" in second.health().stdout

    first.stop()
    gone = first.health()
    assert gone.returncode == 1
    assert gone.stderr.startswith("clientes project unhealthy: no status in ")
    wait_until(lambda: second.says("clientes active"), timeout=20, what="the take-over")


def test_the_embedded_store_s_projector_is_healthy_too(
    tmp_path: Path, projects: list[Project]
) -> None:
    store = store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    project = Project(store, tmp_path / "project.status")
    projects.append(project)
    wait_until(lambda: project.says("clientes active"), timeout=20, what="the projector")


NOW = 1_800_000_000.0  # the time the check runs at


def status(written_ago: float, *projections: tuple[str, str, float]) -> Status:
    return Status(
        pid=7,
        written_at=NOW - written_ago,
        projections=[ProjectionStatus(n, s, NOW - ago) for n, s, ago in projections],
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (status(1, ("clientes", "active", 1), ("redis", "standing by", 2)), []),
        (status(STALE + 5, ("clientes", "active", 1)), ["the status was written 35 s ago"]),
        (
            status(1, ("clientes", "interrupted", 1)),
            ["projection clientes is interrupted, retrying"],
        ),
        (
            status(1, ("clientes", "active", 1), ("redis", "active", STALE + 10)),
            ["projection redis has not gone round its loop for 40 s"],
        ),
    ],
    ids=["healthy", "old file", "interrupted", "stuck thread"],
)
def test_a_status_is_unhealthy_when_old_interrupted_or_stuck(
    tmp_path: Path, written: Status, expected: list[str]
) -> None:
    path = tmp_path / "project.status"
    path.write_bytes(msgspec.json.encode(written))
    found, state = problems(path, NOW)
    assert found == expected
    assert state.startswith("clientes project (pid 7): clientes ")


def test_a_missing_or_garbled_status_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "project.status"
    assert problems(path, time.time())[0][0].startswith(f"no status in {path}")
    path.write_text("{not json")
    assert problems(path, time.time())[0][0].startswith(f"the status in {path} cannot be read")
