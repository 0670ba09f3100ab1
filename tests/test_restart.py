"""What was written before a restart is all there after it."""

from __future__ import annotations

import httpx
import pytest

from api.http.auth import mint_token
from api.settings import Settings
from stores import Store
from tests.conftest import SECRET
from tests.server import Server, server_env
from tests.support import body

pytestmark = pytest.mark.slow


def test_data_written_before_a_restart_is_there_after_it(store: Store) -> None:
    token = mint_token(
        Settings(store=store, jwt_secret=SECRET), "ops", "clientes:read clientes:write", 600
    )
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(server_env(store, SECRET))
    with server:
        ids = [
            httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers).json()["id"]
            for _ in range(3)
        ]
        httpx.patch(
            f"{server.url}/api/clientes/{ids[0]}", json={"nombre": "Cambiado"}, headers=headers
        )
        httpx.delete(f"{server.url}/api/clientes/{ids[1]}", headers=headers)
        before = httpx.get(f"{server.url}/api/clientes", headers=headers).json()
    with server:
        after = httpx.get(f"{server.url}/api/clientes", headers=headers).json()
        created = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers).json()
    assert after == before
    assert [c["id"] for c in after["content"]] == [ids[0], ids[2]]
    assert after["content"][0]["nombre"] == "Cambiado"
    assert created["id"] > ids[2]  # never reused: ids come in blocks, a new process draws anew
