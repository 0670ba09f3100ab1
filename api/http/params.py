"""Query parameters: each declared once, with what it accepts, and checked before a route runs.

A route's parameters are those its handler and dependencies declare; any other
is refused, and so is a bad value of a declared one, all of them in one 400 by
the names the client sent. Whole numbers are plain decimal digits within their
bounds (``1e3``, ``1.0``, ``+1`` or ``9223372036854775808`` are refused). The
route's own parameters are then parsed by Litestar from values known to be good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg, QueryParameter
from litestar.routes import HTTPRoute

from api.http.errors import invalid_fields
from api.http.numbers import DIGITS
from api.http.openapi import present_only
from commands.validation import Rule

Check = Callable[[str], str | None]  # why a value is refused; None if it is accepted


@dataclass(frozen=True)
class Query:
    """A query parameter: its name as sent, why a value of it is refused, and how the
    OpenAPI document shows it."""

    name: str
    check: Check
    description: str
    schema: Mapping[str, Any] = field(default_factory=dict)
    repeatable: bool = False

    def declared(self, **extra: Any) -> ParameterKwarg:
        """The parameter as a handler declares it (its name, its OpenAPI schema)."""
        return QueryParameter(
            name=self.name, description=self.description, schema_extra=dict(self.schema), **extra
        )


def whole_number(name: str, low: int, high: int, description: str) -> Query:
    message = f"must be a whole number from {low} to {high}, in plain digits"

    def check(raw: str) -> str | None:
        return None if DIGITS.fullmatch(raw) and low <= int(raw) <= high else message

    schema = {**present_only("integer"), "minimum": low, "maximum": high}
    return Query(name, check, description, schema)


def ruled(name: str, rule: Rule, description: str) -> Query:
    """Text that a field's rule decides."""
    schema = present_only("string", pattern=rule.pattern)
    return Query(name, lambda raw: None if rule.allows(raw) else rule.message, description, schema)


def one_of(name: str, values: tuple[str, ...], description: str) -> Query:
    """One of ``values``, spelled exactly."""
    message = "must be one of " + ", ".join(values)
    schema = present_only("string", enum=list(values))
    return Query(name, lambda raw: None if raw in values else message, description, schema)


def matching(
    name: str, pattern: str, message: str, description: str, *, repeatable: bool = False
) -> Query:
    compiled = re.compile(pattern)
    schema: dict[str, Any] = {"type": "string", "pattern": pattern, "oneOf": None}
    if repeatable:
        schema = {"type": "array", "oneOf": None, "items": {"type": "string", "pattern": pattern}}
    return Query(
        name,
        lambda raw: None if compiled.fullmatch(raw) else f"{raw!r} {message}",
        description,
        schema,
        repeatable,
    )


class Parameters:
    """Every query parameter of the API, by name: one name means one thing on every route."""

    def __init__(self) -> None:
        self.known: dict[str, Query] = {}

    def add(self, query: Query) -> Query:
        if query.name in self.known and self.known[query.name] != query:
            raise ValueError(f"the query parameter {query.name!r} is declared twice, differently")
        self.known[query.name] = query
        return query

    def declare_for(self, app: Litestar) -> None:
        """Tells each route's handler which parameters it takes: those of its handler and
        its dependencies, as Litestar reads them."""
        for route in app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler, kwargs_model in route.route_handler_map.values():
                taken = {p.field_alias for p in kwargs_model.expected_query_params}
                handler.opt["query"] = frozenset(handler.opt.get("query", ())) | taken
                if undeclared := taken - self.known.keys():
                    raise ValueError(f"{route.path} takes {sorted(undeclared)} undeclared")

    async def check(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        """A guard: one 400 naming every parameter the route does not take, or that is bad."""
        taken: frozenset[str] = handler.opt.get("query", frozenset())
        sent = connection.query_params
        errors: list[dict[str, str]] = []
        for name in dict.fromkeys(sent.keys()):  # in the order the client sent them
            if name not in taken:
                errors.append({"field": name, "message": "is not a parameter of this route"})
                continue
            query = self.known[name]
            values = sent.getall(name)
            if len(values) > 1 and not query.repeatable:
                errors.append({"field": name, "message": "must be given once"})
            errors += [
                {"field": name, "message": why} for value in values if (why := query.check(value))
            ]
        if errors:
            raise invalid_fields(errors)


PARAMETERS = Parameters()
# Shared by the routes that page through events (the history, the feed).
LIMIT = PARAMETERS.add(whole_number("limit", 1, 1000, "At most this many events (1 to 1000)"))
