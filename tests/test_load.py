"""Load with a consistency check: many clients writing and reading for a fixed time
against two workers on PostgreSQL with Redis publishing, then every acknowledged
write is looked for in the event store, the read table and the Redis stream."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import redis

from api.stores import Store
from projections.publisher import ENVELOPE_FIELD, entry_position
from tests.conftest import REDIS_URL, SECRET
from tests.reliability import REPORT
from tests.server import CLIENTES, Server, bearer, server_env
from tests.support import body

SECONDS = 15  # of load
CLIENTS = 16  # concurrent connections
ANSWERS = {200, 201, 204, 404, 412, 503}  # 404: deactivated meanwhile; 412: a stale If-Match

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Acknowledged:
    """The writes the service answered 2xx, by Cliente: the versions it reported."""

    versions: dict[int, set[int]] = field(default_factory=dict)
    known: dict[int, int] = field(default_factory=dict)  # vigente as far as we know -> version
    deactivated: set[int] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)

    def wrote(self, cliente_id: int, version: int) -> None:
        self.versions.setdefault(cliente_id, set()).add(version)
        self.known[cliente_id] = max(version, self.known.get(cliente_id, 0))


@pytest.fixture
def env(postgres_store: Store, stream_name: str) -> dict[str, str]:
    return server_env(
        postgres_store, SECRET, CLIENTES_REDIS_URL=REDIS_URL, CLIENTES_REDIS_STREAM=stream_name
    )


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[Server]:
    with Server(env, "--workers", "2") as running:
        yield running


async def one_client(
    client: httpx.AsyncClient, seed: int, deadline: float, acked: Acknowledged
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        choice = rng.random()
        known = sorted(acked.known)
        if choice < 0.3 or not known:
            response = await client.post("/api/clientes", json=body())
            if response.status_code == 201:
                acked.wrote(response.json()["id"], 1)
        elif choice < 0.8:
            cliente_id = rng.choice(known)
            url = f"/api/clientes/{cliente_id}"
            if choice < 0.6:
                headers = (
                    {"If-Match": f'"{acked.known.get(cliente_id, 1)}"'} if choice < 0.45 else {}
                )
                change = {"direccion": f"Av. Carga {rng.randrange(10**6)}"}
                response = await client.patch(url, json=change, headers=headers)
                if response.status_code == 200:
                    acked.wrote(cliente_id, response.json()["version"])
            elif choice < 0.65:
                response = await client.delete(url)
                if response.status_code == 204:
                    acked.deactivated.add(cliente_id)
                    acked.known.pop(cliente_id, None)
            else:
                response = await client.get(url)
        else:
            response = await client.get("/api/clientes", params={"size": 20})
        acked.statuses[response.status_code] += 1


async def load(server: Server, headers: dict[str, str]) -> Acknowledged:
    acked = Acknowledged()
    deadline = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, limits=limits, timeout=30
    ) as client:
        await asyncio.gather(*(one_client(client, n, deadline, acked) for n in range(CLIENTS)))
    return acked


Json = dict[str, object]


def history(server: Server, headers: dict[str, str], cliente_id: int) -> list[Json]:
    response = httpx.get(f"{server.url}/api/clientes/{cliente_id}/history", headers=headers)
    assert response.status_code == 200, response.text
    events: list[Json] = response.json()["events"]
    return events


def every_vigente(server: Server, headers: dict[str, str]) -> list[Json]:
    found: list[Json] = []
    page = 0
    while True:
        response = httpx.get(
            f"{server.url}/api/clientes", params={"page": page, "size": 100}, headers=headers
        )
        content = response.json()["content"]
        if not content:
            return found
        found += content
        page += 1


def stream_envelopes(stream: str, until: int, timeout: float = 30) -> list[tuple[int, Json]]:
    """The stream's entries, once it holds ``until`` of them (or the time is up)."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    deadline = time.monotonic() + timeout
    try:
        while True:
            entries: list[tuple[str, dict[str, str]]] = client.xrange(stream)  # type: ignore[assignment]
            if len(entries) >= until or time.monotonic() > deadline:
                return [(entry_position(i), json.loads(f[ENVELOPE_FIELD])) for i, f in entries]
            time.sleep(0.2)
    finally:
        client.close()


def test_under_load_no_acknowledged_write_is_lost_and_every_copy_agrees(
    server: Server, env: dict[str, str], postgres_store: Store, stream_name: str
) -> None:
    headers = bearer(postgres_store, SECRET, "load")
    acked = asyncio.run(load(server, headers))
    category = REPORT.category(
        __name__,
        "Load with a consistency check",
        f"{CLIENTS} connections for {SECONDS} s against 2 workers on PostgreSQL with Redis "
        "publishing: creates, updates with and without If-Match, deactivations, reads.",
    )
    category.counts.update(
        {
            "requests": acked.statuses.total(),
            "writes acknowledged": sum(map(len, acked.versions.values())) + len(acked.deactivated),
        }
    )
    unexpected = {status: n for status, n in acked.statuses.items() if status not in ANSWERS}
    assert unexpected == {}, acked.statuses
    category.held.append(f"answers: {dict(sorted(acked.statuses.items()))}, none unexpected")

    # The event store: every version the service reported, and every deactivation.
    stored_events = 0
    for cliente_id, versions in acked.versions.items():
        events = history(server, headers, cliente_id)
        stored_events += len(events)
        assert versions <= {e["version"] for e in events}, cliente_id
        if cliente_id in acked.deactivated:
            assert events[-1]["type"] == "ClienteDeactivated", cliente_id
    category.held.append("every acknowledged write is in the event store")

    # The read table: equal to a rebuild from the events; no code held twice.
    check = subprocess.run(
        [str(CLIENTES), "replay", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    vigentes = every_vigente(server, headers)
    codes = [str(c["codigoCliente"]).lower() for c in vigentes]
    assert len(codes) == len(set(codes))
    assert {c["id"] for c in vigentes} == set(acked.versions) - acked.deactivated
    category.held.append("the read table equals `clientes replay --check`; no code is held twice")

    # The Redis stream: each position once, in order, and every stored event in it.
    envelopes = stream_envelopes(stream_name, until=stored_events)
    positions = [position for position, _ in envelopes]
    assert positions == sorted(set(positions))
    assert all(envelope["position"] == position for position, envelope in envelopes)
    published = {(e["clienteId"], e["version"]) for _, e in envelopes}
    for cliente_id, versions in acked.versions.items():
        assert {(cliente_id, v) for v in versions} <= published, cliente_id
    category.counts["stream entries checked"] = len(envelopes)
    category.held.append("the stream holds each position once, in order, every write in it")
