"""Request bodies, read whole before Litestar decodes them, so every problem is named at once.

msgspec stops at a body's first problem. This reads the JSON once, checks its
shape (an object, not nested too deeply, valid UTF-8), then every member:
unknown names, wrong types and the field rules together. What passes is what
the handler's Struct decodes without a second look; the decoded object is
handed on to Litestar, so the body is parsed once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import anyio
import msgspec
from litestar import Request
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.utils.scope.state import ScopeState

from api.http.errors import invalid_fields, problem
from api.http.metrics import COMMANDS
from commands import FieldError
from commands.validation import FIELDS, REASON, REQUIRED, field_errors
from projections.envelopes import API_NAMES

BODY_SECONDS = 10.0  # the longest a request body may take to arrive
_NAMES = {api_name: name for name, api_name in API_NAMES.items()}


def decode_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; a 400 problem saying where it is not one, or which key
    it holds twice.

    msgspec reads it first, saying where it is not JSON; the standard library reads it
    again, for what msgspec passes over (a key given twice, which it keeps the last of)
    or refuses although it is JSON (a number beyond a float, which the field rules then
    name like any value of the wrong type).
    """
    if not body.strip():
        raise problem(400, "The body is empty: a JSON object is expected")
    try:
        msgspec.json.decode(body)
    except RecursionError:
        raise problem(
            400, "The body is nested too deeply: a flat JSON object is expected"
        ) from None
    except msgspec.DecodeError as error:
        if not str(error).startswith(OUT_OF_RANGE):
            raise problem(400, f"The body is not valid JSON: {_where(body, str(error))}") from None
    try:
        decoded = json.loads(body, object_pairs_hook=_once_each)
    except KeyGivenTwice as twice:
        message = "is given twice: a JSON object holds each key once"
        raise problem(
            400, f"The body gives {twice.key!r} twice", [{"field": twice.key, "message": message}]
        ) from None
    if not isinstance(decoded, dict):
        raise problem(400, f"The body is a JSON {_kind(decoded)}: a JSON object is expected")
    return decoded


def cliente_fields(members: dict[str, Any], *, partial: bool) -> dict[str, str | None]:
    """The members of a Cliente body in the domain's names; a 400 naming every bad one."""
    errors: list[FieldError] = []
    unknown: list[str] = []
    fields: dict[str, str | None] = {}
    for key, value in members.items():
        name = _NAMES.get(key)
        if name is None:
            unknown.append(key)
        elif isinstance(value, str) or (value is None and name not in REQUIRED):
            fields[name] = value
        elif value is None:
            errors.append(FieldError(name, "is required: it cannot be null"))
        else:
            kind = "a string" if name in REQUIRED else "a string or null"
            errors.append(FieldError(name, f"must be {kind}, not {_kind(value)}"))
    mistyped = {e.field for e in errors}
    errors += field_errors(fields, require=() if partial else REQUIRED - mistyped)
    if errors or unknown:
        raise invalid_fields(
            [
                {"field": API_NAMES[e.field], "message": e.message}
                for e in sorted(errors, key=_order)
            ]
            + [{"field": key, "message": "is not a field"} for key in unknown]
        )
    return fields


BeforeRequest = Callable[[Request[Any, Any, Any]], Coroutine[Any, Any, None]]


OUT_OF_RANGE = "Number out of range"  # msgspec's words for a number beyond a float


class KeyGivenTwice(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members, refusing a key given twice (at any depth)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise KeyGivenTwice(key)
        found[key] = value
    return found


def erasure_reason(members: dict[str, Any]) -> str:
    """The reason of an erasure's body; a 400 naming every bad member."""
    errors = [{"field": key, "message": "is not a field"} for key in members if key != "reason"]
    reason = members.get("reason")
    if not isinstance(reason, str):
        kind = "missing" if "reason" not in members else f"a JSON {_kind(reason)}"
        errors.insert(0, {"field": "reason", "message": f"must be a string, not {kind}"})
    elif not REASON.allows(reason):
        errors.insert(0, {"field": "reason", "message": REASON.message})
    if errors:
        raise invalid_fields(errors)
    return str(reason)


Check = Callable[[dict[str, Any]], object]


def checked_body(command: str, check: Check) -> BeforeRequest:
    """A before-request hook that reads the body of ``command`` whole and ``check``s it."""

    async def hook(request: Request[Any, Any, Any]) -> None:
        try:
            json_only(request)
            members = decode_object(await read_body(request))
            check(members)
        except ProblemDetailsException:
            COMMANDS.labels(command, "invalid").inc()  # refused before it reached the command
            raise
        ScopeState.from_scope(request.scope).json = members

    return hook


NEW_CLIENTE = checked_body("create", partial(cliente_fields, partial=False))
CHANGED_CLIENTE = checked_body("update", partial(cliente_fields, partial=True))
ERASURE = checked_body("erase", erasure_reason)


def json_only(request: Request[Any, Any, Any]) -> None:
    """A 415 unless the body is sent as JSON (in UTF-8, the only charset it has)."""
    media_type, options = request.content_type
    charset = options.get("charset", "utf-8").lower()
    if media_type.lower() != "application/json" or charset not in ("utf-8", "utf8"):
        sent = request.headers.get("content-type") or "none"
        raise problem(
            415,
            f"A body must be sent as Content-Type: application/json (a charset=utf-8 "
            f"parameter is fine), not as {sent}",
            headers={"Accept-Post": "application/json"},
        )


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The whole body; a 408 problem if it takes longer than BODY_SECONDS to arrive,
    so a client that trickles it holds the connection no longer than that."""
    try:
        with anyio.fail_after(BODY_SECONDS):
            return await request.body()
    except TimeoutError:
        raise problem(
            408,
            f"The body took longer than {BODY_SECONDS:g} s to arrive",
            headers={"Connection": "close"},
        ) from None


def _where(body: bytes, message: str) -> str:
    """msgspec's message with the line and column it points at."""
    head, _, tail = message.partition(" (byte ")
    offset = int(tail.rstrip(")")) if tail else len(body)
    reason = head.removeprefix("JSON is malformed: ")
    if not tail:
        reason = "it ends too early" if "truncated" in head else reason
    line = body.count(b"\n", 0, offset) + 1
    column = offset - (body.rfind(b"\n", 0, offset) + 1) + 1
    return f"{reason} at line {line}, column {column}"


def _order(error: FieldError) -> int:
    return FIELDS.index(error.field)


def _kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")
