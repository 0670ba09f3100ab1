"""`clientes serve --workers 2`: /metrics sums both workers; every request is one JSON log line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from api.auth import READ, WRITE, mint_token
from api.settings import Settings, store_from_url
from tests.conftest import SECRET
from tests.server import Server, server_env
from tests.support import body
from tests.test_http_operations import samples

MAX_CREATES = 200  # enough for both workers to have answered some


def access_lines(server: Server) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "clientes.access"]


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
            posts = [line for line in access_lines(server) if line["method"] == "POST"]
            if creates >= 10 and len({line["pid"] for line in posts}) == 2:
                break
        pids = {line["pid"] for line in access_lines(server) if line["method"] == "POST"}
        assert len(pids) == 2, "one worker answered every create"

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
        tagged = [line for line in access_lines(server) if line["request_id"] == "r-7"]
        assert [(t["route"], t["status"]) for t in tagged] == [("/api/clientes/{cliente_id}", 200)]
    assert list(scratch.iterdir()) == []  # the workers' counters go with the service
