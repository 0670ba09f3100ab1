"""The OpenAPI document: every problem a route can answer with."""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from api.schemas import Problem

PROBLEM_DESCRIPTIONS = {
    400: "The body, a field or a query parameter is not valid",
    401: "The bearer token is missing, malformed, badly signed, expired or not yet valid",
    403: "The token lacks the scope the method needs",
    404: "No vigente Cliente has that id",
    409: "Another Cliente holds the codigoCliente",
    412: "If-Match names a version the Cliente is no longer at",
    413: "The body is over 64 KiB",
    503: "The store is unavailable, or the change is recorded but not yet readable",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=PROBLEM_DESCRIPTIONS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Clientes",
        version=version,
        description="The registry of the clients that receive field-service work orders.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
    )
