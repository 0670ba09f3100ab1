"""No request may hold the service: hostile values, oversized and slow heads, endless streams.

Each hostile request goes to a real server of this module's own, so a worker
it held could not hang the suite, and is answered within a deadline far above
what reading it in linear time needs (milliseconds), while /health is asked
alongside and answered as usual.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store, store_from_url
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.reliability import REPORT, counting
from tests.server import Server, server_env
from tests.support import body
from tests.test_events_feed import sse

pytestmark = pytest.mark.slow

DEADLINE = 2.0  # seconds: hundreds of times what a linear reading of these values takes
HEALTHY = 1.0  # seconds /health may take while hostile requests are answered

_counted = counting(
    __name__,
    "Limits",
    "Hostile header, parameter and body values that made patterns backtrack, oversized and "
    "slow request heads, oversized tokens, event streams past their token and their cap; "
    "each against a server of its own, with a deadline, while /health is asked alongside.",
    "cases run",
)


def tried(what: str = "hostile requests") -> None:
    REPORT.categories[__name__].counts[what] += 1


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return store_from_url(f"sqlite:///{tmp_path_factory.mktemp('limits')}/clientes.sqlite3")


@pytest.fixture(scope="module")
def server(store: Store) -> Iterator[Server]:
    with Server(server_env(store, SECRET, CLIENTES_EVENTS_HEARTBEAT="0.2")) as running:
        yield running


def token(store: Store, sub: str = "tester", ttl: int = 600) -> dict[str, str]:
    settings = Settings(store=store, jwt_secret=SECRET)
    return {"Authorization": f"Bearer {mint_token(settings, sub, f'{READ} {WRITE}', ttl)}"}


@pytest.fixture(scope="module")
def cliente(server: Server, store: Store) -> dict[str, Any]:
    created: dict[str, Any] = httpx.post(
        f"{server.url}/api/clientes", json=body(), headers=token(store)
    ).json()
    return created


def answered_in_time(server: Server, send: Callable[[], httpx.Response]) -> httpx.Response:
    """``send``'s answer, which must come within DEADLINE while /health keeps answering."""
    answer: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: answer.append(send()))
    started = time.monotonic()
    sender.start()
    while sender.is_alive() and time.monotonic() - started < DEADLINE:
        asked = time.monotonic()
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        assert time.monotonic() - asked < HEALTHY, "/health waited behind a hostile request"
        time.sleep(0.02)
    sender.join(DEADLINE)
    assert answer, f"no answer within {DEADLINE} s"
    assert time.monotonic() - started < DEADLINE + HEALTHY
    tried()
    return answer[0]


def blanks(size: int, pattern: str = ", ") -> str:
    return (pattern * (size // len(pattern) + 1))[:size]


@pytest.mark.parametrize("size", [41, 81, 1_000, 8_000])
@pytest.mark.parametrize("header", ["If-None-Match", "If-Match"])
def test_a_list_of_blanks_in_a_conditional_header_is_refused_at_once(
    server: Server, store: Store, cliente: dict[str, Any], header: str, size: int
) -> None:
    """`, , , ... ,x` once held a worker for longer than anyone waits (81 bytes)."""
    value = blanks(size - 1) + "x"
    url = f"{server.url}/api/clientes/{cliente['id']}"
    if header == "If-None-Match":
        response = answered_in_time(
            server, lambda: httpx.get(url, headers={header: value, **token(store)})
        )
    else:
        response = answered_in_time(
            server,
            lambda: httpx.patch(url, json={"nombre": "X"}, headers={header: value, **token(store)}),
        )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": header, "message": response.json()["errors"][0]["message"]}
    ]


@pytest.mark.parametrize(
    "field", ["direccion", "telefono", "email", "contactoRepresentante", "nombre"]
)
def test_blanks_around_a_control_character_in_a_field_are_refused_at_once(
    server: Server, store: Store, field: str
) -> None:
    """60,000 blanks and a control character once took 8 s of pattern matching."""
    value = " " * 30_000 + "\x01" + " " * 30_000
    response = answered_in_time(
        server,
        lambda: httpx.post(
            f"{server.url}/api/clientes", json=body(**{field: value}), headers=token(store)
        ),
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_blanks_around_a_control_character_in_q_are_refused_at_once(
    server: Server, store: Store
) -> None:
    value = " " * 7_000 + "\x01" + " " * 7_000  # as much as a request head may carry
    response = answered_in_time(
        server,
        lambda: httpx.get(f"{server.url}/api/clientes", params={"q": value}, headers=token(store)),
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["q"]


def raw(server: Server, head: bytes, *, timeout: float = DEADLINE) -> tuple[bytes, float]:
    """Sends ``head`` on a connection of its own; what came back, and how soon the
    connection was answered and closed."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        with suppress(OSError):  # the server answered and closed before all was sent
            connection.sendall(head)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except OSError:
            pass
    tried()
    return received, time.monotonic() - started


def request(*headers: bytes) -> bytes:
    """A request for /health with two headers (Host, Connection) and ``headers``."""
    return b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + b"".join(headers) + b"\r\n"


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (request(*[b"a: b\r\n"] * 98), 200),  # 100 headers in all
        (request(*[b"a: b\r\n"] * 99), 431),
        (request(*[b"a: b\r\n"] * 100_000), 431),
        (request(b"X-Line: " + b"a" * 8_100 + b"\r\n"), 200),
        (request(b"X-Line: " + b"a" * 8_200 + b"\r\n"), 431),
        (request(*[b"X-Part: " + b"a" * 4_000 + b"\r\n"] * 5), 431),  # over 16 KiB in all
        (request(b"X-Huge: " + b"a" * (64 << 20) + b"\r\n"), 431),
        (request(b"Authorization: Bearer " + b"e" * 9_000 + b"\r\n"), 401),
        (request(b"Authorization: Bearer " + b"e" * (32 << 20) + b"\r\n"), 401),
    ],
    ids=[
        "100-headers",
        "101-headers",
        "100000-headers",
        "an-8100-byte-line",
        "an-8200-byte-line",
        "a-16-kib-head",
        "a-64-mib-header",
        "a-9-kib-token",
        "a-32-mib-token",
    ],
)
def test_a_head_over_its_limits_is_refused_before_it_is_read(
    server: Server, head: bytes, status: int
) -> None:
    rss = resident_kib(server)
    answer, seconds = answered_in_time_raw(server, head)
    assert status_of(answer) == status, answer[:300]
    assert seconds < DEADLINE
    if status == 431:
        assert b"content-type: application/problem+json" in answer.lower()
        assert b'"status":431' in answer
    if status == 401:
        assert b'www-authenticate: bearer error="invalid_token"' in answer.lower()
        assert b"token too long" in answer
    assert resident_kib(server) - rss < 16 * 1024, "the head was buffered"


def answered_in_time_raw(server: Server, head: bytes) -> tuple[bytes, float]:
    answer: list[tuple[bytes, float]] = []
    sender = threading.Thread(target=lambda: answer.append(raw(server, head)))
    sender.start()
    while sender.is_alive():
        asked = time.monotonic()
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        assert time.monotonic() - asked < HEALTHY
        time.sleep(0.02)
    sender.join()
    return answer[0]


def resident_kib(server: Server) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def test_a_head_not_complete_within_10_seconds_is_answered_408_and_closed(
    server: Server,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as slow:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        while time.monotonic() - started < 8:  # meanwhile, everyone else is served
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
            time.sleep(0.5)
        slow.sendall(b"X-Slow: 1\r\n")  # trickling does not extend the deadline
        answer = b""
        while chunk := slow.recv(65536):
            answer += chunk
        waited = time.monotonic() - started
    tried("slow heads")
    assert status_of(answer) == 408, answer[:300]
    assert 9 <= waited <= 12


def test_a_connection_that_sends_nothing_is_closed_after_10_seconds(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as idle:
        started = time.monotonic()
        assert idle.recv(65536) == b""
        waited = time.monotonic() - started
    tried("slow heads")
    assert 9 <= waited <= 12


def stream_events(server: Server, headers: dict[str, str]) -> Iterator[dict[str, str]]:
    with httpx.stream("GET", f"{server.url}/api/events/stream", headers=headers, timeout=10) as r:
        assert r.status_code == 200
        yield from sse(r.iter_lines())


def test_a_stream_ends_when_its_token_expires_and_leeway_has_passed(
    store: Store, tmp_path: Path
) -> None:
    """With 1 s of leeway, a 1-second token's stream ends a second after the token's exp;
    an event recorded after that is not sent."""
    env = server_env(store, SECRET, CLIENTES_EVENTS_HEARTBEAT="0.2", CLIENTES_JWT_LEEWAY="1")
    with Server(env) as own:
        writer = token(store)
        short = token(store, ttl=1)
        expires = jwt.decode(
            short["Authorization"].split()[1], options={"verify_signature": False}
        )["exp"]
        received: list[dict[str, str]] = []
        for event in stream_events(own, short):
            received.append(event)
            if len(received) == 2:
                httpx.post(f"{own.url}/api/clientes", json=body(), headers=writer)
        ended = time.time()
        httpx.post(f"{own.url}/api/clientes", json=body(), headers=writer)
    tried("streams")
    assert expires + 1 <= ended <= expires + 2, ended - expires
    assert received[-1] == {"comment": "token expired"}
    delivered = [e for e in received if "data" in e]
    assert len(delivered) >= 1
    assert all(e == {"comment": "heartbeat"} for e in received[:-1] if "data" not in e)


def test_one_subject_holds_at_most_10_streams_across_the_workers(store: Store) -> None:
    env = server_env(store, SECRET, CLIENTES_EVENTS_HEARTBEAT="0.2", CLIENTES_MAX_STREAMS="12")
    with Server(env, "--workers", "2") as own, ExitStack() as open_streams:
        ana = token(store, sub="ana")
        for _ in range(10):
            opened = open_streams.enter_context(
                httpx.stream("GET", f"{own.url}/api/events/stream", headers=ana, timeout=10)
            )
            assert opened.status_code == 200
        refused = httpx.get(f"{own.url}/api/events/stream", headers=ana, timeout=10)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "10"
        assert refused.headers["content-type"].startswith("application/problem+json")
        luis = token(store, sub="luis")
        with httpx.stream("GET", f"{own.url}/api/events/stream", headers=luis, timeout=10) as r:
            assert r.status_code == 200
            with httpx.stream(
                "GET", f"{own.url}/api/events/stream", headers=luis, timeout=10
            ) as more:
                assert more.status_code == 200
                over = httpx.get(f"{own.url}/api/events/stream", headers=token(store, "rosa"))
                assert over.status_code == 429  # 12 streams in all
        open_streams.close()  # ana's streams end: their slots are given back

        def ana_may_stream() -> bool:
            with httpx.stream(
                "GET", f"{own.url}/api/events/stream", headers=ana, timeout=10
            ) as again:
                return again.status_code == 200

        wait_until(ana_may_stream, timeout=10, what="the closed streams' slots")
    tried("streams")
