"""The command handlers over a real event store, SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from uuid import UUID

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError, Recording

from api.bootstrap import Services
from commands import (
    ClienteCreated,
    ClienteDeactivated,
    ClienteNotFound,
    Clientes,
    ClienteUpdated,
    CodigoTaken,
    CreateCliente,
    DeactivateCliente,
    UpdateCliente,
    ValidationFailed,
    VersionMismatch,
    cliente_aggregate_id,
)
from tests.support import fields


@pytest.fixture
def clientes(services: Services) -> Clientes:
    return services.clientes


def history(clientes: Clientes, cliente_id: int) -> list[object]:
    return list(clientes.events.get(cliente_aggregate_id(cliente_id)))


def head(clientes: Clientes) -> int:
    return clientes.recorder.max_notification_id() or 0


class TestCreate:
    def test_records_the_cliente_with_its_actor_and_a_utc_timestamp(
        self, clientes: Clientes
    ) -> None:
        written = clientes.execute(CreateCliente(fields(nombre=" Rosa "), "alice"))
        assert written.cliente.version == 1
        assert written.cliente.datos.nombre == "Rosa"
        assert written.position == head(clientes)
        [created] = history(clientes, written.cliente.cliente_id)
        assert isinstance(created, ClienteCreated)
        assert created.actor == "alice"
        assert created.nombre == "Rosa"
        assert created.timestamp.tzinfo is not None
        assert created.timestamp.utcoffset() == UTC.utcoffset(None)

    def test_refuses_a_taken_code_whatever_its_case_and_records_nothing(
        self, clientes: Clientes
    ) -> None:
        clientes.execute(CreateCliente(fields(codigo_cliente="Abc"), "alice"))
        before = head(clientes)
        with pytest.raises(CodigoTaken):
            clientes.execute(CreateCliente(fields(codigo_cliente="aBC"), "bob"))
        assert head(clientes) == before

    def test_refuses_invalid_fields_and_records_nothing(self, clientes: Clientes) -> None:
        with pytest.raises(ValidationFailed):
            clientes.execute(CreateCliente(fields(numero_documento="1"), "alice"))
        assert head(clientes) == 0

    def test_ids_are_never_reused(self, clientes: Clientes) -> None:
        first = clientes.execute(CreateCliente(fields(codigo_cliente="X1"), "a")).cliente.cliente_id
        with pytest.raises(CodigoTaken):
            clientes.execute(CreateCliente(fields(codigo_cliente="X1"), "a"))
        clientes.execute(DeactivateCliente(first, "a"))
        second = clientes.execute(CreateCliente(fields(), "a")).cliente.cliente_id
        assert second > first


class TestUpdate:
    def test_records_only_the_changed_fields(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(CreateCliente(fields(), "alice")).cliente.cliente_id
        written = clientes.execute(
            UpdateCliente(
                cliente_id,
                {"nombre": "Rosa", "email": "r@example.com", "tipo_cliente": "PERSONA"},
                "bob",
            )
        )
        assert written.cliente.version == 2
        updated = history(clientes, cliente_id)[-1]
        assert isinstance(updated, ClienteUpdated)
        assert updated.changes == {"nombre": "Rosa", "email": "r@example.com"}
        assert updated.actor == "bob"

    def test_records_nothing_when_nothing_changes(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(
            CreateCliente(fields(nombre="Rosa"), "alice")
        ).cliente.cliente_id
        before = head(clientes)
        written = clientes.execute(UpdateCliente(cliente_id, {"nombre": " Rosa "}, "bob"))
        assert written.position is None
        assert written.cliente.version == 1
        assert head(clientes) == before

    def test_validates_the_merged_result(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(
            CreateCliente(fields(tipo_documento="DNI"), "a")
        ).cliente.cliente_id
        with pytest.raises(ValidationFailed) as failure:
            clientes.execute(UpdateCliente(cliente_id, {"tipo_documento": "RUC"}, "a"))
        assert [e.field for e in failure.value.errors] == ["numero_documento"]

    def test_a_changed_code_frees_the_old_one_and_claims_the_new_one(
        self, clientes: Clientes
    ) -> None:
        first = clientes.execute(
            CreateCliente(fields(codigo_cliente="OLD"), "a")
        ).cliente.cliente_id
        clientes.execute(UpdateCliente(first, {"codigo_cliente": "NEW"}, "a"))
        clientes.execute(CreateCliente(fields(codigo_cliente="old"), "b"))
        with pytest.raises(CodigoTaken):
            clientes.execute(CreateCliente(fields(codigo_cliente="new"), "b"))
        with pytest.raises(CodigoTaken):
            clientes.execute(UpdateCliente(first, {"codigo_cliente": "OLD"}, "a"))

    def test_a_freed_code_can_be_taken_back_by_its_first_holder(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(
            CreateCliente(fields(codigo_cliente="A"), "a")
        ).cliente.cliente_id
        clientes.execute(UpdateCliente(cliente_id, {"codigo_cliente": "B"}, "a"))
        written = clientes.execute(UpdateCliente(cliente_id, {"codigo_cliente": "a"}, "a"))
        assert written.cliente.datos.codigo_cliente == "a"

    def test_an_unexpected_version_is_refused(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(CreateCliente(fields(), "a")).cliente.cliente_id
        clientes.execute(UpdateCliente(cliente_id, {"nombre": "Dos"}, "a", expected_versions={1}))
        with pytest.raises(VersionMismatch):
            clientes.execute(
                UpdateCliente(cliente_id, {"nombre": "Tres"}, "a", expected_versions={1})
            )

    def test_concurrent_partial_updates_are_all_kept(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(CreateCliente(fields(), "a")).cliente.cliente_id
        changes = [
            {"direccion": "Av. Arequipa 123"},
            {"telefono": "987654321"},
            {"email": "r@example.com"},
            {"contacto_representante": "Rosa"},
            {"nombre": "Nuevo nombre"},
        ] * 2
        barrier = threading.Barrier(len(changes))

        def update(change: dict[str, str | None]) -> None:
            barrier.wait()
            clientes.execute(UpdateCliente(cliente_id, change, "writer"))

        threads = [threading.Thread(target=update, args=(c,)) for c in changes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cliente = clientes.get_vigente(cliente_id)
        assert cliente.datos.direccion == "Av. Arequipa 123"
        assert cliente.datos.telefono == "987654321"
        assert cliente.datos.email == "r@example.com"
        assert cliente.datos.contacto_representante == "Rosa"
        assert cliente.datos.nombre == "Nuevo nombre"
        # The second of each pair of identical changes found nothing left to change.
        assert cliente.version == 6


class TestDeactivate:
    def test_records_the_deactivation_and_keeps_the_code_taken(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(
            CreateCliente(fields(codigo_cliente="KEEP"), "a")
        ).cliente.cliente_id
        written = clientes.execute(DeactivateCliente(cliente_id, "carol"))
        assert written.cliente.vigente is False
        assert written.cliente.version == 2
        deactivated = history(clientes, cliente_id)[-1]
        assert isinstance(deactivated, ClienteDeactivated)
        assert deactivated.actor == "carol"
        with pytest.raises(CodigoTaken):
            clientes.execute(CreateCliente(fields(codigo_cliente="keep"), "b"))

    def test_a_deactivated_cliente_takes_no_more_commands(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(CreateCliente(fields(), "a")).cliente.cliente_id
        clientes.execute(DeactivateCliente(cliente_id, "a"))
        with pytest.raises(ClienteNotFound):
            clientes.execute(UpdateCliente(cliente_id, {"nombre": "X"}, "a"))
        with pytest.raises(ClienteNotFound):
            clientes.execute(DeactivateCliente(cliente_id, "a"))

    def test_its_past_states_stay_readable(self, clientes: Clientes) -> None:
        cliente_id = clientes.execute(CreateCliente(fields(nombre="Uno"), "a")).cliente.cliente_id
        clientes.execute(UpdateCliente(cliente_id, {"nombre": "Dos"}, "a"))
        clientes.execute(DeactivateCliente(cliente_id, "a"))
        assert clientes.get_cliente(cliente_id, version=1).datos.nombre == "Uno"
        assert clientes.get_cliente(cliente_id, version=2).vigente is True
        assert clientes.get_cliente(cliente_id).vigente is False

    def test_an_unknown_cliente_is_not_found(self, clientes: Clientes) -> None:
        with pytest.raises(ClienteNotFound):
            clientes.execute(DeactivateCliente(404, "a"))


def lose_the_first_answer(clientes: Clientes) -> list[int]:
    """The next recording is made, then reported refused, as when the connection
    drops as the store commits: the library writes again and the store refuses
    the copy (IntegrityError). Returns where the recording went, once made."""
    record = clientes.committer._record
    made: list[int] = []

    def record_then_lose_the_answer(events: Sequence[Any]) -> list[Recording[UUID]]:
        recordings = record(events)
        if not made:
            made.append(recordings[-1].notification.id)
            raise IntegrityError("the events were recorded by an earlier try")
        return recordings

    clientes.committer._record = record_then_lose_the_answer
    return made


def test_a_create_whose_commit_went_unconfirmed_answers_with_what_it_recorded(
    clientes: Clientes,
) -> None:
    """Not "code taken" by itself: the create finds its own events recorded."""
    made = lose_the_first_answer(clientes)
    written = clientes.execute(CreateCliente(fields(codigo_cliente="LOST-1"), "tester"))
    assert made, "the recording was made and its answer lost"
    assert written.position == made[0]
    assert clientes.get_cliente(written.cliente.cliente_id).datos.codigo_cliente == "LOST-1"
    assert len(history(clientes, written.cliente.cliente_id)) == 1
    assert head(clientes) == made[0]  # nothing recorded after it


def test_a_deactivation_or_conditional_update_whose_commit_went_unconfirmed_succeeds(
    clientes: Clientes,
) -> None:
    """Not 404 or 412 for a change the command itself made."""
    first = clientes.execute(CreateCliente(fields(), "tester")).cliente.cliente_id
    second = clientes.execute(CreateCliente(fields(), "tester")).cliente.cliente_id
    made = lose_the_first_answer(clientes)
    updated = clientes.execute(UpdateCliente(first, {"direccion": "Jr. Lampa 1"}, "tester", {1}))
    assert updated.position == made[0]
    assert updated.cliente.version == 2
    made.clear()
    deactivated = clientes.execute(DeactivateCliente(second, "tester", {1}))
    assert deactivated.position == made[0]
    assert not clientes.get_cliente(second).vigente
    assert [len(history(clientes, i)) for i in (first, second)] == [2, 2]


def test_an_event_comes_back_from_the_store_as_it_was_recorded_whatever_its_text(
    clientes: Clientes,
) -> None:
    """PostgreSQL takes the events as one binary array (stores/postgres/recorder.py): text
    that an array's or a record's text form would have to escape is stored as it was, in
    clear (the actor) and sealed (the personal fields)."""
    awkward = 'Ñandú "Kuña" \\ {a,b} (c,d) \' ; NULL 日本 \U0001f600'
    written = clientes.execute(
        CreateCliente(
            fields(nombre=awkward, direccion=awkward[::-1], contacto_representante="NULL"),
            awkward,
        )
    )
    created = history(clientes, written.cliente.cliente_id)[0]
    assert isinstance(created, ClienteCreated)
    assert (created.nombre, created.direccion, created.contacto_representante) == (
        awkward,
        awkward[::-1],
        "NULL",
    )
    assert created.actor == awkward
    (stored, *_) = clientes.recorder.select_notifications(start=1, limit=10)
    assert msgspec.json.decode(stored.state)["actor"] == awkward
