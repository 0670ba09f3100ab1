"""Load with a consistency check: many clients writing and reading for a fixed time
against two workers on PostgreSQL (a cluster of its own) with Redis publishing,
then every acknowledged write is looked for in the event store, the read table
and the Redis stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from stores import Store
from tests.conftest import SECRET
from tests.load_support import check_consistency, load
from tests.reliability import REPORT
from tests.server import Server, bearer

SECONDS = 15  # of load
CLIENTS = 16  # concurrent connections

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def server(publishing_env: dict[str, str]) -> Iterator[Server]:
    with Server(publishing_env, "--workers", "2") as running:
        yield running


def test_under_load_no_acknowledged_write_is_lost_and_every_copy_agrees(
    server: Server, publishing_env: dict[str, str], private_postgres_store: Store, stream_name: str
) -> None:
    headers = bearer(private_postgres_store, SECRET, "load")
    category = REPORT.category(
        __name__,
        "Load with a consistency check",
        f"{CLIENTS} connections for {SECONDS} s against 2 workers on PostgreSQL (a cluster of "
        "its own) with Redis publishing: creates, updates with and without If-Match, "
        "deactivations, reads.",
    )
    acked = asyncio.run(load(server.url, headers, SECONDS, CLIENTS))
    check_consistency(category, acked, server.url, headers, publishing_env, exact=True)
