"""A small HTTP/1.1 keep-alive load generator: N connections, each sending requests back to back.

Written against asyncio streams rather than an HTTP client library so that the
generator, which shares the machine with the server, costs as little as possible.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, bytes]  # method, path, JSON body
RequestFactory = Callable[[int], Request]


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return (
            ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0.0
        )

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "requests": self.requests,
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else 0,
            "statuses": dict(sorted(self.statuses.items())),
        }


async def _connection(
    host: str,
    port: int,
    headers: bytes,
    make: RequestFactory,
    counter: list[int],
    deadline: float,
    limit: int,
    result: Result,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and counter[0] < limit:
            if reader.at_eof():  # the server closed the connection: open another
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            counter[0] += 1
            method, path, body = make(counter[0])
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + headers + b"\r\n" + body)
            status_line = await reader.readline()
            if not status_line:  # closed by the server mid-request: count it, reconnect
                result.statuses[0] = result.statuses.get(0, 0) + 1
                continue
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.requests += 1
    finally:
        writer.close()


async def run(
    name: str,
    base_url: str,
    make: RequestFactory,
    *,
    token: str = "",
    connections: int = 16,
    seconds: float = 5.0,
    stop_after: int = 2**62,
) -> Result:
    """Sends requests from ``make`` over ``connections`` connections for ``seconds``
    (or until ``stop_after`` requests)."""
    host, port = base_url.removeprefix("http://").split(":")
    headers = b"Content-Type: application/json\r\n"
    if token:
        headers += f"Authorization: Bearer {token}\r\n".encode()
    result = Result(name)
    counter = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(host, int(port), headers, make, counter, deadline, stop_after, result)
            for _ in range(connections)
        )
    )
    result.seconds = time.perf_counter() - started
    return result
