"""Limits on a request's head, enforced as it arrives, before the app sees it.

uvicorn's httptools protocol takes a head of any size: a 64 MiB header is
buffered whole (in time that grows with its square), 100,000 headers are all
kept, and a head sent a byte at a time holds the connection open. This is that
protocol with the contract's limits: more than ``max_headers`` headers, a
header line over ``max_header_line`` bytes or a head over ``max_head`` bytes is
answered 431; an ``Authorization`` value over ``max_header_line`` bytes is
answered 401 without being decoded (the auth middleware refuses the same below
this layer, for servers other than this one); a head not complete within
``head_timeout`` seconds is answered 408. Each refusal closes the connection.

Headers are counted and measured as the parser reports them; a header still
arriving is measured by the bytes received, so no more than one read beyond the
limit is ever buffered for it.
"""

from __future__ import annotations

import asyncio
import functools
import http
import logging
import uuid
from typing import Any

import httptools
import msgspec
from uvicorn.config import Config as ServerConfig
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from api.http.access import record_request
from api.http.tokens import too_long
from api.settings import Config

AUTHORIZATION = b"authorization"
access_log = logging.getLogger("clientes.access")


@functools.cache
def limits() -> Config:
    """This process's configuration, read once (``serve`` has checked it)."""
    return Config.from_env()


class HeadRefused(Exception):
    """The head breaks a limit: answered with ``status`` and closed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def too_large(detail: str) -> HeadRefused:
    return HeadRefused(431, detail)


def token_too_long(most: int) -> HeadRefused:
    return HeadRefused(401, too_long(most).detail)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a head over the configured limits."""

    def __init__(
        self,
        config: ServerConfig,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits()
        self._awaiting_head = True  # no head of the next request has been read whole yet
        self._head_received = 0  # bytes received while awaiting it
        self._head_begun = False  # some of it has arrived
        self._head_size = 0  # of its request line and headers, as parsed
        self._header_count = 0
        self._line_start = b""  # the first bytes of the line being received
        self._head_timer: asyncio.TimerHandle | None = None
        self._completed_here = False  # a request ended within the data being parsed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """As uvicorn's, with the head's limits applied to what arrives."""
        self._unset_keepalive_if_required()
        if self._awaiting_head and self._head_timer is None:
            self._arm_head_timer()  # the first bytes of the next request
        awaiting, self._completed_here = self._awaiting_head, False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # as uvicorn does
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, HeadRefused):
                self._refuse(error.__context__)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if self._awaiting_head and awaiting and not self._completed_here:
            self._head_received += len(data)
            self._note_line(data)
            if self._head_received > self.limits.max_head:
                self._refuse(self._refusal_of_a_head_still_arriving())

    def _note_line(self, data: bytes) -> None:
        newline = data.rfind(b"\n")
        if newline >= 0:
            self._line_start = data[newline + 1 : newline + 1 + len(AUTHORIZATION) + 1]
        else:
            self._line_start = (self._line_start + data)[: len(AUTHORIZATION) + 1]

    def _refusal_of_a_head_still_arriving(self) -> HeadRefused:
        if self._line_start.lower() == AUTHORIZATION + b":":
            return token_too_long(self.limits.max_header_line)
        return too_large(f"the request head is over {self.limits.max_head} bytes")

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_begun = True
        self._head_size = self._header_count = 0

    def on_url(self, url: bytes) -> None:
        self._grow(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            raise too_large(f"the request has more than {self.limits.max_headers} headers")
        most = self.limits.max_header_line
        if name.lower() == AUTHORIZATION:
            if len(value) > most:
                raise token_too_long(most)
        elif len(name) + len(value) + 4 > most:  # name: value CRLF
            raise too_large(f"a header line is over {most} bytes")
        self._grow(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_head = self._head_begun = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head, self._head_received, self._completed_here = True, 0, True

    def _grow(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.limits.max_head:
            raise too_large(f"the request head is over {self.limits.max_head} bytes")

    # The head's deadline

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head:
            return
        if not self._head_begun and self._head_received == 0:
            self.transport.close()  # nothing was asked: the connection is let go
            return
        seconds = f"{self.limits.head_timeout:g}"
        self._refuse(HeadRefused(408, f"the request head took longer than {seconds} s to arrive"))

    def _refuse(self, refused: HeadRefused) -> None:
        """Answers with problem details and closes the connection."""
        self._disarm_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an earlier request's answer is under way: no room for this
            return
        request_id = uuid.uuid4().hex
        self.transport.write(response(refused, request_id, self.server_state.default_headers))
        self.transport.close()
        settings = self.limits
        record_request(
            self._method(),
            None,
            "-",
            refused.status,
            0.0,
            request_id,
            metrics=settings.metrics,
            logged=settings.access_log,
        )

    def _method(self) -> str:
        """The request's method, if it arrived before the refusal."""
        try:
            return str(self.parser.get_method().decode("ascii"))
        except (AttributeError, ValueError, httptools.HttpParserError):
            return "-"


def response(
    refused: HeadRefused, request_id: str, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    """The whole answer to a refused head: problem details, with the headers every
    answer of the service carries."""
    phrase = http.HTTPStatus(refused.status).phrase
    body = msgspec.json.encode(
        {"type": "about:blank", "title": phrase, "status": refused.status, "detail": refused.detail}
    )
    headers = [
        *default_headers,
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        (b"x-request-id", request_id.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    if refused.status == 401:
        challenge = f'Bearer error="invalid_token", error_description="{refused.detail}"'
        headers.append((b"www-authenticate", challenge.encode()))
    lines = [f"HTTP/1.1 {refused.status} {phrase}".encode()]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
