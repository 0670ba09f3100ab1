"""The docs UI at /schema: Swagger UI, served from the swagger-ui-py package: no internet needed."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

DOCS_ASSETS = "/schema/assets"


def docs_ui() -> SwaggerRenderPlugin:
    """Swagger UI from the files of the swagger-ui-py package: the docs need no internet."""
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
    )


def docs_assets() -> Router:
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[Path(str(files("swagger_ui") / "static"))],
        include_in_schema=False,
    )
