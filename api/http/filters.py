"""The list's query parameters: what to find and in which order, as a ClienteQuery.

Each parameter is declared with what it accepts (the OpenAPI document shows
it), every bad one is named in one 400, and so is any parameter the list
does not take: a typo is never silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.bootstrap import Services
from api.http.errors import invalid_fields
from api.http.openapi import present_only
from commands.validation import (
    ANY_NUMERO_DOCUMENTO,
    CODIGO_CLIENTE,
    SEARCH_TEXT,
    SPACE,
    TIPO_CLIENTE,
    TIPO_DOCUMENTO,
    TIPOS_CLIENTE,
    TIPOS_DOCUMENTO,
    Rule,
)
from projections.envelopes import camel
from projections.search import SORTABLE, ClienteQuery, SortKey

PAGING = ("page", "size")
SORT_FIELDS = {camel(name): name for name in SORTABLE}
SORT_PATTERN = rf"^(?:{'|'.join(SORT_FIELDS)})(?:,(?:asc|desc))?$"
SORT_MESSAGE = f"must be a field ({', '.join(SORT_FIELDS)}), alone or followed by ,asc or ,desc"


def _text(rule: Rule, description: str, name: str | None = None) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=description,
        schema_extra=present_only("string", pattern=rule.pattern),
    )


def _one_of(values: tuple[str, ...], description: str, name: str) -> QueryParameter:
    return QueryParameter(
        name=name, description=description, schema_extra=present_only("string", enum=list(values))
    )


Text = Annotated[
    str | None,
    _text(
        SEARCH_TEXT,
        "Text in the nombre, or the start of the codigoCliente or numeroDocumento; "
        "case and accents aside. Trimmed; empty, it finds every Cliente.",
    ),
]
Codigo = Annotated[
    str | None,
    _text(CODIGO_CLIENTE, "The Cliente with this code, in any case", name="codigoCliente"),
]
Numero = Annotated[
    str | None,
    _text(ANY_NUMERO_DOCUMENTO, "Clientes with this document number", name="numeroDocumento"),
]
Tipo = Annotated[str | None, _one_of(TIPOS_CLIENTE, "Clientes of this type", name="tipoCliente")]
Documento = Annotated[
    str | None,
    _one_of(TIPOS_DOCUMENTO, "Clientes with this type of document", name="tipoDocumento"),
]
Sort = Annotated[
    list[str] | None,
    QueryParameter(
        description="field, field,asc or field,desc; repeatable, the first sorts first. "
        "Text sorts case and accents aside; ties end in id ascending. Default: id,asc",
        schema_extra={
            "type": "array",
            "oneOf": None,
            "items": {"type": "string", "pattern": SORT_PATTERN},
        },
    ),
]
KNOWN = frozenset(
    {*PAGING, "q", "codigoCliente", "numeroDocumento", "tipoCliente", "tipoDocumento", "sort"}
)


def provide_filters(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    q: Text = None,
    codigo_cliente: Codigo = None,
    numero_documento: Numero = None,
    tipo_cliente: Tipo = None,
    tipo_documento: Documento = None,
    sort: Sort = None,
) -> ClienteQuery:
    """The query the parameters ask for; a 400 naming each one that is bad or unknown.

    Takes ``services``, unused, to be resolved after it: Litestar resolves the
    dependencies of one level together in a task group (litestar-org/litestar#4563),
    which made a list request cost a third more CPU (measured: 1.3 ms against
    0.9 ms); one after the other, each is a plain call.
    """
    errors = [
        {"field": name, "message": "is not a parameter of the list"}
        for name in sorted(set(request.query_params) - KNOWN)
    ]
    for name, value, rule in [
        ("q", q, SEARCH_TEXT),
        ("codigoCliente", codigo_cliente, CODIGO_CLIENTE),
        ("numeroDocumento", numero_documento, ANY_NUMERO_DOCUMENTO),
        ("tipoCliente", tipo_cliente, TIPO_CLIENTE),
        ("tipoDocumento", tipo_documento, TIPO_DOCUMENTO),
    ]:
        if value is not None and not rule.allows(value):
            errors.append({"field": name, "message": rule.message})
    errors += [
        {"field": "sort", "message": f"{value!r} {SORT_MESSAGE}"}
        for value in sort or []
        if re.fullmatch(SORT_PATTERN, value) is None
    ]
    if errors:
        raise invalid_fields(errors)
    return ClienteQuery(
        text=_trimmed(q),
        codigo_cliente=_trimmed(codigo_cliente),
        numero_documento=_trimmed(numero_documento),
        tipo_cliente=tipo_cliente,
        tipo_documento=tipo_documento,
        sort=tuple(_sort_key(value) for value in sort or []),
    )


def _trimmed(value: str | None) -> str | None:
    """The value without the spaces around it; None if nothing is left."""
    trimmed = None if value is None else value.strip(SPACE)
    return trimmed or None


def _sort_key(value: str) -> SortKey:
    field, _, direction = value.partition(",")
    return SortKey(SORT_FIELDS[field], descending=direction == "desc")
