"""Reading one's writes, and readiness, when the projector is and is not running."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.bootstrap import build_projector
from api.http.app import create_app
from api.settings import Settings
from projections import ClientesProjection
from projections.stall import StallWatch
from tests.support import body

Client = TestClient[Any]


@pytest.fixture
def client_without_projector(settings: Settings) -> Iterator[Client]:
    quick = Settings(store=settings.store, jwt_secret=settings.jwt_secret, write_timeout=0.3)
    with TestClient(create_app(quick, projector=False)) as client:
        client.app.state.services.stall = StallWatch(stall_after=0.2)
        yield client


def test_a_write_is_readable_by_the_next_request(client: Client, auth: dict[str, str]) -> None:
    for _ in range(20):
        created = client.post("/api/clientes", json=body(), headers=auth).json()
        assert client.get(f"/api/clientes/{created['id']}", headers=auth).status_code == 200


def test_ready_when_the_projection_keeps_up(client: Client, auth: dict[str, str]) -> None:
    client.post("/api/clientes", json=body(), headers=auth)
    response = client.get("/ready")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ready"
    assert report["checks"]["eventStore"]["ok"] is True
    table = report["checks"]["readTable"]
    assert (table["ok"], table["lagEvents"], table["lagSeconds"], table["running"]) == (
        True,
        0,
        0.0,
        True,
    )


def test_with_no_projector_a_write_answers_503_at_once_saying_so_and_stays_recorded(
    client_without_projector: Client, auth: dict[str, str]
) -> None:
    started = time.monotonic()
    response = client_without_projector.post("/api/clientes", json=body(), headers=auth)
    assert time.monotonic() - started < 1.0  # not the write timeout of 5 s by default
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    assert "no projector is running" in response.json()["detail"]
    services = client_without_projector.app.state.services
    assert services.clientes.get_vigente(1).datos.nombre == "Juana Quispe"


def test_with_no_projector_the_service_is_not_ready_until_one_runs(
    client_without_projector: Client, auth: dict[str, str]
) -> None:
    client = client_without_projector
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    table = response.json()["checks"]["readTable"]
    assert (table["ok"], table["running"], table["detail"]) == (
        False,
        False,
        "no projector is running",
    )
    services = client.app.state.services
    projector = build_projector(services.settings.store, services.clientes, services.view)
    projector.start()
    try:
        assert client.post("/api/clientes", json=body(), headers=auth).status_code == 201
        assert client.get("/ready").status_code == 200
    finally:
        projector.stop()


def test_ready_reports_a_projector_that_stopped_behind_the_events(
    client_without_projector: Client, auth: dict[str, str]
) -> None:
    client = client_without_projector
    services = client.app.state.services
    stuck = services.settings.store.lock(ClientesProjection.name)
    assert stuck.acquire()  # a projector that holds its role and applies nothing
    try:
        client.post("/api/clientes", json=body(), headers=auth)
        response = client.get("/ready")
        assert response.status_code == 200  # behind, not yet stalled
        assert response.json()["checks"]["readTable"]["lagEvents"] > 0
        time.sleep(0.3)  # a stall is time passing without progress: nothing to wait on but time
        response = client.get("/ready")
        assert response.status_code == 503
        table = response.json()["checks"]["readTable"]
        assert table["detail"] == "the projection has stopped behind the events"
        assert table["lagSeconds"] > 0.2
    finally:
        stuck.release()
