"""The composition root: the application, the read side and the projector, from Settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio
import psycopg
import redis
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import Environment
from redis.backoff import NoBackoff
from redis.retry import Retry

from api.errors import ReadSideBehind
from api.settings import Settings, Store
from commands import Clientes, Written
from projections import ClientesProjection, ClientesView, Projector, Watermark, open_view
from projections.leadership import FileLeadership, Leadership, PostgresLeadership, advisory_key
from projections.listeners import Background, ChannelListener, Poller
from projections.postgres import PostgresClientesView
from projections.progress import ProjectionWatch
from projections.publisher import RedisPublisher

FIRST_WAIT = 1.0  # seconds a write waits before it asks whether a projector runs: a
# standby takes over within a second of the active one stopping
NO_PROJECTOR = (
    "The change is recorded, but no projector is running to make it readable: "
    "start `clientes project`, or `clientes serve` without --no-projector"
)


@dataclass
class Services:
    settings: Settings
    clientes: Clientes
    view: ClientesView
    progress: Watermark  # how far the read table has got
    projector: Projector | None = None
    listener: Background | None = None
    watch: ProjectionWatch = field(default_factory=ProjectionWatch)
    publisher: Projector | None = None
    head: Watermark = field(default_factory=Watermark)  # how far the event store has got
    head_watcher: Background | None = None
    projection_lock: Leadership | None = None  # to learn whether any process projects
    resources: ExitStack = field(default_factory=ExitStack)
    _started: list[Any] = field(default_factory=list)

    @property
    def position(self) -> int | None:
        return self.view.max_tracking_id(self.clientes.name)

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if loop is not None:
            self.progress.bind(loop)
            self.head.bind(loop)
        for part in (self.listener, self.projector, self.publisher):
            if part is not None:
                part.start()
                self._started.append(part)

    def follow_head(self) -> None:
        """Starts moving ``head`` from the store, once: at the first event stream, not before."""
        if self.head_watcher is not None and self.head_watcher not in self._started:
            self.head_watcher.start()
            self._started.append(self.head_watcher)

    def close(self) -> None:
        self.head.end()
        while self._started:
            self._started.pop().stop()
        self.resources.close()
        self.clientes.close()
        self.view.close()

    def oldest_unapplied(self, position: int) -> datetime | None:
        """When the first event after ``position`` was recorded; None if there is none."""
        recorder, mapper = self.clientes.recorder, self.clientes.mapper
        upcoming = recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
        if not upcoming:
            return None
        event: Aggregate.Event = mapper.to_domain_event(upcoming[0])  # type: ignore[assignment]
        return event.timestamp

    def projector_running(self) -> bool:
        """Whether a projector, here or in another process, keeps the read table."""
        if self.projector is not None and self.projector.active:
            return True
        return self.projection_lock is not None and self.projection_lock.held()

    async def write(self, command: Callable[..., Written], *args: Any) -> Written:
        """Runs a command off the event loop, then waits until its change is readable.

        A write that is not readable within a second asks whether any projector
        runs at all, and says so at once if none does (the change stays recorded).
        """
        written = await anyio.to_thread.run_sync(command, *args)
        if written.position is None:
            return written
        timeout = self.settings.write_timeout
        if await self.progress.reached(written.position, min(timeout, FIRST_WAIT)):
            return written
        if not await anyio.to_thread.run_sync(self.projector_running):
            raise ReadSideBehind(NO_PROJECTOR)
        if not await self.progress.reached(written.position, max(0.0, timeout - FIRST_WAIT)):
            raise ReadSideBehind(
                "The change is recorded but not readable yet; read it again shortly"
            )
        return written


@contextmanager
def setting_up(store: Store) -> Iterator[None]:
    """Lets one process at a time create the tables.

    PostgreSQL's CREATE ... IF NOT EXISTS fails when another session creates the
    same table at the same moment, as workers and a projector starting together do.
    """
    if not store.is_postgres:
        yield
        return
    with psycopg.connect(store.conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (advisory_key(store.schema, "setup"),))
        yield  # the lock ends with the session


def open_store(store: Store) -> tuple[Clientes, ClientesView]:
    """The application and the read table, their tables created if missing."""
    if store.sqlite_path is not None:
        store.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with setting_up(store):
        return Clientes(env=store.env), open_view(store.env)


def build_services(settings: Settings, *, projector: bool) -> Services:
    """Opens the store and, when asked, the projector that keeps the read table."""
    store = settings.store
    clientes, view = open_store(store)
    progress = Watermark(
        read=lambda: view.max_tracking_id(clientes.name),
        recheck=0.25 if store.is_postgres else 0.01,
    )
    services = Services(settings, clientes, view, progress)
    if projector:
        runner = build_projector(store, clientes, view, on_progress=progress.advance)
        clientes.on_recorded.append(lambda _position: runner.wake())
        services.projector = runner
        services.publisher = build_publisher(settings, clientes, services.resources)
    if isinstance(view, PostgresClientesView):
        services.listener = ChannelListener(
            store.conninfo,
            view.channel,
            on_notify=lambda payload: progress.advance(int(payload)),
            name="read-side-listener",
        )
    services.projection_lock = leadership(store, clientes, ClientesProjection.name)
    services.head_watcher = head_watcher(store, clientes, services.head)
    clientes.on_recorded.append(services.head.advance)
    return services


def build_projector(
    store: Store,
    clientes: Clientes,
    view: ClientesView,
    on_progress: Callable[[int], None] = lambda _: None,
) -> Projector:
    return Projector(
        recorder=clientes.recorder,
        mapper=clientes.mapper,
        tracking_name=clientes.name,
        projection=ClientesProjection(view),
        leadership=leadership(store, clientes, ClientesProjection.name),
        on_progress=on_progress,
    )


def build_publisher(
    settings: Settings, clientes: Clientes, resources: ExitStack
) -> Projector | None:
    """The projector that publishes to Redis, when CLIENTES_REDIS_URL is set.

    What it opens is closed with ``resources``; it connects to Redis only when
    it publishes, so Redis being down delays the stream, never the service.
    """
    if settings.redis_url is None:
        return None
    store = settings.store
    factory = InfrastructureFactory.construct(Environment(RedisPublisher.name, store.env))
    resources.callback(factory.close)
    with setting_up(store):
        tracking = factory.tracking_recorder()
    # One quick retry mends a connection Redis dropped; the runner backs off from outages.
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
    )
    resources.callback(client.close)
    publisher = RedisPublisher(tracking, client, settings.redis_stream, settings.redis_maxlen)
    runner = Projector(
        recorder=clientes.recorder,
        mapper=clientes.mapper,
        tracking_name=clientes.name,
        projection=publisher,
        leadership=leadership(store, clientes, RedisPublisher.name),
    )
    clientes.on_recorded.append(lambda _position: runner.wake())
    return runner


def head_watcher(store: Store, clientes: Clientes, head: Watermark) -> Background:
    """Moves ``head`` on the event store's notifications (PostgreSQL) or by polling (SQLite)."""
    recorder = clientes.recorder

    def read_head(*_: object) -> None:
        head.advance(recorder.max_notification_id() or 0)

    if store.sqlite_path is not None:
        return Poller(read_head, interval=0.5, name="head-poller")
    assert isinstance(recorder, PostgresApplicationRecorder)
    return ChannelListener(
        store.conninfo,
        recorder.channel_name,
        on_notify=read_head,
        on_listening=read_head,
        name="head-listener",
    )


def leadership(store: Store, clientes: Clientes, name: str) -> Leadership:
    if store.sqlite_path is not None:
        return FileLeadership(
            store.sqlite_path.with_name(f"{store.sqlite_path.name}.{name}.lock"),
            poll_interval=0.025,
        )
    recorder = clientes.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return PostgresLeadership(
        store.conninfo, advisory_key(store.schema, name), channel=recorder.channel_name
    )
