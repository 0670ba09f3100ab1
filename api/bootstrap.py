"""The composition root: every part of a process, built from Settings, stopped in one call.

``serve`` (each API worker), ``project``, ``replay`` and the tests build what
they run here. Whatever is opened or started is registered on one exit stack,
so ``close()`` stops the threads and closes the connections, in reverse order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import cast

import anyio
import redis
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment
from redis.backoff import NoBackoff
from redis.retry import Retry

from api.http.stream_slots import StreamSlots
from api.settings import Settings
from api.workers import shared_directory
from commands import Clientes, Command, Written
from projections import ClientesProjection, ClientesView, Projector, Watermark, open_view
from projections.background import Background
from projections.batches import Batcher
from projections.locks import Lock
from projections.publisher import RecordsPositions, RedisPublisher
from projections.reads import Reads
from projections.stall import StallWatch
from stores import Store, StoreUnusable


@dataclass
class Services:
    """The parts of one process: the application, its read table, and what keeps them current."""

    settings: Settings
    clientes: Clientes
    view: ClientesView
    readable: Watermark  # how far the read table has got: what a read sees
    reads: Reads  # how requests read the read table (opened by the app)
    projection_lock: Lock  # held by whichever process projects
    commands: Batcher[Command, Written]  # what requests run their commands through
    streams: StreamSlots  # the event streams open, per token sub and in all
    head: Watermark = field(default_factory=Watermark)  # how far the event store has got
    stall: StallWatch = field(default_factory=StallWatch)
    # (actor, Idempotency-Key) of the keyed writes running in this process
    keys_running: set[tuple[str, str]] = field(default_factory=set)
    projector: Projector | None = None
    publisher: Projector | None = None
    threads: list[Background] = field(default_factory=list)  # started by start()
    events_follower: Background | None = None  # started by the first event stream
    published: TrackingRecorder | None = None  # the Redis publisher's position, when configured
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def store(self) -> Store:
        return self.settings.store

    @property
    def position(self) -> int | None:
        """The read table's position, as stored."""
        return self.view.max_tracking_id(self.clientes.name)

    def publisher_position(self) -> int | None:
        """The Redis publisher's position, as stored; None without a publisher."""
        if self.published is None:
            return None
        return self.published.max_tracking_id(self.clientes.name) or 0

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Starts the threads; ``loop`` is the one whose requests wait on the watermarks."""
        if loop is not None:
            self.readable.bind(loop)
            self.head.bind(loop)
        for thread in self.threads:
            self._run(thread)

    def follow_head(self) -> None:
        """Starts moving ``head`` from the store, once: at the first event stream, not before."""
        if self.events_follower is not None and self.events_follower not in self.threads:
            self.threads.append(self.events_follower)
            self._run(self.events_follower)

    def close(self) -> None:
        self.head.end()
        self.stack.close()

    def projector_running(self) -> bool:
        """Whether a projector, here or in another process, keeps the read table."""
        if self.projector is not None and self.projector.active:
            return True
        return self.projection_lock.held()

    def oldest_unapplied(self, position: int) -> datetime | None:
        """When the first event after ``position`` was recorded; None if there is none."""
        recorder, mapper = self.clientes.recorder, self.clientes.mapper
        upcoming = recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
        if not upcoming:
            return None
        event: Aggregate.Event = mapper.to_domain_event(upcoming[0])
        return event.timestamp

    def _run(self, thread: Background) -> None:
        thread.start()
        self.stack.callback(thread.stop)


def command_batcher(clientes: Clientes) -> Batcher[Command, Written]:
    """The commands that requests ask for together, run together in one worker thread."""

    async def run(commands: list[Command]) -> list[Written | Exception]:
        steps = [partial(clientes.steps, command) for command in commands]
        return await anyio.to_thread.run_sync(clientes.committer.run_together, steps)

    return Batcher(run)


def prepare_store(store: Store, *, rebuilding: bool = False) -> None:
    """Checks that the store can be used, and creates the tables it lacks.

    Raises StoreUnusable, naming what to fix, instead of a traceback later; unless
    ``rebuilding`` (a replay, which makes the read table anew), also when the read
    table lacks a column that only a replay can give its rows.
    """
    store.check()
    with store.creating_tables():
        Clientes(env=store.env).close()
        view = open_view(store.env)
        view.close()
    if not rebuilding:
        refuse_outdated(view)


def refuse_outdated(view: ClientesView) -> None:
    """Raises StoreUnusable if the read table lacks a column that every row needs:
    its rows cannot be given one at start, and only a replay makes the table anew."""
    if view.lacking:
        raise StoreUnusable(
            f"the read table {view.tables.rows} lacks the column(s) {', '.join(view.lacking)}"
            " that this release's rows need: run `clientes replay` to rebuild it from the"
            " events, then start again"
        )


def bootstrap(
    settings: Settings, *, api: bool, projector: bool, rebuilding: bool = False
) -> Services:
    """The parts of a process that serves requests (``api``), projects, both, or neither
    (``rebuilding`` as for ``prepare_store``)."""
    store = settings.store
    stack = ExitStack()
    with store.creating_tables():
        clientes = Clientes(env=store.env)
        stack.callback(clientes.close)
        view = open_view(store.env)
        stack.callback(view.close)
    if not rebuilding and view.lacking:
        stack.close()
        refuse_outdated(view)
    services = Services(
        settings,
        clientes,
        view,
        readable=Watermark(
            read=lambda: view.max_tracking_id(clientes.name), recheck=store.readable_recheck
        ),
        reads=store.reads(view, clientes.recorder),
        projection_lock=store.lock(ClientesProjection.name),
        commands=command_batcher(clientes),
        streams=StreamSlots(shared_directory(), settings.streams_per_sub, settings.max_streams),
        stack=stack,
    )
    services.published = publisher_tracking(settings, stack)
    wakes: list[Callable[[int], None]] = [services.head.advance]
    if projector:
        runners = [
            build_projector(store, clientes, view, services.readable.advance, follows_store=False)
        ]
        services.publisher = build_publisher(settings, clientes, stack, services.published)
        if services.publisher is not None:
            runners.append(services.publisher)
        services.projector = runners[0]
        services.threads += runners
        wakes += [runner.wake for runner in runners]
    follower = store.follow_events(clientes.recorder, lambda head: _each(wakes, head))
    clientes.on_recorded.append(lambda position: _each(wakes, position))
    if projector:
        services.threads.insert(0, follower)
    else:
        services.events_follower = follower
    if api and (listener := store.follow_read_table(view, services.readable.advance)):
        services.threads.insert(0, listener)
    return services


def build_projector(
    store: Store,
    clientes: Clientes,
    view: ClientesView,
    on_progress: Callable[[int], None] = lambda _: None,
    *,
    follows_store: bool = True,
) -> Projector:
    """A projector of the read table; one that ``follows_store`` learns of other processes'
    events by itself, otherwise whoever follows the store wakes it."""
    projector = Projector(
        recorder=clientes.recorder,
        mapper=clientes.mapper,
        tracking_name=clientes.name,
        projection=ClientesProjection(view),
        lock=store.lock(ClientesProjection.name),
        outages=(*store.unreachable, OSError),
        on_progress=on_progress,
    )
    if follows_store:
        projector.follower = store.follow_events(clientes.recorder, projector.wake)
    return projector


def publisher_tracking(settings: Settings, stack: ExitStack) -> TrackingRecorder | None:
    """Where the Redis publisher records its position, when CLIENTES_REDIS_URL is set."""
    if settings.redis_url is None:
        return None
    store = settings.store
    factory = InfrastructureFactory.construct(Environment(RedisPublisher.name, store.env))
    stack.callback(factory.close)
    with store.creating_tables():
        return factory.tracking_recorder()


def build_publisher(
    settings: Settings,
    clientes: Clientes,
    stack: ExitStack,
    tracking: TrackingRecorder | None = None,
) -> Projector | None:
    """The projector that publishes to Redis, when CLIENTES_REDIS_URL is set.

    It connects to Redis only when it publishes, so Redis being down delays
    the stream, never the service.
    """
    tracking = tracking or publisher_tracking(settings, stack)
    if settings.redis_url is None or tracking is None:
        return None
    # One quick retry mends a connection Redis dropped; the runner backs off from outages.
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
    )
    stack.callback(client.close)
    publisher = RedisPublisher(
        tracking,
        client,
        settings.redis_stream,
        settings.redis_maxlen,
        cast(RecordsPositions, clientes.recorder).positions_of,
    )
    return Projector(
        recorder=clientes.recorder,
        mapper=clientes.mapper,
        tracking_name=clientes.name,
        projection=publisher,
        lock=settings.store.lock(RedisPublisher.name),
        outages=(*settings.store.unreachable, *RedisPublisher.outages, OSError),
    )


def _each(calls: list[Callable[[int], None]], position: int) -> None:
    for call in calls:
        call(position)
