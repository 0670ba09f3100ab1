"""`clientes serve`: /metrics sums both workers; every request is one JSON log line, unless
CLIENTES_ACCESS_LOG is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli.serve import sweep_metrics_directories
from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import store_from_url
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.server import Server, server_env
from tests.support import body
from tests.test_http_operations import samples

pytestmark = pytest.mark.slow

MAX_CREATES = 200  # enough for both workers to have answered some


def access_lines(server: Server) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "clientes.access"]


def posts(server: Server) -> list[dict[str, Any]]:
    return [line for line in access_lines(server) if line["method"] == "POST"]


def test_metrics_sum_the_counts_of_both_workers_and_show_the_projection(tmp_path: Path) -> None:
    store = store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "ops", f"{READ} {WRITE}", 600)
    headers = {"Authorization": f"Bearer {token}"}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = server_env(store, SECRET, TMPDIR=str(scratch))
    with Server(env, "--workers", "2") as server:
        assert [path.name[:17] for path in scratch.iterdir()] == ["clientes-metrics-"]
        creates = 0
        while creates < MAX_CREATES:
            # A connection each, so that either worker may take it.
            response = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers)
            assert response.status_code == 201, response.text
            creates += 1
            if creates >= 10 and len({line["pid"] for line in posts(server)}) == 2:
                break
        assert len({line["pid"] for line in posts(server)}) == 2, "one worker took every create"
        # A request is counted (and logged) as its response ends: wait for the last one's line.
        wait_until(lambda: len(posts(server)) == creates, timeout=5, what="every create counted")

        for _ in range(4):  # whichever worker answers the scrape, the totals are the same
            scraped = samples(httpx.get(f"{server.url}/metrics").text)
            assert scraped['clientes_commands_total{command="create",outcome="ok"}'] == creates
            post = '{method="POST",route="/api/clientes",status="201"}'
            assert scraped[f"clientes_http_requests_total{post}"] == creates
            duration = '{method="POST",route="/api/clientes"}'
            assert scraped[f"clientes_http_request_duration_seconds_count{duration}"] == creates
            head = scraped["clientes_event_store_position"]
            assert head >= creates
            assert scraped['clientes_projection_position{projection="clientes"}'] == head
            assert scraped['clientes_projection_lag_events{projection="clientes"}'] == 0

        lines = access_lines(server)
        assert all(
            {"request_id", "method", "route", "status", "duration_ms"} <= line.keys()
            for line in lines
        )
        reads = httpx.get(
            f"{server.url}/api/clientes/1", headers={**headers, "X-Request-ID": "r-7"}
        )
        assert reads.headers["X-Request-ID"] == "r-7"

        def tagged() -> list[tuple[str, int]]:
            lines = [line for line in access_lines(server) if line["request_id"] == "r-7"]
            return [(line["route"], line["status"]) for line in lines]

        # The line is written as the response goes: wait for it, not for the response.
        wait_until(lambda: tagged() == [("/api/clientes/{cliente_id}", 200)], timeout=5)

        # A HEAD is answered by the GET's route, and counted and logged under it.
        httpx.head(f"{server.url}/api/clientes/1", headers={**headers, "X-Request-ID": "h-1"})
        wait_until(
            lambda: (
                [
                    (line["method"], line["route"])
                    for line in access_lines(server)
                    if line["request_id"] == "h-1"
                ]
                == [("HEAD", "/api/clientes/{cliente_id}")]
            ),
            timeout=5,
        )
    assert list(scratch.iterdir()) == []  # the workers' counters go with the service


def test_with_the_access_log_off_requests_are_answered_and_counted_but_not_logged(
    tmp_path: Path,
) -> None:
    store = store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "ops", f"{READ} {WRITE}", 600)
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "quiet-1"}
    env = server_env(store, SECRET, CLIENTES_ACCESS_LOG="off")
    with Server(env) as server:
        created = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers)
        assert created.status_code == 201, created.text
        assert created.headers["X-Request-ID"] == "quiet-1"

        def counted() -> float:
            scraped = samples(httpx.get(f"{server.url}/metrics").text)
            return scraped.get(
                'clientes_http_requests_total{method="POST",route="/api/clientes",status="201"}', 0
            )

        wait_until(lambda: counted() == 1, timeout=5, what="the create counted")
        logged = [json.loads(line) for line in server.output().splitlines() if line[:1] == "{"]
        assert any(line["logger"] == "uvicorn.error" for line in logged)  # the log is written
        assert access_lines(server) == []


def test_serve_removes_the_metrics_directories_of_killed_serves(tmp_path: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])  # its pid is free once it ends
    finished.wait()
    of_the_dead = tmp_path / f"clientes-metrics-{finished.pid}-abc"
    of_the_living = tmp_path / f"clientes-metrics-{os.getpid()}-def"
    for directory in (of_the_dead, of_the_living):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"")
    sweep_metrics_directories(tmp_path)
    assert list(tmp_path.iterdir()) == [of_the_living]
