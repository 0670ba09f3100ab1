"""Headers every answer carries, whatever answered it (a handler, the router, an error).

``X-Content-Type-Options: nosniff`` keeps browsers from reading a JSON answer as
something else; an answer to a request that carried credentials is marked
``Cache-Control: no-store`` (unless it says otherwise), so no shared cache keeps
a client's data. The server names no software or version (see ``clientes serve``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


def security_headers(inner: ASGIApp) -> ASGIApp:
    """``inner`` with the headers above added to each HTTP answer."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await inner(scope, receive, send)
            return
        credentials = any(name == b"authorization" for name, _ in scope["headers"])

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                headers["x-content-type-options"] = "nosniff"
                if credentials and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await inner(scope, receive, sending)

    return handler
