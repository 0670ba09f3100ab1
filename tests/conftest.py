"""Fixtures: real PostgreSQL, Redis and SQLite stores, each test in its own schema or file."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.bootstrap import Services, bootstrap
from api.http.app import create_app
from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store, store_from_url
from tests.private_postgres import PrivatePostgres
from tests.reliability import REPORT
from tests.server import server_env
from tests.stores import conninfo
from tests.test_projector import Positions, projector_for

POSTGRES_URL = os.environ.get(
    "CLIENTES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CLIENTES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "test-secret-" + "x" * 60

Client = TestClient  # type alias for readability in tests


# Fixtures that reach a server: a test that uses one, or the PostgreSQL store, carries the
# server's marker, so `-m "not postgres and not redis"` selects the tests that need neither.
POSTGRES_FIXTURES = frozenset({"pg_schema", "postgres_store"})
REDIS_FIXTURES = frozenset({"redis_client", "stream_name", "publishing_env"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if fixtures & POSTGRES_FIXTURES or params.get("store_kind") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if fixtures & REDIS_FIXTURES:
            item.add_marker(pytest.mark.redis)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that needs a server fails at once, saying why, when the server is down."""
    for marker, reach in (("postgres", _postgres_down), ("redis", _redis_down)):
        if item.get_closest_marker(marker) is not None and (reason := reach()):
            pytest.fail(reason, pytrace=False)


@functools.cache
def _postgres_down() -> str | None:
    try:
        psycopg.connect(conninfo(store_from_url(POSTGRES_URL)), connect_timeout=3).close()
    except psycopg.OperationalError as error:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}"
    return None


@functools.cache
def _redis_down() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis is not reachable at {REDIS_URL}: {error}"
    return None


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema of its own for one test, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = conninfo(store_from_url(POSTGRES_URL))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def store(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """The embedded SQLite store, and PostgreSQL, in turn."""
    if store_kind == "sqlite":
        return store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    return store_from_url(POSTGRES_URL, request.getfixturevalue("pg_schema"))


@pytest.fixture
def postgres_store(pg_schema: str) -> Store:
    return store_from_url(POSTGRES_URL, pg_schema)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the test's own, which it may stop and start."""
    cluster = PrivatePostgres().init()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def private_postgres_store(private_postgres: PrivatePostgres) -> Store:
    """The store on a cluster of the test's own: for servers under load, whose pools
    need connections that the shared server, busy with other suites, may not spare."""
    return store_from_url(private_postgres.url)


@pytest.fixture
def publishing_env(private_postgres_store: Store, stream_name: str) -> dict[str, str]:
    """A server's environment: a PostgreSQL cluster of its own, publishing to a stream of
    its own on the shared Redis."""
    return server_env(
        private_postgres_store,
        SECRET,
        CLIENTES_REDIS_URL=REDIS_URL,
        CLIENTES_REDIS_STREAM=stream_name,
    )


@pytest.fixture
def settings(store: Store) -> Settings:
    return Settings(store=store, jwt_secret=SECRET, write_timeout=5.0)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The application and its read side, with no projector running."""
    built = bootstrap(settings, api=False, projector=False)
    yield built
    built.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def token(settings: Settings) -> Callable[..., str]:
    def make(sub: str = "tester", scope: str = f"{READ} {WRITE}", ttl: int = 600) -> str:
        return mint_token(settings, sub, scope, ttl)

    return make


@pytest.fixture
def auth(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token()}"}


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def stream_name(redis_client: redis.Redis) -> Iterator[str]:
    """A Redis stream of this test's own, deleted afterwards."""
    name = f"test:clientes:events:{uuid.uuid4().hex}"
    yield name
    redis_client.delete(name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        REPORT.test_failed(report.nodeid)
    elif report.when == "call" and report.passed:
        REPORT.test_passed(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    REPORT.write()


@pytest.fixture
def live(services: Services) -> Iterator[Positions]:
    """The live projector, running in this process."""
    positions = Positions()
    projector = projector_for(services, positions)
    projector.start()
    yield positions
    projector.stop()
