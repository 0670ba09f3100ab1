"""Hostile input: payloads in every field and parameter, oversize and trickled
requests, and the headers every answer carries. (Tokens: tests/test_http_auth.py.)"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api.http.bodies import BODY_SECONDS
from stores import Store, store_from_url
from tests.conftest import SECRET
from tests.reliability import REPORT, counting
from tests.server import Server, bearer, server_env
from tests.support import assert_problem, body

Client = TestClient[Any]

_counted = counting(
    __name__,
    "Hostile input",
    "Injection, oversize, control and malformed payloads in every field, parameter and "
    "header; oversize and trickled bodies; the headers every answer must carry.",
    "cases run",
)


def tried() -> None:
    """One hostile payload sent."""
    REPORT.categories[__name__].counts["payloads tried"] += 1


STRING_FIELDS = [
    "codigoCliente",
    "nombre",
    "numeroDocumento",
    "direccion",
    "telefono",
    "email",
    "contactoRepresentante",
]
PAYLOADS = [
    "'; DROP TABLE clientes; --",
    "\" OR '1'='1",
    "1; SELECT pg_sleep(5)",
    "%' OR 1=1 --",
    '{"$gt": ""}',
    "${jndi:ldap://x/a}",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "line\r\nX-Injected: 1",
    "tab\there",
    "nul\x00byte",
    "bell\x07",
    "\u202eevil\u202c",  # bidi override
    "\u200bzero\u200dwidth",
    "\uff21\uff23\uff2d\uff25\uff0d\uff10\uff10\uff11",  # fullwidth "ACME-001"
    "\u0410\u0421\u041c\u0415",  # Cyrillic letters that look like "ACME"
    "Núñez Ñahui Huamán",
    "😀" * 10,
    "\\x00\\u0000",
]
QUERY_PAYLOADS = ["'; DROP TABLE clientes; --", "-1", "1.5", "0x10", "1 OR 1=1", "\x00", "\uff19"]


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    return store_from_url(f"sqlite:///{tmp_path / 'clientes.db'}", "public")


@pytest.fixture
def sqlite_server(file_store: Store) -> Iterator[Server]:
    with Server(server_env(file_store, SECRET)) as running:
        yield running


@pytest.fixture
def server_auth(file_store: Store) -> dict[str, str]:
    return bearer(file_store, SECRET, "tester")


@pytest.mark.parametrize("field", STRING_FIELDS)
def test_payloads_in_a_field_are_kept_verbatim_or_refused(
    client: Client, auth: dict[str, str], field: str
) -> None:
    """Each payload is stored and read back as sent (the documented trimming aside),
    or refused with a 400 that names the field; nothing else happens."""
    before = client.get("/api/clientes", headers=auth).json()["totalElements"]
    created = 0
    for n, payload in enumerate(PAYLOADS):
        tried()
        value = payload if field != "codigoCliente" else f"{payload}-{n}"
        response = client.post("/api/clientes", json=body(**{field: value}), headers=auth)
        if response.status_code == 201:
            created += 1
            read = client.get(response.headers["location"], headers=auth).json()
            assert read[field] == value.strip(), (field, payload)
        else:
            problem = assert_problem(response, 400)
            assert [e["field"] for e in problem["errors"]] == [field], (payload, problem)
    after = client.get("/api/clientes", headers=auth).json()["totalElements"]
    assert after == before + created


@pytest.mark.parametrize("parameter", ["page", "size", "version", "afterVersion", "limit"])
def test_payloads_in_a_query_parameter_are_refused(
    client: Client, auth: dict[str, str], parameter: str
) -> None:
    cliente = client.post("/api/clientes", json=body(), headers=auth).json()
    url = (
        f"/api/clientes/{cliente['id']}/history"
        if parameter in ("afterVersion", "limit")
        else f"/api/clientes/{cliente['id']}"
        if parameter == "version"
        else "/api/clientes"
    )
    for payload in QUERY_PAYLOADS:
        tried()
        response = client.get(url, params={parameter: payload}, headers=auth)
        assert response.status_code in (400, 404), (parameter, payload, response.text)
        assert_problem(response, response.status_code)
    assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).status_code == 200


def test_an_oversize_token_is_refused_without_a_5xx(client: Client) -> None:
    for size in (10_000, 60_000):
        token = "e" * size
        response = client.get("/api/clientes", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (400, 401, 431), response.status_code


def test_every_answer_carries_the_security_headers(
    sqlite_server: Server, server_auth: dict[str, str]
) -> None:
    url = sqlite_server.url
    created = httpx.post(f"{url}/api/clientes", json=body(), headers=server_auth)
    location = created.headers["location"]
    answers = {
        "created": created,
        "read": httpx.get(f"{url}{location}", headers=server_auth),
        "list": httpx.get(f"{url}/api/clientes", headers=server_auth),
        "head": httpx.head(f"{url}{location}", headers=server_auth),
        "bad body": httpx.post(f"{url}/api/clientes", content=b"{", headers=server_auth),
        "not found": httpx.get(f"{url}/api/clientes/999999", headers=server_auth),
        "no such path": httpx.get(f"{url}/nowhere", headers=server_auth),
        "no token": httpx.get(f"{url}/api/clientes"),
        "health": httpx.get(f"{url}/health"),
        "options": httpx.options(f"{url}/api/clientes"),
    }
    for name, response in answers.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert "server" not in response.headers, (name, response.headers.get("server"))
        if "authorization" in response.request.headers:
            assert response.headers.get("cache-control") == "no-store", name


@pytest.mark.slow
def test_a_trickled_body_times_out_without_holding_the_server(
    sqlite_server: Server, server_auth: dict[str, str]
) -> None:
    """A client sending its body a byte at a time gets a 408 once the body deadline
    passes; meanwhile the same worker answers everyone else at once."""
    port = sqlite_server.port
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_SECONDS + 10) as slow:
        slow.sendall(
            b"POST /api/clientes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {server_auth['Authorization']}\r\n".encode()
            + b"Content-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        served = 0
        while time.monotonic() - started < BODY_SECONDS + 5:
            try:
                slow.sendall(b" ")
            except OSError:
                break  # the server closed the connection
            begin = time.monotonic()
            assert httpx.get(f"{sqlite_server.url}/health").status_code == 200
            assert time.monotonic() - begin < 1.0
            served += 1
            slow.settimeout(0.5)
            try:
                answer = slow.recv(65536)
            except TimeoutError:
                continue
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            break
        else:
            pytest.fail("the trickled body was never cut off")
    elapsed = time.monotonic() - started
    assert BODY_SECONDS - 1 <= elapsed <= BODY_SECONDS + 5
    assert served > 5
