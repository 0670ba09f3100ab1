"""The bare baseline: the same routes on the same server stack, answered from memory.

No store, no events, no auth: what Litestar, msgspec and uvicorn cost on their own,
so the service's figures read as ratios against it.
"""

from __future__ import annotations

import itertools
from typing import Any

from litestar import Litestar, get, patch, post
from litestar.params import FromPath, JSONBody

CLIENTES: dict[int, dict[str, Any]] = {}
IDS = itertools.count(1)


@post("/api/clientes")
async def create(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    cliente_id = next(IDS)
    CLIENTES[cliente_id] = {"id": cliente_id, **data, "vigente": True, "version": 1}
    return CLIENTES[cliente_id]


@get("/api/clientes/{cliente_id:int}")
async def read(cliente_id: FromPath[int]) -> dict[str, Any]:
    return CLIENTES.get(cliente_id, {})


@get("/api/clientes")
async def page(page: int = 0, size: int = 20) -> dict[str, Any]:
    first = page * size + 1
    content = [CLIENTES[i] for i in range(first, first + size) if i in CLIENTES]
    return {"content": content, "totalElements": len(CLIENTES), "number": page, "size": size}


@patch("/api/clientes/{cliente_id:int}")
async def update(cliente_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    cliente = CLIENTES.setdefault(cliente_id, {"id": cliente_id, "version": 1})
    cliente.update(data, version=cliente["version"] + 1)
    return cliente


def create_app() -> Litestar:
    return Litestar([create, read, page, update])
