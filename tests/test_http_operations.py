"""What operators rely on, through the test client: request ids, CORS, secret rotation,
/metrics and /ready."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import msgspec
import pytest
from litestar.testing import TestClient

from api.http.app import create_app
from api.http.auth import READ, WRITE
from api.settings import Settings
from stores import store_from_url
from tests.conftest import REDIS_URL, SECRET
from tests.events_support import wait_until
from tests.server import free_port
from tests.support import body

Client = TestClient[Any]
PREVIOUS = "previous-secret-" + "p" * 40


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """These concern the web layer, whatever the store: the embedded one is enough."""
    return Settings(store=store_from_url(f"sqlite:///{tmp_path}/ops.sqlite3"), jwt_secret=SECRET)


def client_for(settings: Settings, **changes: Any) -> Client:
    return TestClient(create_app(msgspec.structs.replace(settings, **changes)))


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[Client]:
    with client_for(sqlite_settings) as test_client:
        yield test_client


def bearer(secret: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": "ana", "scope": f"{READ} {WRITE}", "iat": now, "exp": now + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


class TestRequestIds:
    def test_the_callers_id_comes_back(self, client: Client) -> None:
        response = client.get("/health", headers={"X-Request-ID": "order 66/a-b_c"})
        assert response.headers["X-Request-ID"] == "order 66/a-b_c"

    @pytest.mark.parametrize("given", [None, b"x" * 201, "caf\u00e9".encode(), b"tab\there"])
    def test_a_missing_or_unfit_id_is_replaced_by_a_new_one(
        self, client: Client, given: bytes | None
    ) -> None:
        headers = {} if given is None else {b"X-Request-ID": given}
        first = client.get("/health", headers=headers).headers["X-Request-ID"]
        second = client.get("/health", headers=headers).headers["X-Request-ID"]
        assert first != second
        assert 1 <= len(first) <= 200

    def test_errors_carry_the_id_too(self, client: Client) -> None:
        for response in (
            client.get("/api/clientes", headers={"X-Request-ID": "r-1"}),  # 401
            client.get("/no/such/route", headers={"X-Request-ID": "r-1"}),  # 404
        ):
            assert response.headers["X-Request-ID"] == "r-1"


class TestCors:
    def test_without_origins_there_are_no_cors_headers(self, client: Client) -> None:
        response = client.get("/health", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in response.headers

    def test_a_configured_origin_may_call_from_a_browser(self, sqlite_settings: Settings) -> None:
        allowed = ("https://app.example",)
        with client_for(sqlite_settings, cors_origins=allowed) as client:
            preflight = client.options(
                "/api/clientes",
                headers={
                    "Origin": "https://app.example",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert preflight.headers["access-control-allow-origin"] == "https://app.example"
            other = client.get("/health", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers


class TestSecretRotation:
    def test_tokens_of_the_previous_secret_are_accepted_while_it_is_configured(
        self, sqlite_settings: Settings
    ) -> None:
        with client_for(sqlite_settings, jwt_previous_secret=PREVIOUS) as client:
            assert client.get("/api/clientes", headers=bearer(PREVIOUS)).status_code == 200
            assert client.get("/api/clientes", headers=bearer(SECRET)).status_code == 200
            other = client.get("/api/clientes", headers=bearer("another-" + "o" * 40))
            assert other.status_code == 401
            assert other.json()["detail"] == "bad signature"

    def test_they_are_refused_once_it_is_removed(self, client: Client) -> None:
        refused = client.get("/api/clientes", headers=bearer(PREVIOUS))
        assert refused.status_code == 401
        assert refused.json()["detail"] == "bad signature"


def samples(text: str) -> dict[str, float]:
    """The samples of a Prometheus text page, by name and labels."""
    lines = (line.rpartition(" ") for line in text.splitlines() if not line.startswith("#"))
    return {name: float(value) for name, _, value in lines if name}


class TestMetrics:
    def test_requests_and_commands_are_counted_by_route_template(self, client: Client) -> None:
        auth = bearer(SECRET)
        before = samples(client.get("/metrics").text)
        created = client.post("/api/clientes", json=body(), headers=auth).json()
        client.get(f"/api/clientes/{created['id']}", headers=auth)
        client.post("/api/clientes", json={"nombre": ""}, headers=auth)
        client.delete("/api/clientes/999999", headers=auth)
        after = samples(client.get("/metrics").text)

        def added(name: str) -> float:
            return after.get(name, 0.0) - before.get(name, 0.0)

        read = '{method="GET",route="/api/clientes/{cliente_id}",status="200"}'
        assert added(f"clientes_http_requests_total{read}") == 1
        assert added('clientes_commands_total{command="create",outcome="ok"}') == 1
        assert added('clientes_commands_total{command="create",outcome="invalid"}') == 1
        assert added('clientes_commands_total{command="deactivate",outcome="not_found"}') == 1
        assert not any(f"/api/clientes/{created['id']}" in name for name in after)
        assert (
            after['clientes_projection_position{projection="clientes"}']
            == after["clientes_event_store_position"]
        )
        assert after['clientes_projection_lag_events{projection="clientes"}'] == 0

    def test_metrics_are_public_and_documented(self, client: Client) -> None:
        scraped = client.get("/metrics")
        assert scraped.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        operation = client.get("/schema/openapi.json").json()["paths"]["/metrics"]["get"]
        assert operation["security"] == [{}]
        assert list(operation["responses"]["200"]["content"]) == ["text/plain"]

    def test_metrics_off_removes_the_route(self, sqlite_settings: Settings) -> None:
        with client_for(sqlite_settings, metrics=False) as client:
            assert client.get("/metrics").status_code == 404
            assert "/metrics" not in client.get("/schema/openapi.json").json()["paths"]


class TestReady:
    def test_ready_reports_each_check(self, client: Client) -> None:
        response = client.get("/ready")
        assert response.status_code == 200
        checks = response.json()["checks"]
        assert checks["eventStore"]["ok"] is True
        assert checks["readTable"] | {"lagSeconds": 0.0} == {
            "ok": True,
            "position": 0,
            "lagEvents": 0,
            "lagSeconds": 0.0,
            "running": True,
        }

    def test_a_lag_past_its_bound_is_not_ready(self, sqlite_settings: Settings) -> None:
        with client_for(sqlite_settings, projector=False, ready_max_lag_events=0) as client:
            client.post("/api/clientes", json=body(), headers=bearer(SECRET))  # 503: no projector
            response = client.get("/ready")
        assert response.status_code == 503
        read_table = response.json()["checks"]["readTable"]
        assert read_table["ok"] is False
        assert read_table["lagEvents"] > 0
        assert "more than 0 events behind" in read_table["detail"]

    @pytest.mark.redis
    def test_the_redis_publisher_is_checked_with_its_lag(
        self, sqlite_settings: Settings, stream_name: str
    ) -> None:
        redis = {"redis_url": REDIS_URL, "redis_stream": stream_name}
        with client_for(sqlite_settings, **redis) as client:
            client.post("/api/clientes", json=body(), headers=bearer(SECRET))

            def publisher() -> dict[str, Any]:
                check: dict[str, Any] = client.get("/ready").json()["checks"]["redisPublisher"]
                return check

            wait_until(lambda: publisher()["lagEvents"] == 0, what="the publisher")
            assert publisher()["ok"] is True
            assert publisher()["position"] > 0

    def test_a_publisher_past_its_bound_is_not_ready(self, sqlite_settings: Settings) -> None:
        away = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens: nothing is published
        with client_for(sqlite_settings, redis_url=away, ready_max_publisher_lag=0) as client:
            client.post("/api/clientes", json=body(), headers=bearer(SECRET))
            response = client.get("/ready")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["readTable"]["ok"] is True
        assert checks["redisPublisher"]["ok"] is False
        assert checks["redisPublisher"]["lagEvents"] > 0
        assert checks["redisPublisher"]["detail"] == "more than 0 events behind"
