"""Many clients at once against a real server on PostgreSQL, with several workers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stores import Store
from tests.conftest import SECRET
from tests.server import Server, bearer, server_env
from tests.support import body

pytestmark = pytest.mark.slow


@pytest.fixture
def server(postgres_store: Store) -> Iterator[Server]:
    with Server(server_env(postgres_store, SECRET), "--workers", "2") as running:
        yield running


@pytest.fixture
def headers(postgres_store: Store) -> dict[str, str]:
    return bearer(postgres_store, SECRET, "load")


async def send_all(
    server: Server, requests: list[tuple[str, str, Any]], headers: dict[str, str]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, limits=limits, timeout=60
    ) as client:
        return await asyncio.gather(
            *(client.request(method, url, json=payload) for method, url, payload in requests)
        )


def run(
    server: Server, requests: list[tuple[str, str, Any]], headers: dict[str, str]
) -> list[httpx.Response]:
    return asyncio.run(send_all(server, requests, headers))


def test_of_50_creates_with_one_code_exactly_one_succeeds(
    server: Server, headers: dict[str, str]
) -> None:
    responses = run(
        server, [("POST", "/api/clientes", body(codigoCliente="SAME")) for _ in range(50)], headers
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49
    listing = httpx.get(f"{server.url}/api/clientes", headers=headers).json()
    assert listing["totalElements"] == 1


def test_200_creates_with_distinct_codes_get_200_distinct_ids(
    server: Server, headers: dict[str, str]
) -> None:
    responses = run(server, [("POST", "/api/clientes", body()) for _ in range(200)], headers)
    failed = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    assert not failed, failed[:5]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 200
    listing = httpx.get(f"{server.url}/api/clientes?size=100&page=1", headers=headers).json()
    assert listing["totalElements"] == 200
    assert listing["totalPages"] == 2


def test_20_concurrent_partial_updates_of_one_cliente_lose_nothing(
    server: Server, headers: dict[str, str]
) -> None:
    created = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers).json()
    url = f"/api/clientes/{created['id']}"
    fields = ["nombre", "direccion", "telefono", "email", "contactoRepresentante"]
    changes = []
    for i in range(20):
        field = fields[i % len(fields)]
        value = (
            f"9{i:07d}"
            if field == "telefono"
            else (f"u{i}@example.com" if field == "email" else f"valor {i}")
        )
        changes.append((field, value))
    responses = run(server, [("PATCH", url, {f: v}) for f, v in changes], headers)
    assert {r.status_code for r in responses} == {200}
    versions = [r.json()["version"] for r in responses]
    assert sorted(versions) == list(range(2, 22))
    final = httpx.get(f"{server.url}{url}", headers=headers).json()
    assert final["version"] == 21
    # Each field holds the value of the last update that wrote it: no change was lost.
    last_writer = {}
    for _, (field, value) in sorted(zip(versions, changes, strict=True)):
        last_writer[field] = value
    assert {f: final[f] for f in fields} == last_writer


def test_under_load_every_write_is_readable_at_once_through_either_worker(
    server: Server, headers: dict[str, str]
) -> None:
    async def writer(client: httpx.AsyncClient, stale: list[str]) -> None:
        for _ in range(15):
            created = await client.post("/api/clientes", json=body())
            assert created.status_code == 201, created.text
            location = created.headers["location"]
            # A new connection each time: the read may reach the other worker.
            async with httpx.AsyncClient(
                base_url=server.url, headers=headers, timeout=60
            ) as reader:
                if (await reader.get(location)).status_code != 200:
                    stale.append(location)
                changed = await client.patch(location, json={"direccion": "Av. Sol 1"})
                assert changed.status_code == 200, changed.text
                read = await reader.get(location)
                if read.json()["version"] != changed.json()["version"]:
                    stale.append(f"{location} at version {read.json()['version']}")

    async def load() -> list[str]:
        stale: list[str] = []
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            await asyncio.gather(*(writer(client, stale) for _ in range(8)))
        return stale

    assert asyncio.run(load()) == []


def test_100_concurrent_reads_each_answer_with_their_own_cliente(
    server: Server, headers: dict[str, str]
) -> None:
    # Reads that arrive together are made in one statement (projections/batches.py).
    created = run(server, [("POST", "/api/clientes", body()) for _ in range(60)], headers)
    ids = [r.json()["id"] for r in created]
    unknown = [max(ids) + n for n in range(1, 21)]
    asked = [*ids, *ids[:20], *unknown]  # some asked twice at once, some not there
    responses = run(server, [("GET", f"/api/clientes/{i}", None) for i in asked], headers)
    answers = [(r.status_code, r.json().get("id")) for r in responses]
    assert answers == [(200, i) for i in ids + ids[:20]] + [(404, None)] * len(unknown)
    by_id = {r.json()["id"]: r.json() for r in created}
    assert all(r.json() == by_id[i] for i, r in zip(ids, responses, strict=False))


def test_50_concurrent_pages_each_answer_with_their_own_rows(
    server: Server, headers: dict[str, str]
) -> None:
    # Unfiltered pages that arrive together are sent in one pipeline (projections/reads.py).
    created = run(server, [("POST", "/api/clientes", body()) for _ in range(45)], headers)
    ids = sorted(r.json()["id"] for r in created)
    pages = [(page, size) for size in (1, 2, 5) for page in range(0, 20, 2)]
    pages += [(100, 5), (0, 100)] * 10  # past the end, and the whole list, asked at once
    responses = run(
        server, [("GET", f"/api/clientes?page={p}&size={s}", None) for p, s in pages], headers
    )
    for (page, size), response in zip(pages, responses, strict=True):
        assert response.status_code == 200, response.text
        listing = response.json()
        assert [c["id"] for c in listing["content"]] == ids[page * size : (page + 1) * size]
        assert (listing["totalElements"], listing["number"], listing["size"]) == (45, page, size)
