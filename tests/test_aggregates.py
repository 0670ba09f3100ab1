"""The Cliente and code-index aggregates on their own: no store, no application."""

from __future__ import annotations

import dataclasses

from commands import Cliente, ClienteCreated, ClienteDeactivated, ClienteUpdated, validate
from commands.codigo import CodigoIndex
from commands.validation import FIELDS
from tests.support import fields


def registered(**overrides: str | None) -> Cliente:
    return Cliente.register(7, validate(fields(**overrides)), "ana")


class TestCliente:
    def test_registering_records_every_field_the_actor_and_the_id(self) -> None:
        cliente = registered(nombre="Rosa Huamán")
        [created] = cliente.collect_events()
        assert isinstance(created, ClienteCreated)
        assert (cliente.cliente_id, cliente.version, cliente.vigente) == (7, 1, True)
        assert cliente.datos.nombre == "Rosa Huamán"
        assert (created.cliente_id, created.actor, created.nombre) == (7, "ana", "Rosa Huamán")

    def test_the_created_event_stores_exactly_the_cliente_fields(self) -> None:
        """The stored shape is written out in the event on purpose (stored events live
        forever); this keeps it from drifting from the fields the service validates."""
        declared = {field.name for field in dataclasses.fields(ClienteCreated)}
        base = {field.name for field in dataclasses.fields(Cliente.Created)}
        assert declared - base == {*FIELDS, "cliente_id", "actor"}

    def test_an_update_records_only_the_fields_that_change(self) -> None:
        cliente = registered(telefono="987654321")
        cliente.collect_events()
        changed = validate(
            {
                **fields(),
                "codigo_cliente": cliente.datos.codigo_cliente,
                "telefono": None,
                "email": "rosa@example.pe",
            }
        )
        assert cliente.update(changed, "luis")
        [updated] = cliente.collect_events()
        assert isinstance(updated, ClienteUpdated)
        assert updated.changes == {"telefono": None, "email": "rosa@example.pe"}
        assert (updated.actor, cliente.version) == ("luis", 2)

    def test_an_update_that_changes_nothing_records_nothing(self) -> None:
        cliente = registered()
        cliente.collect_events()
        assert not cliente.update(cliente.datos, "luis")
        assert cliente.collect_events() == []
        assert cliente.version == 1

    def test_deactivating_keeps_the_data_and_ends_vigencia(self) -> None:
        cliente = registered()
        cliente.deactivate("ana")
        assert isinstance(cliente.collect_events()[-1], ClienteDeactivated)
        assert (cliente.vigente, cliente.version, cliente.datos.nombre) == (
            False,
            2,
            "Juana Quispe",
        )

    def test_its_events_replayed_give_the_same_cliente(self) -> None:
        cliente = registered()
        cliente.update(
            validate(
                {**fields(), "codigo_cliente": cliente.datos.codigo_cliente, "nombre": "Otra"}
            ),
            "luis",
        )
        cliente.deactivate("ana")
        events = cliente.collect_events()
        replayed: Cliente | None = None
        for event in events:
            replayed = event.mutate(replayed)
        assert replayed is not None
        assert (replayed.datos, replayed.vigente, replayed.version) == (
            cliente.datos,
            cliente.vigente,
            cliente.version,
        )


class TestCodigoIndex:
    def test_a_code_and_its_case_variants_share_one_index(self) -> None:
        assert CodigoIndex.create_id("ACME-1") == CodigoIndex.create_id("acme-1")
        assert CodigoIndex.create_id("ACME-1") != CodigoIndex.create_id("ACME-2")

    def test_a_claimed_code_is_held_until_released_and_can_be_claimed_again(self) -> None:
        index = CodigoIndex.claim("ACME-1", 7)
        assert (index.id, index.cliente_id) == (CodigoIndex.create_id("acme-1"), 7)
        index.release()
        assert (index.cliente_id, index.version) == (None, 2)
        index.reclaim(9)
        assert (index.cliente_id, index.version) == (9, 3)
