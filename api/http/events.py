"""The events feed: stored Cliente events as envelopes, in JSON pages and as Server-Sent Events."""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.bootstrap import Services
from api.http.auth import Actor
from api.http.errors import problem
from api.http.numbers import INT64_DIGITS, MAX_INT64, int64
from api.http.openapi import present_only, problems
from api.http.params import LIMIT, PARAMETERS, whole_number
from api.http.stream_slots import Slot
from api.http.tokens import ClientesToken
from projections.envelopes import Envelope
from projections.feed import read_feed
from projections.watermark import Watermark

logger = logging.getLogger(__name__)

STREAM_BATCH = 500  # envelopes read from the store at a time by an event stream
HEARTBEAT = ServerSentEventMessage(comment="heartbeat", data=None)
# The last line of a stream whose token expired: reconnect with a fresh one and Last-Event-ID.
TOKEN_EXPIRED = ServerSentEventMessage(comment="token expired", data=None)
STREAM_RETRY_AFTER = 10  # seconds, in a 429 for too many streams

AFTER = PARAMETERS.add(
    whole_number("after", 0, MAX_INT64, "The events after this position (0: from the first)")
)
After = Annotated[int, AFTER.declared()]
Limit = Annotated[int, LIMIT.declared()]
POSITION_PATTERN = rf"^[ \t]*(?:{INT64_DIGITS})[ \t]*$"
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        description="The id (position) of the last event received: resume after it. "
        "Takes precedence over after.",
        schema_extra=present_only("string", pattern=POSITION_PATTERN),
    ),
]


class EventPage(msgspec.Struct, rename="camel", kw_only=True):
    """Envelopes in position order, and the ``after`` that reads on from them."""

    events: list[Envelope]
    next: int


class EventController(Controller):
    path = "/api/events"
    tags = ("events",)

    @get(operation_id="listEvents", sync_to_thread=True, responses=problems(400, 401, 403, 503))
    def list_events(
        self, services: NamedDependency[Services], after: After = 0, limit: Limit = 100
    ) -> EventPage:
        """Stored Cliente events after a position, in store order; pass next as after to go on."""
        page = read_feed(services.clientes.recorder, services.clientes.mapper, after, limit)
        return EventPage(events=page.envelopes, next=page.read_to)

    @get(
        "/stream",
        operation_id="streamEvents",
        media_type="text/event-stream",
        response_description="Events with id (the position), event (the type) and data "
        "(the envelope); a comment line as heartbeat",
        responses=problems(400, 401, 403, 429, 503),
    )
    async def stream_events(
        self,
        services: NamedDependency[Services],
        request: Request[Actor, ClientesToken, Any],
        after: After = 0,
        last_event_id: LastEventId = None,
    ) -> ServerSentEvent:
        """The same envelopes as Server-Sent Events (id: the position), then new ones as
        they are recorded, with a comment as heartbeat when idle, until the token expires."""
        start = after if last_event_id is None else parse_position(last_event_id)
        services.follow_head()
        # Reading the head here makes a store that is down a 503, not a broken stream.
        head = await anyio.to_thread.run_sync(services.clientes.recorder.max_notification_id)
        services.head.advance(head or 0)
        slot = services.streams.take(request.user.sub)
        if slot is None:
            raise problem(
                429,
                f"Too many event streams are open: at most {services.settings.streams_per_sub} "
                "per token subject; close one, or try again later",
                headers={"Retry-After": str(STREAM_RETRY_AFTER)},
            )
        # The token's own end, with the leeway every check of its times allows.
        lasts = request.auth.exp.timestamp() + services.settings.jwt_leeway - time.time()
        events = follow(services, start, services.settings.events_heartbeat, lasts)
        weakref.finalize(events, slot.release)  # should the stream never start
        return ServerSentEvent(released(events, slot))


def parse_position(raw: str) -> int:
    if (position := int64(raw.strip(" \t"))) is not None:
        return position
    raise problem(400, "Last-Event-ID must be the id of an event: a position, 0 or more")


async def released(
    events: AsyncGenerator[ServerSentEventMessage, None], slot: Slot
) -> AsyncIterator[ServerSentEventMessage]:
    """``events``, giving back the stream's slot when they end, however they end."""
    try:
        async for event in events:
            yield event
    finally:
        slot.release()
        await events.aclose()


async def follow(
    services: Services, position: int, heartbeat: float, lasts: float = math.inf
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Envelopes after ``position``, for as long as the client listens, the server runs
    and ``lasts`` seconds have not passed (the token has not expired)."""
    head, clientes = services.head, services.clientes
    loop = asyncio.get_running_loop()
    ends = loop.time() + lasts
    while not head.ended:
        if loop.time() >= ends:
            yield TOKEN_EXPIRED
            return
        if head.position > position:
            try:
                page = await anyio.to_thread.run_sync(
                    read_feed,
                    clientes.recorder,
                    clientes.mapper,
                    position,
                    STREAM_BATCH,
                    head.position,
                )
            except services.store.unreachable as error:
                # The client reconnects with Last-Event-ID and resumes once the store is back.
                logger.warning("An event stream ended: the store failed: %s", error)
                return
            for event in page.envelopes:
                yield ServerSentEventMessage(
                    id=event.position, event=event.type, data=msgspec.json.encode(event).decode()
                )
            position = page.read_to
        elif not await head.reached(position + 1, min(heartbeat, ends - loop.time())) and (
            not head.ended and loop.time() < ends
        ):
            yield HEARTBEAT


@contextmanager
def streams_end_on_stop_signal(head: Watermark) -> Iterator[None]:
    """Ends the event streams as soon as the server is told to stop.

    uvicorn lets the responses in progress finish before it shuts the app down,
    and cancels them when its grace period is over; an event stream never
    finishes by itself. So SIGTERM and SIGINT end the streams first, then reach
    the server's own handler. Signals reach only the main thread; elsewhere
    (under the test client) the app's shutdown ends the streams.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    chained: dict[int, Any] = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def end_streams(signum: int, frame: FrameType | None) -> None:
        head.end()
        handler = chained[signum]
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for signum in chained:
        signal.signal(signum, end_streams)
    try:
        yield
    finally:
        for signum, handler in chained.items():
            signal.signal(signum, handler)
