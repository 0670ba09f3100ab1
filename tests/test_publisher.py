"""The Redis stream publisher: every Cliente event once, in store order, through crashes
and outages."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest
import redis
from eventsourcing.persistence import Tracking
from litestar.testing import TestClient

from api.bootstrap import Services, build_publisher
from api.http.app import create_app
from api.http.auth import mint_token
from api.settings import ConfigError, Settings
from commands import Cliente, Clientes, CreateCliente, validate
from projections import Projector
from projections.publisher import RedisPublisher
from tests.conftest import REDIS_URL, SECRET
from tests.events_support import from_store, from_stream, summary, wait_until, write_script
from tests.private_redis import PrivateRedis
from tests.server import CLIENTES, server_env
from tests.support import body, fields


@pytest.fixture
def resources() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def publisher(services: Services, stream: str, resources: ExitStack) -> RedisPublisher:
    """A publisher as the service builds it, with no runner: for a test to drive by hand."""
    settings = msgspec.structs.replace(services.settings, redis_url=REDIS_URL, redis_stream=stream)
    runner = build_publisher(settings, services.clientes, resources)
    assert runner is not None
    assert isinstance(runner.projection, RedisPublisher)
    return runner.projection


def start_publisher(services: Services, stream: str, resources: ExitStack) -> Projector:
    settings = msgspec.structs.replace(services.settings, redis_url=REDIS_URL, redis_stream=stream)
    runner = build_publisher(settings, services.clientes, resources)
    assert runner is not None
    resources.callback(runner.stop)
    runner.start()
    return runner


def stored_batch(clientes: Clientes, tracking_name: str) -> list[tuple[object, Tracking]]:
    """Every stored event, as the runner hands them to a projection."""
    notifications = clientes.recorder.select_notifications(start=1, limit=1000)
    return [
        (clientes.mapper.to_domain_event(n), Tracking(tracking_name, n.id)) for n in notifications
    ]


def published_up_to(runner: Projector, clientes: Clientes) -> int:
    return runner.projection.view.max_tracking_id(clientes.name) or 0


def head(clientes: Clientes) -> int:
    return clientes.recorder.max_notification_id() or 0


def test_every_event_appears_once_in_position_order_as_the_contract_envelope(
    services: Services, stream_name: str, redis_client: redis.Redis, resources: ExitStack
) -> None:
    script = write_script(services.clientes)
    runner = start_publisher(services, stream_name, resources)
    wait_until(lambda: published_up_to(runner, services.clientes) == head(services.clientes))
    entries = from_stream(redis_client, stream_name)
    assert [summary(envelope) for _, envelope in entries] == script
    assert [envelope for _, envelope in entries] == from_store(services.clientes)
    assert [entry for entry, _ in entries] == [f"{e['position']}-0" for _, e in entries]
    created, _, updated = (envelope for _, envelope in entries[:3])
    assert set(created) == {
        "position",
        "type",
        "clienteId",
        "version",
        "timestamp",
        "actor",
        "data",
    }
    assert created["data"]["codigoCliente"].startswith("CLI-")
    assert updated["data"] == {"email": "a@example.com", "telefono": "987654321"}


def test_code_index_events_advance_the_position_but_are_not_published(
    services: Services, stream_name: str, redis_client: redis.Redis, resources: ExitStack
) -> None:
    services.clientes.execute(
        CreateCliente(fields(), "ana")
    )  # the Cliente's event, then the index's
    runner = start_publisher(services, stream_name, resources)
    wait_until(lambda: published_up_to(runner, services.clientes) == 2)
    assert [entry for entry, _ in from_stream(redis_client, stream_name)] == ["1-0"]


class Crash(Exception):
    """The publisher's process dies here."""


class TrackingThatCrashes:
    """The publisher's tracking, dying before it records a position: after XADD, before the save."""

    def __init__(self, tracking: object) -> None:
        self.tracking = tracking

    def insert_tracking(self, tracking: Tracking) -> None:
        raise Crash


@pytest.mark.parametrize("published_before_crash", [3, 1000], ids=["part", "whole-batch"])
def test_a_crash_after_xadd_before_saving_the_position_duplicates_and_loses_nothing(
    services: Services,
    stream_name: str,
    redis_client: redis.Redis,
    resources: ExitStack,
    published_before_crash: int,
) -> None:
    clientes = services.clientes
    write_script(clientes)
    real = publisher(services, stream_name, resources)
    crashing = RedisPublisher(
        TrackingThatCrashes(real.view),  # type: ignore[arg-type]
        real.client,
        stream_name,
        1000,
        real.positions_of,
    )
    batch = stored_batch(clientes, clientes.name)
    with pytest.raises(Crash):
        crashing.process_batch(batch[:published_before_crash])
    assert len(from_stream(redis_client, stream_name)) > 0
    assert real.view.max_tracking_id(clientes.name) is None

    write_script(clientes)
    restarted = start_publisher(services, stream_name, resources)
    wait_until(lambda: published_up_to(restarted, clientes) == head(clientes))
    entries = from_stream(redis_client, stream_name)
    assert [envelope for _, envelope in entries] == from_store(clientes)
    assert len({entry for entry, _ in entries}) == len(entries) == 16


def test_a_batch_published_again_adds_nothing(
    services: Services, stream_name: str, redis_client: redis.Redis, resources: ExitStack
) -> None:
    write_script(services.clientes)
    once = publisher(services, stream_name, resources)
    once.process_batch(stored_batch(services.clientes, "once"))
    before = from_stream(redis_client, stream_name)
    once.process_batch(stored_batch(services.clientes, "again"))
    assert from_stream(redis_client, stream_name) == before
    assert once.view.max_tracking_id("again") == head(services.clientes)


def test_the_stream_is_trimmed_to_about_maxlen_entries(
    services: Services, stream_name: str, redis_client: redis.Redis, resources: ExitStack
) -> None:
    tracking = publisher(services, stream_name, resources).view
    cliente = Cliente.register(1, validate(fields()), "ana")
    for n in range(299):
        cliente.update(validate(fields(nombre=f"Nombre {n}")), "luis")
    events = cliente.collect_events()
    trimming = RedisPublisher(
        tracking, redis_client, stream_name, maxlen=50, positions_of=lambda *_: []
    )
    trimming.process_batch([(e, Tracking("trim", p)) for p, e in enumerate(events, 1)])
    length = redis_client.xlen(stream_name)
    assert 50 <= length < 300
    [(last, _)] = redis_client.xrevrange(stream_name, count=1)  # type: ignore[misc]
    assert last == "300-0"


def test_only_one_publisher_is_active_and_each_event_is_published_once(
    services: Services, stream_name: str, redis_client: redis.Redis, resources: ExitStack
) -> None:
    first = start_publisher(services, stream_name, resources)
    second = start_publisher(services, stream_name, resources)
    for _ in range(3):
        write_script(services.clientes)
    wait_until(lambda: published_up_to(first, services.clientes) == head(services.clientes))
    assert [first.active, second.active].count(True) == 1
    assert [e for _, e in from_stream(redis_client, stream_name)] == from_store(services.clientes)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = PrivateRedis(directory)
    server.start()
    yield server
    server.kill()


class RunnerLog(logging.Handler):
    """What the runners log. The app configures logging when it starts, which takes
    pytest's own capture off the root logger: this handler sits on the runner's logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def runner_log() -> Iterator[RunnerLog]:
    handler = RunnerLog()
    logger = logging.getLogger("projections.runner")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_writes_go_on_while_redis_is_down_and_the_stream_catches_up_after(
    settings: Settings, private_redis: PrivateRedis, runner_log: RunnerLog
) -> None:
    settings = msgspec.structs.replace(settings, redis_url=private_redis.url)
    headers = {"Authorization": f"Bearer {mint_token(settings, 'ana', 'clientes:write', 600)}"}

    def said() -> list[str]:
        """What the publisher logged: a line per outage, and one when it resumes."""
        return [line for line in runner_log.lines if "redis_publisher" in line]

    with (
        TestClient(create_app(settings)) as client,
        private_redis.client() as redis_client,
    ):
        services: Services = client.app.state.services
        assert services.publisher is not None
        services.publisher.max_backoff = 0.2  # bounded back-off, kept short for the test

        def stream_reaches_the_head() -> bool:
            try:
                entries = from_stream(redis_client, settings.redis_stream)
            except redis.ConnectionError:
                return False
            return [e for _, e in entries] == from_store(services.clientes)

        for _ in range(3):
            assert client.post("/api/clientes", json=body(), headers=headers).status_code == 201
        wait_until(stream_reaches_the_head, what="the stream to hold the first events")

        private_redis.stop()
        created = client.post("/api/clientes", json=body(), headers=headers)
        assert created.status_code == 201
        cliente = created.json()["id"]
        changed = client.patch(f"/api/clientes/{cliente}", json={"nombre": "X"}, headers=headers)
        assert changed.status_code == 200
        assert client.delete(f"/api/clientes/{cliente}", headers=headers).status_code == 204
        wait_until(lambda: len(said()) == 1, what="the publisher to notice the outage")

        private_redis.start()
        wait_until(stream_reaches_the_head, what="the stream to catch up")
        entries = from_stream(redis_client, settings.redis_stream)
    assert [summary(e)[0] for _, e in entries][-3:] == [
        "ClienteCreated",
        "ClienteUpdated",
        "ClienteDeactivated",
    ]
    assert len({entry for entry, _ in entries}) == len(entries) == 6
    interrupted, resumed = said()
    assert "interrupted" in interrupted
    assert "resumed" in resumed


class TestSettings:
    def test_the_stream_and_its_length_have_defaults(self) -> None:
        settings = Settings.from_env({"CLIENTES_REDIS_URL": REDIS_URL}, with_secret=False)
        assert (settings.redis_url, settings.redis_stream, settings.redis_maxlen) == (
            REDIS_URL,
            "clientes:events",
            1_000_000,
        )

    def test_they_are_read_from_the_environment(self) -> None:
        settings = Settings.from_env(
            {"CLIENTES_REDIS_STREAM": "other:stream", "CLIENTES_REDIS_MAXLEN": "5000"},
            with_secret=False,
        )
        assert (settings.redis_stream, settings.redis_maxlen) == ("other:stream", 5000)

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("CLIENTES_REDIS_MAXLEN", "0"),
            ("CLIENTES_REDIS_MAXLEN", "many"),
            ("CLIENTES_EVENTS_HEARTBEAT", "-1"),
            ("CLIENTES_REDIS_URL", "http://127.0.0.1:6379"),
        ],
    )
    def test_a_bad_value_is_a_clear_error(self, key: str, value: str) -> None:
        with pytest.raises(ConfigError, match=key):
            Settings.from_env({key: value}, with_secret=False)

    def test_without_a_redis_url_nothing_is_published(self, services: Services) -> None:
        assert build_publisher(services.settings, services.clientes, ExitStack()) is None


def test_clientes_project_publishes_beside_the_projector(
    services: Services, stream_name: str, redis_client: redis.Redis
) -> None:
    env = server_env(
        services.settings.store,
        SECRET,
        CLIENTES_REDIS_URL=REDIS_URL,
        CLIENTES_REDIS_STREAM=stream_name,
    )
    project = subprocess.Popen([str(CLIENTES), "project"], env=env, stderr=subprocess.DEVNULL)
    try:
        write_script(services.clientes)
        expected = from_store(services.clientes)
        wait_until(lambda: [e for _, e in from_stream(redis_client, stream_name)] == expected)
        wait_until(lambda: services.position == head(services.clientes), what="the read table")
    finally:
        project.terminate()
        assert project.wait(timeout=15) == 0
