"""The events feed over HTTP: JSON pages and Server-Sent Events, on both stores."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest
import redis
from litestar.testing import TestClient

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store
from tests.conftest import REDIS_URL, SECRET
from tests.events_support import from_stream, summary, wait_until
from tests.server import Server, server_env
from tests.support import body

Client = TestClient[Any]
PATHS = ("/api/events", "/api/events/stream")


def write_over_http(post: Callable[..., Any], headers: dict[str, str]) -> list[tuple[str, str]]:
    """Creates two Clientes, changes and deactivates one; returns the types and actors."""
    first = post("POST", "/api/clientes", json=body(), headers=headers).json()["id"]
    post("POST", "/api/clientes", json=body(), headers=headers)
    post("PATCH", f"/api/clientes/{first}", json={"email": "x@example.com"}, headers=headers)
    post("DELETE", f"/api/clientes/{first}", headers=headers)
    return [
        ("ClienteCreated", "tester"),
        ("ClienteCreated", "tester"),
        ("ClienteUpdated", "tester"),
        ("ClienteDeactivated", "tester"),
    ]


def everything(client: Client, auth: dict[str, str]) -> list[dict[str, Any]]:
    page = client.get("/api/events", params={"limit": 1000}, headers=auth).json()
    events: list[dict[str, Any]] = page["events"]
    return events


class TestFeed:
    def test_lists_every_cliente_event_in_store_order_as_envelopes(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        script = write_over_http(client.request, auth)
        response = client.get("/api/events", headers=auth)
        assert response.status_code == 200
        page = response.json()
        assert [(e["type"], e["actor"]) for e in page["events"]] == script
        positions = [e["position"] for e in page["events"]]
        assert positions == sorted(set(positions))
        assert page["next"] == positions[-1]
        created, _, updated, deactivated = page["events"]
        assert set(created) == {
            "position",
            "type",
            "clienteId",
            "version",
            "timestamp",
            "actor",
            "data",
        }
        assert (updated["clienteId"], updated["version"]) == (created["clienteId"], 2)
        assert updated["data"] == {"email": "x@example.com"}
        assert deactivated["data"] == {}

    def test_pages_join_up_through_next_with_no_gap_and_no_repeat(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        for _ in range(3):
            write_over_http(client.request, auth)
        joined, after = [], 0
        while True:
            page = client.get("/api/events", params={"after": after, "limit": 5}, headers=auth)
            events = page.json()["events"]
            if not events:
                break
            assert len(events) <= 5
            joined += events
            after = page.json()["next"]
        assert joined == everything(client, auth)
        assert len(joined) == 12

    def test_after_the_last_event_the_page_is_empty_and_next_stays(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        write_over_http(client.request, auth)
        last = everything(client, auth)[-1]["position"]
        for after in (last, last + 1000):
            page = client.get("/api/events", params={"after": after}, headers=auth).json()
            assert page == {"events": [], "next": after}

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            *[(path, {"after": after}) for path in PATHS for after in ("-1", "x", str(2**63))],
            *[("/api/events", {"limit": limit}) for limit in ("0", "1001", "many")],
        ],
    )
    def test_a_bad_after_or_limit_is_400(
        self, client: Client, auth: dict[str, str], path: str, params: dict[str, str]
    ) -> None:
        response = client.get(path, params=params, headers=auth)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] in params

    @pytest.mark.parametrize("last_event_id", ["abc", "-3", "1.5", str(2**63), "9" * 30])
    def test_a_bad_last_event_id_is_400(
        self, client: Client, auth: dict[str, str], last_event_id: str
    ) -> None:
        headers = {**auth, "Last-Event-ID": last_event_id}
        response = client.get("/api/events/stream", headers=headers)
        assert response.status_code == 400
        assert "Last-Event-ID" in response.json()["detail"]

    def test_needs_a_token_with_the_read_scope(
        self, client: Client, token: Callable[..., str]
    ) -> None:
        write_only = {"Authorization": f"Bearer {token(scope='clientes:write')}"}
        for path in PATHS:
            assert client.get(path).status_code == 401
            assert client.get(path, headers=write_only).status_code == 403

    @pytest.mark.parametrize("store_kind", ["sqlite"])
    def test_is_described_in_openapi(self, client: Client) -> None:
        paths = client.get("/schema/openapi.json").json()["paths"]
        for path in PATHS:
            assert {"200", "400", "401", "403", "503"} <= set(paths[path]["get"]["responses"])


def sse(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """The events of a Server-Sent Events body; a comment comes as {"comment": text}."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                yield fields
            fields = {}
        elif line.startswith(":"):
            fields["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


class Subscriber:
    """Reads the event stream of a real server."""

    def __init__(self, server: Server, headers: dict[str, str]) -> None:
        self.server = server
        self.headers = headers

    def feed(self) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.server.url}/api/events", params={"limit": 1000}, headers=self.headers
        )
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def write(self) -> None:
        with httpx.Client(base_url=self.server.url) as http:
            write_over_http(http.request, self.headers)

    @staticmethod
    def as_envelope(event: dict[str, str]) -> dict[str, Any]:
        envelope: dict[str, Any] = msgspec.json.decode(event["data"])
        assert (event["id"], event["event"]) == (str(envelope["position"]), envelope["type"])
        return envelope

    def stream(self, count: int, **headers: str) -> list[dict[str, Any]]:
        """The first ``count`` events the stream sends (heartbeats aside)."""
        received: list[dict[str, Any]] = []
        with httpx.stream(
            "GET",
            f"{self.server.url}/api/events/stream",
            headers={**self.headers, **headers},
            timeout=10,
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for event in sse(response.iter_lines()):
                if "data" in event:
                    received.append(self.as_envelope(event))
                if len(received) == count:
                    break
        return received


@pytest.fixture
def headers(store: Store) -> dict[str, str]:
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "tester", f"{READ} {WRITE}", 600)
    return {"Authorization": f"Bearer {token}"}


def test_the_feed_and_the_stream_give_the_envelopes_the_redis_stream_holds(
    store: Store, headers: dict[str, str], stream_name: str, redis_client: redis.Redis
) -> None:
    env = server_env(store, SECRET, CLIENTES_REDIS_URL=REDIS_URL, CLIENTES_REDIS_STREAM=stream_name)
    with Server(env) as server:
        subscriber = Subscriber(server, headers)
        subscriber.write()
        subscriber.write()
        wait_until(lambda: len(from_stream(redis_client, stream_name)) == 8, what="the publisher")
        from_redis = [envelope for _, envelope in from_stream(redis_client, stream_name)]
        assert subscriber.feed() == from_redis
        assert subscriber.stream(8) == from_redis
    assert [summary(e)[3] for e in from_redis] == ["tester"] * 8


@pytest.mark.slow
def test_the_stream_resumes_after_last_event_id_with_no_gap_and_no_repeat(
    store: Store, headers: dict[str, str]
) -> None:
    with Server(server_env(store, SECRET)) as server:
        subscriber = Subscriber(server, headers)
        subscriber.write()
        first = subscriber.stream(3)
        subscriber.write()
        rest = subscriber.stream(5, **{"Last-Event-ID": str(first[-1]["position"])})
        assert first + rest == subscriber.feed()
        after = subscriber.stream(2, **{"Last-Event-ID": "0"})
        assert after == first[:2]


@pytest.mark.slow
def test_new_events_reach_an_open_stream_and_an_idle_one_gets_heartbeats(
    store: Store, headers: dict[str, str]
) -> None:
    env = server_env(store, SECRET, CLIENTES_EVENTS_HEARTBEAT="0.2")
    with Server(env) as server:
        subscriber = Subscriber(server, headers)
        subscriber.write()
        last = subscriber.feed()[-1]["position"]
        sent: list[dict[str, Any]] = []
        with httpx.stream(
            "GET",
            f"{server.url}/api/events/stream",
            params={"after": last},
            headers=headers,
            timeout=10,
        ) as response:
            events = sse(response.iter_lines())
            assert next(events) == {"comment": "heartbeat"}  # nothing after `last` yet
            subscriber.write()
            while len(sent) < 4:
                event = next(events)
                if "data" in event:
                    sent.append(Subscriber.as_envelope(event))
        assert sent == [e for e in subscriber.feed() if e["position"] > last]


@pytest.mark.slow
def test_the_stream_ends_cleanly_when_the_server_stops(
    store: Store, headers: dict[str, str]
) -> None:
    server = Server(server_env(store, SECRET))
    with server:
        subscriber = Subscriber(server, headers)
        subscriber.write()
        stopping = threading.Thread(target=server.stop)
        with httpx.stream(
            "GET", f"{server.url}/api/events/stream", headers=headers, timeout=10
        ) as response:
            events = sse(response.iter_lines())
            assert "data" in next(events)
            started = time.monotonic()
            stopping.start()
            rest = list(events)  # ends, rather than raising on a body cut short
            ended_after = time.monotonic() - started
        stopping.join()
    assert len([e for e in rest if "data" in e]) == 3
    assert ended_after < 4  # well within the server's grace period for open responses
