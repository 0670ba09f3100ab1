"""Every error as RFC 9457 problem details, mapped in one place."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from api.http.schemas import MAX_BODY
from commands import (
    ClienteNotFound,
    ClientesError,
    CodigoTaken,
    KeyReused,
    TooMuchContention,
    ValidationFailed,
    VersionMismatch,
    VersionNotFound,
)
from commands.errors import AlreadyErased, ClienteGone, NotSealedYet
from projections.envelopes import API_NAMES
from stores import Store

logger = logging.getLogger(__name__)

UNKNOWN_FIELD = re.compile(r"unknown field `(?P<field>[^`]*)`")


class ReadSideBehind(Exception):
    """The write was recorded, but the read table did not reach it in time."""


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemDetailsException:
    """A problem whose title is the status phrase; ``extra`` members join the body."""
    members = {**(extra or {}), **({"errors": errors} if errors else {})}
    return ProblemDetailsException(
        status_code=status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        extra=members or None,
        headers=headers,
    )


def invalid_fields(errors: list[dict[str, str]]) -> ProblemDetailsException:
    """A 400 naming every offending field, in the API's names."""
    fields = ", ".join(e["field"] for e in errors)
    return problem(400, f"Invalid fields: {fields}", errors)


def from_validation_failed(exc: ValidationFailed) -> ProblemDetailsException:
    return invalid_fields(
        [{"field": API_NAMES.get(e.field, e.field), "message": e.message} for e in exc.errors]
    )


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, NotAuthorizedException):
        # A bare challenge, unless the auth layer's own names the check that failed.
        challenge = {"WWW-Authenticate": "Bearer", **(exc.headers or {})}
        return problem(401, exc.detail, headers=challenge)
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        items = [item for item in exc.extra if isinstance(item, Mapping)]
        if any(item.get("source") == "path" for item in items):
            # An id out of range names no Cliente, like any other unknown id.
            return problem(404, str(ClienteNotFound(_path_id(exc.detail))))
        errors = [_request_error(item) for item in items]
        return problem(400, "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        limit = f"{MAX_BODY // 1024} KiB ({MAX_BODY} bytes)"
        return problem(413, f"The body is over the limit of {limit}")
    if exc.status_code >= 500:
        return from_unexpected(exc)
    return problem(exc.status_code, exc.detail, headers=exc.headers)


CLIENTE_PATH = re.compile(r"/api/clientes/([^/]{1,40})(?:/(?:history|erasure))?")


def _path_id(detail: str) -> str:
    """The id a request named in its path, from Litestar's "Validation failed for GET /..."."""
    found = CLIENTE_PATH.fullmatch(detail.rpartition(" ")[2])
    return found.group(1) if found else "given"


def not_found(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """No route answers the path: one that names a Cliente by something that is no id
    (/api/clientes/abc) is told so as any unknown Cliente is."""
    found = CLIENTE_PATH.fullmatch(request.url.path)
    detail = str(ClienteNotFound(found.group(1))) if found else exc.detail
    return problem(404, detail).to_response(request)


def _request_error(item: Mapping[str, Any]) -> dict[str, str]:
    """Litestar's report of a body or parameter that did not decode, named by field."""
    message = str(item.get("message", "is not valid"))
    field = str(item.get("key", ""))
    if (match := UNKNOWN_FIELD.search(message)) is not None:
        return {"field": match["field"], "message": "is not a known field"}
    if field == "data":
        if message.startswith("Expected"):
            return {"field": "body", "message": f"{message}: a JSON object is expected"}
        return {"field": "body", "message": "a JSON object is expected"}
    return {"field": field, "message": message}


def from_unexpected(exc: Exception) -> ProblemDetailsException:
    logger.error("Unhandled error", exc_info=exc)
    return problem(500, "The request could not be completed")


def from_store_down(exc: Exception) -> ProblemDetailsException:
    # The driver's message may quote SQL or hosts: it goes to the log, not the client.
    logger.warning("Store unavailable: %s", exc)
    return problem(503, "The store is unavailable; try again shortly", headers={"Retry-After": "5"})


@dataclass(frozen=True)
class Refusal:
    """How a refusal of the domain is answered, and what clientes_commands_total counts
    a command refused so as (``outcome``)."""

    status: int
    outcome: str

    def problem(self, refused: Exception) -> ProblemDetailsException:
        if isinstance(refused, ValidationFailed):
            return from_validation_failed(refused)
        # A stale If-Match is told the version the Cliente is at, to read or retry against.
        headers = {"ETag": f'"{refused.actual}"'} if isinstance(refused, VersionMismatch) else None
        return problem(self.status, str(refused), headers=headers)  # the domain's words


REFUSALS: Mapping[type[Exception], Refusal] = {
    ValidationFailed: Refusal(400, "invalid"),
    ClienteNotFound: Refusal(404, "not_found"),
    VersionNotFound: Refusal(404, "not_found"),
    CodigoTaken: Refusal(409, "conflict"),
    TooMuchContention: Refusal(409, "conflict"),
    VersionMismatch: Refusal(412, "precondition_failed"),
    KeyReused: Refusal(422, "invalid"),  # the Idempotency-Key was used for another request
    AlreadyErased: Refusal(409, "conflict"),
    NotSealedYet: Refusal(409, "conflict"),
    ClienteGone: Refusal(410, "not_found"),
}


def refused(error: Exception) -> ProblemDetailsException | None:
    """The problem a refusal of the domain is answered with; None for anything else."""
    refusal = REFUSALS.get(type(error))
    return None if refusal is None else refusal.problem(error)


def from_refusal(error: ClientesError) -> ProblemDetailsException:
    return REFUSALS[type(error)].problem(error)


def from_read_side_behind(exc: ReadSideBehind) -> ProblemDetailsException:
    return problem(503, str(exc), headers={"Retry-After": "1"})


PROBLEMS: Mapping[type[Exception], Callable[[Any], ProblemDetailsException]] = {
    **dict.fromkeys(REFUSALS, from_refusal),
    ReadSideBehind: from_read_side_behind,
    OperationalError: from_store_down,
    InterfaceError: from_store_down,
    UnicodeDecodeError: lambda exc: problem(400, "The body is not valid UTF-8"),
    HTTPException: from_http_exception,
    Exception: from_unexpected,
}


def problem_details(store: Store) -> ProblemDetailsConfig:
    """Every error as problem details; ``store``'s own errors of being away as 503s."""
    away = dict.fromkeys(store.driver_unreachable, from_store_down)
    return ProblemDetailsConfig(exception_to_problem_detail_map={**away, **PROBLEMS})
