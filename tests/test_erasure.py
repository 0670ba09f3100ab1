"""Erasing a person's data by destroying its key: the contract's "Personal data and erasure",
on both stores, through HTTP, the events feed, the read table and the store's own files."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.bootstrap import Services, bootstrap, build_publisher
from api.http.app import create_app
from api.http.auth import ERASE, READ, WRITE, mint_token
from api.settings import Settings
from commands import CreateCliente, EraseCliente, UpdateCliente
from projections import open_view
from projections.envelopes import API_NAMES
from projections.replay import Replay
from projections.runner import decoded
from stores import Store, store_from_url
from stores.postgres import PostgresStore
from stores.sqlite import SQLiteStore
from tests.conftest import REDIS_URL, SECRET
from tests.events_support import from_stream
from tests.server import Server, bearer, server_env
from tests.stores import conninfo
from tests.support import assert_problem, body, fields
from tests.test_events_feed import sse

Client = TestClient[Litestar]

# The erased person's values: each one is looked for wherever the service keeps data.
PERSON = {
    "codigoCliente": "BORRAR-1",
    "nombre": "Rosa Erasmina Huamán",
    "tipoCliente": "PERSONA",
    "tipoDocumento": "DNI",
    "numeroDocumento": "73829164",
    "direccion": "Jr. Olvido 404, Lima",
    "telefono": "+51 1 700-4242",
    "email": "rosa.erasmina@example.pe",
    "contactoRepresentante": "Apoderada Olvidada",
}
PERSONAL = ["nombre", "numeroDocumento", "direccion", "telefono", "email", "contactoRepresentante"]
LATER = {"email": "rosa.despues@example.pe", "telefono": "+51 1 700-9999"}
VALUES = [PERSON[name] for name in PERSONAL] + list(LATER.values())
OTHER = {**body(), "nombre": "Pedro Intacto Quispe", "email": "pedro.intacto@example.pe"}
SNAKE_PERSON = {name: PERSON[api] for name, api in API_NAMES.items()}


@pytest.fixture
def headers(token: Callable[..., str]) -> Callable[[str], dict[str, str]]:
    scopes = {"read": READ, "write": f"{READ} {WRITE}", "erase": ERASE}
    return lambda who: {"Authorization": f"Bearer {token(who, scopes[who])}"}


def lived(client: Client, headers: Callable[[str], dict[str, str]]) -> tuple[int, int]:
    """The person, created with an Idempotency-Key and changed; and another Cliente."""
    created = client.post(
        "/api/clientes", json=PERSON, headers={**headers("write"), "Idempotency-Key": "alta-1"}
    )
    assert created.status_code == 201, created.text
    person = created.json()["id"]
    changed = client.patch(f"/api/clientes/{person}", json=LATER, headers=headers("write"))
    assert changed.status_code == 200
    other = client.post("/api/clientes", json=OTHER, headers=headers("write")).json()["id"]
    return person, other


def erase(client: Client, who: dict[str, str], cliente_id: int, **extra: str) -> Any:
    reason = {"reason": "Ley 29733, solicitud de cancelación 2026-117"}
    return client.post(f"/api/clientes/{cliente_id}/erasure", json=reason, headers={**who, **extra})


class TestTheErasureRequest:
    def test_needs_a_scope_of_its_own(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)
        for who in ("read", "write"):
            assert_problem(erase(client, headers(who), person), 403)
        assert erase(client, headers("erase"), person).status_code == 204

    @pytest.mark.parametrize(
        ("sent", "fields"),
        [
            ({}, ["reason"]),
            ({"reason": "   "}, ["reason"]),
            ({"reason": "x" * 501}, ["reason"]),
            ({"reason": 7}, ["reason"]),
            ({"reason": "bien", "motivo": "extra"}, ["motivo"]),
            ({"reason": None, "motivo": "extra"}, ["reason", "motivo"]),
        ],
    )
    def test_its_body_is_a_reason_of_1_to_500_characters(
        self,
        client: Client,
        headers: Callable[[str], dict[str, str]],
        sent: dict[str, Any],
        fields: list[str],
    ) -> None:
        person, _ = lived(client, headers)
        response = client.post(
            f"/api/clientes/{person}/erasure", json=sent, headers=headers("erase")
        )
        problem = assert_problem(response, 400)
        assert [error["field"] for error in problem["errors"]] == fields
        assert client.get(f"/api/clientes/{person}", headers=headers("read")).status_code == 200

    def test_an_unknown_cliente_is_404_and_one_erased_already_409(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)
        assert_problem(erase(client, headers("erase"), 999_999), 404)
        assert erase(client, headers("erase"), person).status_code == 204
        assert (
            "erased already"
            in assert_problem(erase(client, headers("erase"), person), 409)["detail"]
        )

    def test_if_match_makes_it_conditional(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)
        assert_problem(erase(client, headers("erase"), person, **{"If-Match": '"1"'}), 412)
        assert erase(client, headers("erase"), person, **{"If-Match": '"2"'}).status_code == 204

    def test_a_deactivated_cliente_is_erased_too(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)
        assert client.delete(f"/api/clientes/{person}", headers=headers("write")).status_code == 204
        assert erase(client, headers("erase"), person).status_code == 204

    def test_repeated_with_its_idempotency_key_it_is_answered_again(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)
        keyed = {"Idempotency-Key": "baja-datos-1"}
        first = erase(client, headers("erase"), person, **keyed)
        again = erase(client, headers("erase"), person, **keyed)
        assert (first.status_code, again.status_code) == (204, 204)
        assert again.headers["idempotent-replayed"] == "true"
        history = client.get(f"/api/clientes/{person}/history", headers=headers("read")).json()
        assert [e["type"] for e in history["events"]].count("ClienteErased") == 1

    def test_it_is_counted_like_any_command(
        self, client: Client, headers: Callable[[str], dict[str, str]]
    ) -> None:
        person, _ = lived(client, headers)

        def erasures(outcome: str) -> float:
            for line in client.get("/metrics").text.splitlines():
                if line.startswith(
                    f'clientes_commands_total{{command="erase",outcome="{outcome}"}}'
                ):
                    return float(line.split()[-1])
            return 0.0

        before = erasures("ok"), erasures("conflict")
        erase(client, headers("erase"), person)
        erase(client, headers("erase"), person)
        assert (erasures("ok"), erasures("conflict")) == (before[0] + 1, before[1] + 1)


class TestAfterAnErasure:
    @pytest.fixture
    def erased(self, client: Client, headers: Callable[[str], dict[str, str]]) -> tuple[int, int]:
        person, other = lived(client, headers)
        assert erase(client, headers("erase"), person).status_code == 204
        return person, other

    def test_the_cliente_is_gone_from_every_read_and_no_value_is_shown(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        person, other = erased
        reader = headers("read")
        assert_problem(client.get(f"/api/clientes/{person}", headers=reader), 404)
        for version in (1, 2, 3, 4, 99):
            assert_problem(
                client.get(f"/api/clientes/{person}?version={version}", headers=reader), 410
            )
        for params in (
            {},
            {"q": "Erasmina"},
            {"q": "73829164"},
            {"codigoCliente": "BORRAR-1"},
            {"numeroDocumento": "73829164"},
            {"tipoCliente": "PERSONA"},
        ):
            listed = client.get("/api/clientes", params=params, headers=reader)
            assert person not in [c["id"] for c in listed.json()["content"]], params
        assert client.get(f"/api/clientes/{other}", headers=reader).json()["nombre"] == (
            "Pedro Intacto Quispe"
        )

    def test_the_history_keeps_every_entry_with_its_personal_fields_null(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        person, _ = erased
        response = client.get(f"/api/clientes/{person}/history", headers=headers("read"))
        assert response.status_code == 200
        events = response.json()["events"]
        assert [(e["type"], e["version"], e["erased"]) for e in events] == [
            ("ClienteCreated", 1, True),
            ("ClienteUpdated", 2, True),
            ("ClienteErased", 3, True),
        ]
        created, updated, gone = (e["data"] for e in events)
        assert {name: created[name] for name in PERSONAL} == dict.fromkeys(PERSONAL)
        assert created["codigoCliente"] == "BORRAR-1"
        assert updated == dict.fromkeys(LATER)
        assert gone == {"reason": "Ley 29733, solicitud de cancelación 2026-117"}
        assert not any(value in response.text for value in VALUES)

    def test_the_feed_shows_the_clientes_events_the_same_way_in_order(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        person, other = erased
        response = client.get("/api/events", params={"limit": 1000}, headers=headers("read"))
        envelopes = response.json()["events"]
        mine = [e for e in envelopes if e["clienteId"] == person]
        assert [(e["type"], e["erased"]) for e in mine] == [
            ("ClienteCreated", True),
            ("ClienteUpdated", True),
            ("ClienteErased", True),
        ]
        assert all("erased" not in e for e in envelopes if e["clienteId"] == other)
        assert not any(value in response.text for value in VALUES)

    def test_the_kept_answer_that_showed_the_cliente_is_gone(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        repeated = client.post(
            "/api/clientes", json=PERSON, headers={**headers("write"), "Idempotency-Key": "alta-1"}
        )
        problem = assert_problem(repeated, 410)
        assert repeated.headers["idempotent-replayed"] == "true"
        assert "erased" in problem["detail"]
        assert not any(value in repeated.text for value in VALUES)

    def test_the_code_stays_taken(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        again = client.post(
            "/api/clientes", json={**PERSON, "email": None}, headers=headers("write")
        )
        assert_problem(again, 409)

    def test_a_rebuilt_read_table_agrees_and_brings_no_value_back(
        self, client: Client, headers: Callable[[str], dict[str, str]], erased: tuple[int, int]
    ) -> None:
        services: Services = client.app.state.services
        person, other = erased
        for check in (True, False):
            scratch = open_view(services.store.env, table_name="clientes_rebuild")
            replay = Replay(
                services.clientes.recorder,
                services.clientes.mapper,
                services.clientes.name,
                services.view,
                scratch,
            )
            result = replay.check() if check else replay.rebuild()
            scratch.close()
            assert result.differences == []
        assert services.view.get(person) is None
        row = services.view.get(other)
        assert row is not None
        assert row.nombre == "Pedro Intacto Quispe"


def test_neither_a_dump_of_postgresql_nor_the_sqlite_files_hold_an_erased_value(
    settings: Settings, tmp_path: Path, token: Callable[..., str]
) -> None:
    """Written, erased, and the service stopped cleanly: the store's bytes hold none of the
    person's values, while another Cliente's data reads back intact."""
    headers = {
        "read": {"Authorization": f"Bearer {token('r', READ)}"},
        "write": {"Authorization": f"Bearer {token('w', f'{READ} {WRITE}')}"},
        "erase": {"Authorization": f"Bearer {token('e', ERASE)}"},
    }
    with TestClient(create_app(settings)) as client:
        person, other = lived(client, headers.__getitem__)
        assert erase(client, headers["erase"], person).status_code == 204
    dumped = stored_bytes(settings)
    assert not [value for value in VALUES if value.encode() in dumped]
    assert b"Pedro Intacto Quispe" in dumped  # the read table holds the living in clear
    services = bootstrap(settings, api=False, projector=False)
    try:
        row = services.view.get(other)
        assert row is not None
        assert (row.nombre, row.email) == ("Pedro Intacto Quispe", "pedro.intacto@example.pe")
    finally:
        services.close()


def stored_bytes(settings: Settings) -> bytes:
    """Everything the store holds: a pg_dump of its schema, or every file of its directory."""
    store = settings.store
    if isinstance(store, PostgresStore):
        dump = subprocess.run(
            ["pg_dump", "--dbname", conninfo(store), "--schema", store.schema],
            capture_output=True,
            check=True,
        )
        return dump.stdout
    assert isinstance(store, SQLiteStore)
    return b"".join(path.read_bytes() for path in store.path.parent.iterdir() if path.is_file())


def test_the_redis_stream_drops_the_clientes_entries_and_carries_the_erasure(
    services: Services, stream_name: str, redis_client: redis.Redis
) -> None:
    clientes = services.clientes
    person = clientes.execute(CreateCliente(fields(**SNAKE_PERSON), "ana")).cliente.cliente_id
    clientes.execute(UpdateCliente(person, {"email": LATER["email"]}, "ana"))
    other = clientes.execute(CreateCliente(fields(nombre="Pedro Intacto Quispe"), "ana"))
    with ExitStack() as resources:
        settings = msgspec.structs.replace(
            services.settings, redis_url=REDIS_URL, redis_stream=stream_name
        )
        runner = build_publisher(settings, clientes, resources)
        assert runner is not None
        publish = runner.projection

        def publish_all() -> None:
            published = runner.projection.view.max_tracking_id(clientes.name) or 0
            notifications = clientes.recorder.select_notifications(
                start=published, limit=1000, inclusive_of_start=False
            )
            publish.process_batch(decoded(notifications, clientes.mapper, clientes.name))

        publish_all()
        assert PERSON["nombre"] in str(from_stream(redis_client, stream_name))
        clientes.execute(EraseCliente(person, "solicitud 2026-118", "dpo"))
        publish_all()
    entries = from_stream(redis_client, stream_name)
    mine = [envelope for _, envelope in entries if envelope["clienteId"] == person]
    assert [(e["type"], e["data"], e["erased"]) for e in mine] == [
        ("ClienteErased", {"reason": "solicitud 2026-118"}, True)
    ]
    theirs = [e for _, e in entries if e["clienteId"] == other.cliente.cliente_id]
    assert theirs[0]["data"]["nombre"] == "Pedro Intacto Quispe"
    kept = str(from_stream(redis_client, stream_name))
    assert not [value for value in VALUES if value in kept]


@pytest.mark.slow
def test_the_event_stream_shows_an_erased_clientes_envelopes_with_no_value(
    tmp_path: Path,
) -> None:
    store = store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    writer, eraser = (bearer(store, SECRET, "w"), erasing(store))
    with Server(server_env(store, SECRET)) as server:
        person = httpx.post(f"{server.url}/api/clientes", json=PERSON, headers=writer).json()["id"]
        httpx.post(f"{server.url}/api/clientes", json=OTHER, headers=writer)
        erased = httpx.post(
            f"{server.url}/api/clientes/{person}/erasure", json={"reason": "r"}, headers=eraser
        )
        assert erased.status_code == 204
        received: list[dict[str, Any]] = []
        with httpx.stream(
            "GET", f"{server.url}/api/events/stream", headers=writer, timeout=10
        ) as response:
            for event in sse(response.iter_lines()):
                if "data" in event:
                    received.append(msgspec.json.decode(event["data"]))
                if len(received) == 3:
                    break
    assert [(e["type"], e.get("erased")) for e in received] == [
        ("ClienteCreated", True),
        ("ClienteCreated", None),
        ("ClienteErased", True),
    ]
    assert not [value for value in VALUES if value in str(received)]


def erasing(store: Store) -> dict[str, str]:
    settings = Settings(store=store, jwt_secret=SECRET)
    return {"Authorization": f"Bearer {mint_token(settings, 'dpo', ERASE, 600)}"}


def test_the_embedded_search_index_keeps_no_entry_of_an_erased_name(tmp_path: Path) -> None:
    """SQLite's trigram index keeps a deleted row's entries in older segments until they
    are merged: an erasure merges them, so the person's text is gone from the file."""
    store = store_from_url(f"sqlite:///{tmp_path}/clientes.sqlite3")
    assert isinstance(store, SQLiteStore)
    settings = Settings(store=store, jwt_secret=SECRET)
    writer = {"Authorization": f"Bearer {mint_token(settings, 'w', f'{READ} {WRITE}', 600)}"}
    eraser = {"Authorization": f"Bearer {mint_token(settings, 'e', ERASE, 600)}"}
    # Trigrams no other text has ("qqq", "xyz"): each stands whole in the index's pages.
    marks = [b"qqq", b"xyz"]

    def index_pages() -> bytes:
        with sqlite3.connect(store.path) as conn:
            blocks = conn.execute("SELECT block FROM clientes_text_trigrams_data").fetchall()
        return b"".join(block for (block,) in blocks)

    with TestClient(create_app(settings)) as client:
        person = client.post(
            "/api/clientes", json={**body(), "nombre": "Qqqxyz Paz"}, headers=writer
        ).json()["id"]
        client.post("/api/clientes", json=OTHER, headers=writer)
        assert all(mark in index_pages() for mark in marks)  # the check can see them
        assert erase(client, eraser, person).status_code == 204
        assert not [mark for mark in marks if mark in index_pages()]
        found = client.get("/api/clientes?q=intacto", headers=writer).json()["content"]
        assert [c["nombre"] for c in found] == [OTHER["nombre"]]  # the index still serves
