"""Idempotency-Key on writes: a repeated request gets the first answer again and records nothing.

The answer is kept by the command itself, in the transaction of its change
(commands/idempotency.py); here a write is made a keyed one, its answer is
rendered for keeping, and a kept answer is given again. A key whose first
request is still running in this process is refused at once with a 409;
across processes the store's refusal of a second first use decides.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import anyio
import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter

from api.bootstrap import Services
from api.http.auth import Actor
from api.http.errors import problem, refused
from api.http.openapi import present_only
from api.http.writes import readable, write
from commands import AlreadyAnswered, Answer, Cliente, ClientesError, Command, KeyUse
from commands.idempotency import HOUR, KEPT_HOURS, hour_of

KEY_PATTERN: Final = r"^[ -~]{1,255}$"  # 1..255 printable ASCII characters
KEPT_PROBLEMS = frozenset({404, 409, 412})  # refusals of a command that ran
KEPT_HEADERS = ("ETag", "Location")
REPLAYED = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Makes the write safe to repeat: the same request again with the same "
        "key, within 24 hours, gets the first answer again (with Idempotent-Replayed: true) "
        "and changes nothing. The key is the token subject's own; another request with it "
        "is a 422, and one while the first still runs a 409.",
        schema_extra=present_only("string", pattern=KEY_PATTERN, minLength=1, maxLength=255),
    ),
]

Respond = Callable[[Cliente], Response[Any]]


async def keyed_write(
    services: Services,
    request: Request[Actor, Any, Any],
    command: Command,
    key: str | None,
    respond: Respond,
) -> Response[Any]:
    """Runs ``command`` as ``write`` does and answers with ``respond``; with a ``key``, the
    answer is kept with the change, and a request that was answered already is answered
    again without running."""
    if key is None:
        return respond((await write(services, command)).cliente)
    if re.fullmatch(KEY_PATTERN, key) is None:
        message = "must be 1 to 255 printable ASCII characters"
        raise problem(
            400,
            f"Idempotency-Key {message}",
            [{"field": "Idempotency-Key", "message": message}],
        )
    actor = command.actor
    await within_quota(services, actor, key)
    running = (actor, key)
    if running in services.keys_running:
        raise problem(
            409,
            "A request with this Idempotency-Key is still running: "
            "wait for its answer, then repeat the request to get it",
            headers={"Retry-After": "1"},
        )
    services.keys_running.add(running)
    kept: Answer | None = None  # the last attempt's: the one recorded

    def keep(outcome: Cliente | ClientesError) -> Answer | None:
        nonlocal kept
        kept = kept_answer(respond, outcome)
        return kept

    try:
        use = KeyUse(actor, key, await described(request), keep)
        written = await write(services, replace(command, key=use))
    except AlreadyAnswered as answered:
        if answered.answer.status < 300:
            # The change it answered may be what the read table has still to reach.
            head = await anyio.to_thread.run_sync(services.clientes.recorder.max_notification_id)
            await readable(services, head or 0)
        return given(answered.answer, again=True)
    finally:
        services.keys_running.discard(running)
    # The answer as kept, rendered once: a repeat gets these very bytes.
    return respond(written.cliente) if kept is None else given(kept)


async def within_quota(services: Services, actor: str, key: str) -> None:
    """A 429 for a new key once ``actor`` keeps as many answers as it may (from the last
    24 hours, counted per hour); a key that holds its answer already is answered again."""
    now = hour_of(datetime.now(UTC))
    kept = await services.reads.kept_answers(actor, now - KEPT_HOURS)
    most = services.settings.keys_per_sub
    if kept < most or await anyio.to_thread.run_sync(services.clientes.keys.holds, actor, key):
        return
    next_hour = (now + 1) * HOUR - int(time.time())
    raise problem(
        429,
        f"This token's subject keeps the answers of {kept} Idempotency-Keys from the last "
        f"24 hours, the most it may ({most}): send the write without a key, or retry it later",
        headers={"Retry-After": str(max(next_hour, 1))},
    )


async def described(request: Request[Any, Any, Any]) -> str:
    """What a key is used for: the method, the path and a digest of the body."""
    digest = hashlib.sha256(await request.body()).hexdigest()
    return f"{request.method} {request.scope['path']} {digest}"


def kept_answer(respond: Respond, outcome: Cliente | ClientesError) -> Answer | None:
    """The answer to keep for a command's outcome; None for a refusal that is not kept."""
    if isinstance(outcome, ClientesError):
        problem_ = refused(outcome)
        if problem_ is None:
            return None
        response: Response[Any] = problem_.to_response(None)  # type: ignore[arg-type]
        if response.status_code not in KEPT_PROBLEMS:
            return None
    else:
        response = respond(outcome)
    body = b"" if response.content is None else msgspec.json.encode(response.content)
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return Answer(response.status_code or 200, body.decode(), headers)


def given(answer: Answer, *, again: bool = False) -> Response[Any]:
    """A kept answer as a response; ``again`` marks it as the answer to an earlier request.

    An answer that showed a Cliente whose personal data was erased since is gone with
    it: a 410 says so, and nothing else of it is given.
    """
    if answer.erased:
        gone = problem(
            410,
            "The answer kept for this Idempotency-Key showed a Cliente whose personal data "
            "was erased since: it is gone with it",
            headers={REPLAYED: "true"},
        )
        return gone.to_response(None)  # type: ignore[arg-type]
    media_type = "application/problem+json" if answer.status >= 400 else "application/json"
    return Response(
        answer.body.encode(),
        status_code=answer.status,
        headers={**answer.headers, REPLAYED: "true"} if again else answer.headers,
        media_type=media_type,
    )
