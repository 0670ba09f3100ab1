"""HEAD wherever GET is, and an Allow header that lists every method of a path.

Litestar routes HEAD only to handlers declared for it, and its automatic
OPTIONS answer lists the methods of the first handler registered on a path,
not all of them. This wraps the app, ahead of routing: a HEAD request is
answered as the GET would be, without the body, and every ``Allow`` header
lists the path's methods (HEAD included where GET is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send


def head_and_allow(app: Litestar) -> ASGIApp:
    """``app``'s ASGI handler with HEAD answered and Allow headers completed."""
    inner = app.asgi_handler
    methods = {route.path_format: set(route.methods) for route in app.routes}

    def allowed(scope: Scope, listed: str) -> str:
        found = methods.get(scope.get("path_template", ""), set()) | {
            m.strip() for m in listed.split(",") if m.strip()
        }
        if "GET" in found:
            found.add("HEAD")
        return ", ".join(sorted(found))

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await inner(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        done = False

        async def sending(message: Message) -> None:
            nonlocal done
            if done:
                return
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                if "allow" in headers:
                    headers["allow"] = allowed(scope, headers["allow"])
                await send(message)
                if head:
                    # The GET's headers, Content-Length included, and no body.
                    done = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        async def receiving() -> ReceiveMessage:
            # Once a HEAD is answered, a GET that streams is told the client has gone.
            return {"type": "http.disconnect"} if done else await receive()

        if not head:
            await inner(scope, receiving, sending)
            return
        as_get = cast("Scope", {**scope, "method": "GET"})
        try:
            await inner(as_get, receiving, sending)
        finally:
            # The route that answered, for the access line and the metrics of the HEAD.
            if "path_template" in as_get:
                scope["path_template"] = as_get["path_template"]

    return handler
