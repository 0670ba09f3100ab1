"""Load for the reliability suite, and the consistency check that follows it.

A few concurrent clients create, update (with and without If-Match),
deactivate and read Clientes for a fixed time, optionally with a fault
injected part-way; then every write the service acknowledged is looked for
in the event store (its events feed), the read table is compared with a
rebuild (``clientes replay --check``) and, with Redis, the stream with the
store: each position once, in order.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis

from projections.publisher import ENVELOPE_FIELD, entry_position
from tests.events_support import wait_until
from tests.reliability import Category
from tests.server import CLIENTES
from tests.support import body

# 404: deactivated meanwhile; 412: a stale If-Match; 503: the store or the read side away.
ANSWERS = {200, 201, 204, 404, 412, 503}
NO_ANSWER = 0  # counted as a status: the connection failed or timed out

Json = dict[str, object]


@dataclass
class Acknowledged:
    """The writes the service answered 2xx, by Cliente: the versions it reported."""

    versions: dict[int, set[int]] = field(default_factory=dict)
    known: dict[int, int] = field(default_factory=dict)  # vigente as far as we know -> version
    deactivated: set[int] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    phase: str = "before"  # of a fault: before, during, after
    phases: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # phase, method, status

    def wrote(self, cliente_id: int, version: int) -> None:
        self.versions.setdefault(cliente_id, set()).add(version)
        self.known[cliente_id] = max(version, self.known.get(cliente_id, 0))

    @property
    def writes(self) -> int:
        return sum(map(len, self.versions.values())) + len(self.deactivated)


async def one_client(
    client: httpx.AsyncClient, seed: int, deadline: float, acked: Acknowledged
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        phase = acked.phase
        try:
            response = await one_request(client, rng, acked)
            method, status = response.request.method, response.status_code
        except httpx.TransportError as error:
            method, status = error.request.method, NO_ANSWER
        acked.statuses[status] += 1
        acked.phases[phase, method, status] += 1


async def one_request(
    client: httpx.AsyncClient, rng: random.Random, acked: Acknowledged
) -> httpx.Response:
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
            headers = {"If-Match": f'"{acked.known.get(cliente_id, 1)}"'} if choice < 0.45 else {}
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
    return response


async def load(
    url: str,
    headers: dict[str, str],
    seconds: float,
    clients: int,
    fault: Callable[[], object] | None = None,
    fault_at: float = 0.0,
    acked: Acknowledged | None = None,
) -> Acknowledged:
    """``clients`` connections for ``seconds``; ``fault`` runs in a thread ``fault_at`` s in."""
    acked = acked or Acknowledged()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:
        jobs = [one_client(client, n, deadline, acked) for n in range(clients)]
        if fault is not None:
            jobs.append(_later(fault_at, fault))
        await asyncio.gather(*jobs)
    return acked


async def _later(delay: float, call: Callable[[], object]) -> None:
    await asyncio.sleep(delay)
    await asyncio.to_thread(call)


def read(url: str, headers: dict[str, str], path: str, **params: int) -> Any:
    """The JSON of a GET that must answer 200."""
    response = httpx.get(f"{url}{path}", params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def feed(url: str, headers: dict[str, str]) -> list[Json]:
    """Every stored Cliente event, as the events feed gives them, in store order."""
    found: list[Json] = []
    after = 0
    while True:
        page = read(url, headers, "/api/events", after=after, limit=1000)
        found += page["events"]
        if page["next"] == after:
            return found
        after = page["next"]


def every_vigente(url: str, headers: dict[str, str]) -> list[Json]:
    found: list[Json] = []
    page = 0
    while content := read(url, headers, "/api/clientes", page=page, size=100)["content"]:
        found += content
        page += 1
    return found


def stream_envelopes(redis_url: str, stream: str) -> list[tuple[int, Json]]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        entries: list[tuple[str, dict[str, str]]] = client.xrange(stream)  # type: ignore[assignment]
    finally:
        client.close()
    return [(entry_position(i), json.loads(f[ENVELOPE_FIELD])) for i, f in entries]


def caught_up(url: str, timeout: float = 30) -> None:
    """Waits until /ready says the read table (and the publisher, if any) lag nothing."""
    seen: list[object] = [None]

    def no_lag() -> bool:
        try:
            checks = httpx.get(f"{url}/ready", timeout=5).json()["checks"]
        except (httpx.HTTPError, ValueError, KeyError) as error:
            seen[0] = error
            return False
        seen[0] = checks
        lags = [check.get("lagEvents", 0) for check in checks.values()]
        return all(check["ok"] for check in checks.values()) and not any(lags)

    try:
        wait_until(no_lag, timeout=timeout, what="the read table and publisher caught up")
    except AssertionError as error:
        raise AssertionError(f"{error}; /ready said {seen[0]}") from None


def check_consistency(
    category: Category,
    acked: Acknowledged,
    url: str,
    headers: dict[str, str],
    env: dict[str, str],
    *,
    exact: bool = False,
    label: str = "",
) -> None:
    """What must hold after the load, checked and recorded in ``category``.

    ``env`` is the service's: where it publishes, if it does, is checked too. A
    fault may leave recorded a write whose answer was a 503 (the commit went
    through, the answer did not), so Clientes the load never heard of may be
    in the store, but what was acknowledged must all be there. ``exact`` is
    for a load with no fault: the store holds what was acknowledged, no more.
    ``label`` names the run in what is recorded as held.
    """
    prefix = f"{label}: " if label else ""
    category.counts.update({"requests sent": acked.statuses.total(), "writes checked": 0})
    unexpected = {status: n for status, n in acked.statuses.items() if status not in ANSWERS}
    assert unexpected == {}, f"unexpected answers: {dict(acked.statuses)}"
    category.held.append(
        f"{prefix}answers: {dict(sorted(acked.statuses.items()))}, none unexpected"
    )

    # The event store: every version the service reported, and every deactivation.
    caught_up(url)
    stored = feed(url, headers)
    versions: dict[int, set[int]] = {}
    ended = set()
    for event in stored:
        cliente_id, version = int(event["clienteId"]), int(event["version"])  # type: ignore[call-overload]
        versions.setdefault(cliente_id, set()).add(version)
        if event["type"] == "ClienteDeactivated":
            ended.add(cliente_id)
    for cliente_id, written in acked.versions.items():
        assert written <= versions.get(cliente_id, set()), cliente_id
    assert acked.deactivated <= ended
    category.counts["writes checked"] += acked.writes
    category.held.append(prefix + "every acknowledged write is in the event store")

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
    vigentes = every_vigente(url, headers)
    codes = [str(c["codigoCliente"]).lower() for c in vigentes]
    assert len(codes) == len(set(codes))
    listed = {int(c["id"]) for c in vigentes}  # type: ignore[call-overload]
    assert listed == set(versions) - ended, listed ^ (set(versions) - ended)
    if exact:
        assert listed == set(acked.versions) - acked.deactivated, listed ^ (
            set(acked.versions) - acked.deactivated
        )
    category.held.append(
        prefix + "the read table equals `clientes replay --check`; no code is held twice"
    )

    if "CLIENTES_REDIS_URL" in env:
        envelopes = stream_envelopes(env["CLIENTES_REDIS_URL"], env["CLIENTES_REDIS_STREAM"])
        positions = [position for position, _ in envelopes]
        assert positions == sorted(set(positions)), "a position twice, or out of order"
        assert all(envelope["position"] == position for position, envelope in envelopes)
        assert positions == [event["position"] for event in stored], "the stream and the store"
        category.counts["stream entries checked"] += len(envelopes)
        category.held.append(prefix + "the stream holds every stored event once, in store order")
