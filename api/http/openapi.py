"""The OpenAPI document: exact bodies, every status, the headers and links of responses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import (
    Link,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)

from api.http.docs_ui import docs_ui
from api.http.schemas import MAX_BODY, ClienteCreate, ClienteUpdate, Problem
from api.http.schemas import Schema as BodySchema
from commands.validation import NUMERO_DOCUMENTO, REQUIRED

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition


PROBLEM_DESCRIPTIONS = {
    400: "The body, a field, a query parameter or a header is not valid",
    401: "The bearer token is missing, malformed, badly signed, expired or not yet valid",
    403: "The token lacks the scope the method needs",
    404: "No vigente Cliente has that id",
    408: "The request head or body took longer than 10 s to arrive",
    409: "Another Cliente holds the codigoCliente, a request with the same "
    "Idempotency-Key is still running, or the Cliente's personal data is erased already "
    "(or cannot be until its events are encrypted at rest)",
    410: "The Cliente's personal data was erased: its past states, or the answer kept for "
    "the Idempotency-Key that showed it, are gone",
    412: "If-Match names no version the Cliente is at",
    413: f"The body is over {MAX_BODY // 1024} KiB",
    415: "The body is not sent as Content-Type: application/json",
    422: "The Idempotency-Key was used in the last 24 hours for another request",
    429: "Too many at once for this token's subject: event streams open, or "
    "Idempotency-Keys kept; Retry-After says when to try again",
    431: "The request head is over its limits: more than 100 headers, a header line "
    "over 8 KiB or a head over 16 KiB",
    503: "The store is unavailable, or the change is recorded but not yet readable",
}


def present_only(openapi_type: str, **extra: object) -> dict[str, object]:
    """The schema of an optional parameter: its value when sent, never null."""
    return {"type": openapi_type, "oneOf": None, **extra}


# What any request may be answered, whatever its route: its head was too large or too slow.
EVERY_ROUTE = (408, 431)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problems a route answers, those of every route included."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=PROBLEM_DESCRIPTIONS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in sorted({*statuses, *EVERY_ROUTE})
    }


def _numero_follows_tipo() -> list[Schema]:
    """numeroDocumento's rule for each tipoDocumento, as if/then conditions."""
    return [
        Schema(
            schema_if=Schema(
                properties={"tipoDocumento": Schema(const=tipo)}, required=["tipoDocumento"]
            ),
            then=Schema(properties={"numeroDocumento": Schema(pattern=rule.pattern)}),
        )
        for tipo, rule in NUMERO_DOCUMENTO.items()
    ]


# What JSON Schema says of a body beyond its fields: the pairing of the document's
# type and number. An update may change one of them alone (the merged result is
# checked); the document asks for both together, which always works.
BODY_CONDITIONS: dict[type[BodySchema], dict[str, Any]] = {
    ClienteCreate: {"all_of": _numero_follows_tipo()},
    ClienteUpdate: {
        "all_of": _numero_follows_tipo(),
        "dependent_required": {
            "tipoDocumento": ["numeroDocumento"],
            "numeroDocumento": ["tipoDocumento"],
        },
    },
}


# How each body's fields are to be sent, said before each field's rule: (fields a new
# Cliente must have, the others).
NECESSITY: dict[type[BodySchema], tuple[str, str]] = {
    ClienteCreate: ("Required", "Optional (empty or null: none)"),
    ClienteUpdate: (
        "Optional (absent: unchanged)",
        "Optional (absent: unchanged; empty or null: cleared)",
    ),
}


class StrictSchemas(StructSchemaPlugin):
    """The project's Structs as they decode: unknown fields refused, conditions stated.

    Litestar's own plugin describes a Struct's fields; it leaves out that
    unknown fields are refused and what no field type can say.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(BodySchema)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        schema.additional_properties = False
        properties = schema.properties or {}
        for name, member in properties.items():
            if isinstance(member, Schema) and member.one_of and len(member.one_of) == 1:
                # What an update may leave out is a union with UNSET: one branch is left.
                properties[name] = _merged(member)
        schema.description = struct.__dict__.get("__doc__")
        if struct in NECESSITY:
            _say_necessity(struct, properties, *NECESSITY[struct])
        for name, value in BODY_CONDITIONS.get(struct, {}).items():
            setattr(schema, name, value)
        return schema


def _say_necessity(
    struct: type[BodySchema], properties: dict[str, Any], required: str, optional: str
) -> None:
    """Begins each field's description with whether, and how, it is to be sent."""
    names = dict(zip(struct.__struct_encode_fields__, struct.__struct_fields__, strict=True))
    for sent_as, member in properties.items():
        if isinstance(member, Schema) and member.description:
            necessity = required if names[sent_as] in REQUIRED else optional
            properties[sent_as] = replace(member, description=f"{necessity}; {member.description}")


def _merged(schema: Schema) -> Schema:
    """A schema whose oneOf has one branch, as that branch with the schema's own keywords."""
    [branch] = schema.one_of or []
    own = {
        name: value
        for name, value in vars(schema).items()
        if value is not None and name != "one_of"
    }
    return replace(branch, **own) if isinstance(branch, Schema) else schema


ETAG = OpenAPIHeader(
    description='The Cliente\'s version as a strong entity tag, e.g. "3"',
    required=True,
    schema=Schema(type=OpenAPIType.STRING, pattern='^"[0-9]+"$'),
)
LOCATION = OpenAPIHeader(
    description="The path of the new Cliente", required=True, schema=Schema(type=OpenAPIType.STRING)
)
REPLAYED = OpenAPIHeader(
    description="true when the answer is the one kept for the request's Idempotency-Key: "
    "the request was answered already, and nothing was recorded this time",
    required=False,
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
)
REPLAY = {"Idempotent-Replayed": REPLAYED}
UPDATED = {"200": {"ETag": ETAG, **REPLAY}, "404": REPLAY, "409": REPLAY, "412": REPLAY}
HEADERS: dict[str, dict[str, dict[str, OpenAPIHeader]]] = {
    "getCliente": {"200": {"ETag": ETAG}, "304": {"ETag": ETAG}},
    "createCliente": {"201": {"ETag": ETAG, "Location": LOCATION, **REPLAY}, "409": REPLAY},
    "updateCliente": UPDATED,
    "patchCliente": UPDATED,
    "deactivateCliente": {"204": REPLAY, "404": REPLAY, "412": REPLAY},
    "eraseCliente": {"204": REPLAY, "404": REPLAY, "409": REPLAY, "412": REPLAY},
}


def _created_cliente(operation_id: str) -> Link:
    return Link(operation_id=operation_id, parameters={"cliente_id": "$response.body#/id"})


LINKS = {
    "createCliente": {
        "201": {
            "GetCliente": _created_cliente("getCliente"),
            "GetClienteHistory": _created_cliente("getClienteHistory"),
            "UpdateCliente": _created_cliente("updateCliente"),
            "PatchCliente": _created_cliente("patchCliente"),
            "DeactivateCliente": _created_cliente("deactivateCliente"),
            "EraseCliente": _created_cliente("eraseCliente"),
        }
    }
}


@dataclass
class ClientesOperation(Operation):
    """An operation with the headers and links of its responses, from the tables above."""

    def __post_init__(self) -> None:
        headers = HEADERS.get(self.operation_id or "", {})
        links = LINKS.get(self.operation_id or "", {})
        for status, response in (self.responses or {}).items():
            if not isinstance(response, OpenAPIResponse):
                continue
            if status == "204":  # a handler that may return a Response still sends no body
                response.content = None
            if status in headers:
                response.headers = {**(response.headers or {}), **headers[status]}
            if status in links:
                response.links = dict(links[status])


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Clientes",
        version=version,
        description="The registry of the clients that receive field-service work orders.",
        path="/schema",
        render_plugins=[docs_ui()],
    )
