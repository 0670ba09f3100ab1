"""A client generated from the OpenAPI document works with no hand edits."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store
from tests.conftest import SECRET
from tests.server import Server, server_env

pytestmark = pytest.mark.slow

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated(store: Store, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A running service, a token for it, and the client package generated from its document."""
    token = mint_token(
        Settings(store=store, jwt_secret=SECRET), "cliente-app", f"{READ} {WRITE}", 600
    )
    with Server(server_env(store, SECRET)) as server:
        document = tmp_path / "openapi.json"
        document.write_bytes(httpx.get(f"{server.url}/schema/openapi.json").content)
        result = subprocess.run(
            [
                str(GENERATOR),
                "generate",
                "--path",
                str(document),
                "--meta",
                "none",
                "--output-path",
                str(tmp_path / "clientes_client"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "PATH": f"{GENERATOR.parent}:{os.environ['PATH']}"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Warning" not in result.stdout, result.stdout
        yield server.url, token, tmp_path
    for name in [name for name in sys.modules if name.startswith("clientes_client")]:
        del sys.modules[name]


def load(root: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"clientes_client.{name}")
    finally:
        sys.path.remove(str(root))


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_generated_client_creates_reads_updates_lists_and_deletes(
    generated: tuple[str, str, Path],
) -> None:
    url, token, root = generated
    client_module = load(root, "client")
    models = load(root, "models")
    api = {
        name: load(root, f"api.clientes.{name}")
        for name in (
            "create_cliente",
            "get_cliente",
            "patch_cliente",
            "list_clientes",
            "deactivate_cliente",
        )
    }
    client: Any = client_module.AuthenticatedClient(base_url=url, token=token)
    with client:
        created = api["create_cliente"].sync_detailed(
            client=client,
            body=models.ClienteCreate(
                codigo_cliente="GEN-1",
                nombre="Rosa Huamán",
                tipo_cliente=models.ClienteCreateTipoCliente.PERSONA,
                tipo_documento=models.ClienteCreateTipoDocumento.DNI,
                numero_documento="12345678",
            ),
        )
        assert created.status_code == 201
        cliente = created.parsed
        assert isinstance(cliente, models.Cliente)
        assert (cliente.codigo_cliente, cliente.version, cliente.vigente) == ("GEN-1", 1, True)

        read = api["get_cliente"].sync(cliente.id, client=client)
        assert isinstance(read, models.Cliente)
        assert read.nombre == "Rosa Huamán"

        changed = api["patch_cliente"].sync_detailed(
            cliente.id,
            client=client,
            body=models.ClienteUpdate(email="rosa@example.pe"),
            if_match='"1"',
        )
        assert changed.status_code == 200
        assert (changed.parsed.email, changed.parsed.version) == ("rosa@example.pe", 2)
        stale = api["patch_cliente"].sync_detailed(
            cliente.id, client=client, body=models.ClienteUpdate(nombre="X"), if_match='"1"'
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.Problem)

        page = api["list_clientes"].sync(client=client, page=0, size=10)
        assert [c.id for c in page.content] == [cliente.id]
        assert page.total_elements == 1

        deleted = api["deactivate_cliente"].sync_detailed(cliente.id, client=client)
        assert deleted.status_code == 204
        gone = api["get_cliente"].sync_detailed(cliente.id, client=client)
        assert gone.status_code == 404
        assert isinstance(gone.parsed, models.Problem)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_generated_types_refuse_a_create_without_the_required_fields(
    generated: tuple[str, str, Path],
) -> None:
    models = load(generated[2], "models")
    with pytest.raises(TypeError, match="codigo_cliente"):
        models.ClienteCreate(nombre="Sin código")
