"""Idempotency-Key on the writes, over HTTP, on both stores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import uuid4

import httpx
import msgspec
import pytest
from eventsourcing.utils import get_topic
from litestar.testing import TestClient

from api.bootstrap import Services
from api.http.app import create_app
from api.settings import Settings
from commands import ClienteCreated
from commands.idempotency import (
    KEPT_HOURS,
    KEYED_ANSWER_TOPIC,
    CountsKeptAnswers,
    KeyedAnswer,
    hour_of,
)
from tests.conftest import SECRET
from tests.server import Server, server_env
from tests.support import assert_problem, body, create

Client = TestClient[Any]
CREATED = get_topic(ClienteCreated)


def keyed(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


def stored(client: Client, topic: str) -> int:
    """How many events of ``topic`` the store holds."""
    recorder = client.app.state.services.clientes.recorder
    return len(recorder.select_notifications(start=1, limit=10_000, topics=[topic]))


class TestARepeatedRequest:
    def test_gets_the_first_answer_again_and_records_nothing(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        payload = body()
        first = client.post("/api/clientes", json=payload, headers=keyed(auth, "k-1"))
        again = client.post("/api/clientes", json=payload, headers=keyed(auth, "k-1"))
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        for name in ("etag", "location"):
            assert again.headers[name] == first.headers[name]
        assert "idempotent-replayed" not in first.headers
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == "application/json"
        assert stored(client, CREATED) == 1
        assert stored(client, KEYED_ANSWER_TOPIC) == 1

    def test_is_first_answered_as_a_write_without_a_key_is(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        """The first answer is rendered once, from what is kept: the status, headers and body a
        write without a key gets."""

        def shape(response: httpx.Response) -> tuple[int, dict[str, str]]:
            varying = ("x-request-id", "location", "content-length")
            return response.status_code, {
                name: value for name, value in response.headers.items() if name not in varying
            }

        plain = client.post("/api/clientes", json=body(), headers=auth)
        first = client.post("/api/clientes", json=body(), headers=keyed(auth, "k-first"))
        assert shape(first) == shape(plain)
        assert first.json() == client.get(first.headers["location"], headers=auth).json()
        urls = [f"/api/clientes/{answer.json()['id']}" for answer in (plain, first)]
        patch = {"email": "ana@example.pe"}
        patched = [
            client.patch(urls[0], json=patch, headers=auth),
            client.patch(urls[1], json=patch, headers=keyed(auth, "k-patch")),
        ]
        assert shape(patched[1]) == shape(patched[0])
        assert patched[1].json() == client.get(urls[1], headers=auth).json()
        gone = [
            client.delete(urls[0], headers=auth),
            client.delete(urls[1], headers=keyed(auth, "k-d")),
        ]
        assert shape(gone[1]) == shape(gone[0])
        assert gone[1].content == gone[0].content == b""

    def test_with_another_body_method_or_path_is_a_422(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        created = client.post("/api/clientes", json=body(), headers=keyed(auth, "k-2"))
        url = f"/api/clientes/{created.json()['id']}"
        other_body = client.post("/api/clientes", json=body(), headers=keyed(auth, "k-2"))
        other_method = client.delete(url, headers=keyed(auth, "k-2"))
        assert (
            "for POST /api/clientes with another body"
            in (assert_problem(other_body, 422)["detail"])
        )
        assert "for POST /api/clientes:" in assert_problem(other_method, 422)["detail"]
        assert client.get(url, headers=auth).status_code == 200
        assert stored(client, CREATED) == 1

    def test_of_an_update_or_a_deactivation_changes_nothing_more(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        url = f"/api/clientes/{create(client, auth)['id']}"
        patch = {"email": "ana@example.pe"}
        first = client.patch(url, json=patch, headers={**keyed(auth, "u"), "If-Match": '"1"'})
        again = client.patch(url, json=patch, headers={**keyed(auth, "u"), "If-Match": '"1"'})
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert again.headers["etag"] == '"2"'
        gone = client.delete(url, headers=keyed(auth, "d"))
        gone_again = client.delete(url, headers=keyed(auth, "d"))
        assert (gone.status_code, gone_again.status_code) == (204, 204)
        assert gone_again.headers["idempotent-replayed"] == "true"
        assert gone_again.content == b""
        history = client.get(f"{url}/history", headers=auth).json()["events"]
        assert [event["version"] for event in history] == [1, 2, 3]

    def test_of_an_update_that_changed_nothing_is_answered_again(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        url = f"/api/clientes/{cliente['id']}"
        same = {"nombre": cliente["nombre"]}
        first = client.put(url, json=same, headers=keyed(auth, "same"))
        again = client.put(url, json=same, headers=keyed(auth, "same"))
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["version"] == 1

    def test_refused_by_the_command_gets_the_refusal_again(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        taken = create(client, auth)
        payload = body(codigoCliente=taken["codigoCliente"])
        first = client.post("/api/clientes", json=payload, headers=keyed(auth, "dup"))
        assert_problem(first, 409)
        client.delete(f"/api/clientes/{taken['id']}", headers=auth)
        missing = client.delete("/api/clientes/999", headers=keyed(auth, "nf"))
        assert_problem(missing, 404)
        again = client.post("/api/clientes", json=payload, headers=keyed(auth, "dup"))
        assert assert_problem(again, 409) == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert client.delete("/api/clientes/999", headers=keyed(auth, "nf")).json() == (
            missing.json()
        )

    def test_after_an_answer_that_is_not_kept_runs_anew(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        refused = client.post("/api/clientes", json=body(nombre=""), headers=keyed(auth, "n"))
        assert_problem(refused, 400)
        created = client.post("/api/clientes", json=body(), headers=keyed(auth, "n"))
        assert created.status_code == 201
        assert "idempotent-replayed" not in created.headers


class TestTheKey:
    @pytest.mark.parametrize("key", [b"", b"x" * 256, b"a\tb", "clé".encode("latin-1")])
    def test_must_be_1_to_255_printable_ascii_characters(
        self, client: Client, auth: dict[str, str], key: bytes
    ) -> None:
        headers = {name.encode(): value.encode() for name, value in auth.items()}
        headers[b"Idempotency-Key"] = key
        response = client.post("/api/clientes", json=body(), headers=headers)
        assert assert_problem(response, 400)["errors"][0]["field"] == "Idempotency-Key"

    def test_of_another_sub_is_another_key(self, client: Client, token: Callable[..., str]) -> None:
        ana = {"Authorization": f"Bearer {token(sub='ana')}", "Idempotency-Key": "shared"}
        luis = {"Authorization": f"Bearer {token(sub='luis')}", "Idempotency-Key": "shared"}
        payload = body()
        by_ana = client.post("/api/clientes", json=payload, headers=ana)
        by_luis = client.post("/api/clientes", json=body(), headers=luis)
        assert (by_ana.status_code, by_luis.status_code) == (201, 201)
        assert by_ana.json()["id"] != by_luis.json()["id"]
        assert "idempotent-replayed" not in by_luis.headers
        assert client.post("/api/clientes", json=payload, headers=ana).json() == by_ana.json()

    def test_expired_runs_anew_and_keeps_the_new_answer(
        self, client: Client, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = client.post("/api/clientes", json=body(), headers=keyed(auth, "old"))
        with monkeypatch.context() as clock:
            clock.setattr("commands.idempotency.KEEP_FOR", timedelta(0))
            anew = client.post("/api/clientes", json=body(), headers=keyed(auth, "old"))
        again = client.post("/api/clientes", json=body(), headers=keyed(auth, "old"))
        assert (first.status_code, anew.status_code) == (201, 201)
        assert "idempotent-replayed" not in anew.headers
        assert anew.json()["id"] != first.json()["id"]
        assert_problem(again, 422)  # the key now holds the second request
        assert stored(client, KEYED_ANSWER_TOPIC) == 2

    def test_answers_are_not_in_the_events_feed(self, client: Client, auth: dict[str, str]) -> None:
        client.post("/api/clientes", json=body(), headers=keyed(auth, "feed"))
        events = client.get("/api/events", headers=auth).json()["events"]
        assert [event["type"] for event in events] == ["ClienteCreated"]


def test_a_create_whose_answer_was_lost_is_learnt_by_repeating_it(
    settings: Settings, auth: dict[str, str]
) -> None:
    """The first answer is a 503 (no projector runs): the client never learns the id, but
    the change and its answer were recorded together, and the repeat gives that answer."""
    quick = Settings(store=settings.store, jwt_secret=settings.jwt_secret, write_timeout=0.2)
    payload = body()
    with TestClient(create_app(quick, projector=False)) as client:
        lost = client.post("/api/clientes", json=payload, headers=keyed(auth, "lost"))
        assert_problem(lost, 503)
    with TestClient(create_app(settings)) as client:
        again = client.post("/api/clientes", json=payload, headers=keyed(auth, "lost"))
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["codigoCliente"] == payload["codigoCliente"]
        assert client.get(again.headers["location"], headers=auth).json() == again.json()
        assert stored(client, CREATED) == 1


async def _send(url: str, headers: dict[str, str], payload: object, n: int) -> list[Any]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        return list(
            await asyncio.gather(*(http.post("/api/clientes", json=payload) for _ in range(n)))
        )


@pytest.mark.slow
def test_ten_concurrent_requests_with_one_key_record_one_create(
    settings: Settings, token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {token()}", "Idempotency-Key": "ten"}
    with Server(server_env(settings.store, SECRET), "--workers", "2") as server:
        responses = asyncio.run(_send(server.url, headers, body(), 10))
        listing = httpx.get(f"{server.url}/api/clientes", headers=headers).json()
    statuses = {response.status_code for response in responses}
    assert statuses <= {201, 409}, [(r.status_code, r.text) for r in responses]
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {
        listing["content"][0]["id"]
    }
    assert listing["totalElements"] == 1


class TestTheQuotaOfKeptKeys:
    """A token's subject keeps at most CLIENTES_KEYS_PER_SUB answers from the last 24 hours."""

    @pytest.fixture
    def quota_client(self, settings: Settings) -> Iterator[Client]:
        with TestClient(create_app(msgspec.structs.replace(settings, keys_per_sub=3))) as client:
            yield client

    def test_a_new_key_past_the_quota_is_429_and_a_kept_one_is_answered_again(
        self, quota_client: Client, token: Callable[..., str]
    ) -> None:
        ana = {"Authorization": f"Bearer {token('ana')}"}
        for n in range(3):
            answered = quota_client.delete(f"/api/clientes/{900 + n}", headers=keyed(ana, f"k{n}"))
            assert answered.status_code == 404  # kept: a command ran
        refused = quota_client.delete("/api/clientes/903", headers=keyed(ana, "k3"))
        problem = assert_problem(refused, 429)
        assert "the most it may (3)" in problem["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        again = quota_client.delete("/api/clientes/900", headers=keyed(ana, "k0"))
        assert (again.status_code, again.headers["idempotent-replayed"]) == (404, "true")
        assert quota_client.delete("/api/clientes/903", headers=ana).status_code == 404
        luis = {"Authorization": f"Bearer {token('luis')}"}
        assert (
            quota_client.delete("/api/clientes/903", headers=keyed(luis, "k3")).status_code == 404
        )
        assert stored(quota_client, KEYED_ANSWER_TOPIC) == 4

    def test_the_counts_are_kept_per_hour_and_forgotten_with_old_answers(
        self, services: Services
    ) -> None:
        now = datetime.now(UTC)
        for hours_ago, actor in [(30, "ana"), (2, "ana"), (0, "ana"), (0, "luis")]:
            answer = KeyedAnswer(
                originator_id=uuid4(),
                originator_version=1,
                timestamp=now - timedelta(hours=hours_ago),
                actor=actor,
                key="k",
                request="DELETE /api/clientes/1 -",
                status=404,
                body="{}",
                headers={},
            )
            services.clientes.committer.record([answer])
        counts = cast(CountsKeptAnswers, services.clientes.recorder)
        hour = hour_of(now)
        assert counts.kept_answers("ana", hour - KEPT_HOURS) == 2
        assert counts.kept_answers("ana", hour - 40) == 3
        assert counts.kept_answers("luis", hour - 40) == 1
        counts.forget_kept_answers(hour - KEPT_HOURS - 1)
        assert counts.kept_answers("ana", hour - 40) == 2
