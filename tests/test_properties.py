"""Properties over any sequence of commands, on both stores (hypothesis).

- What the API answers after each valid command is what the stored events give
  back (the Cliente rebuilt from its history) and what a later read returns.
- Any invalid input is refused with a 400 and records no event.
- The read table after any sequence equals a rebuild from the events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from api.bootstrap import Services
from commands.validation import NUMERO_DOCUMENTO, RULES, SPACE, TIPOS_CLIENTE
from projections import open_view
from projections.envelopes import API_NAMES
from projections.replay import Replay
from tests.reliability import REPORT, Category

Client = TestClient[Any]
# The service's own threads (the connection pools' jittered waits) use the random
# module while hypothesis draws; hypothesis mistakes that for a strategy doing so.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]
OPTIONAL = ("direccion", "telefono", "email", "contacto_representante")
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def tried() -> Category:
    return REPORT.category(
        __name__,
        "Properties (hypothesis)",
        "Random sequences of creates, updates and deactivations, and random invalid input, "
        "on SQLite and PostgreSQL: answers read back as stored, invalid input records nothing, "
        "the read table equals a rebuild.",
    )


def valid(name: str) -> st.SearchStrategy[str]:
    rule = RULES[name]
    return st.from_regex(rule.pattern, fullmatch=True).filter(rule.allows)


@st.composite
def documento(draw: st.DrawFn) -> dict[str, str]:
    tipo = draw(st.sampled_from(sorted(NUMERO_DOCUMENTO)))
    rule = NUMERO_DOCUMENTO[tipo]
    numero = draw(st.from_regex(rule.pattern, fullmatch=True).filter(rule.allows))
    return {"tipo_documento": tipo, "numero_documento": numero}


@st.composite
def new_cliente(draw: st.DrawFn) -> dict[str, str | None]:
    fields: dict[str, str | None] = {
        "codigo_cliente": draw(st.sampled_from(["A", "b", "C-1", "d.2", "E_3", "a"])),
        "nombre": draw(valid("nombre")),
        "tipo_cliente": draw(st.sampled_from(TIPOS_CLIENTE)),
        **draw(documento()),
    }
    for name in OPTIONAL:
        fields[name] = draw(st.none() | valid(name))
    return fields


@st.composite
def changes(draw: st.DrawFn) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    if draw(st.booleans()):
        found["nombre"] = draw(valid("nombre"))
    if draw(st.booleans()):
        found.update(draw(documento()))
    for name in draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=3)):
        found[name] = draw(st.none() | valid(name))
    return found


create = st.tuples(st.just("create"), new_cliente())
update = st.tuples(st.just("update"), st.integers(0, 9), changes())
deactivate = st.tuples(st.just("deactivate"), st.integers(0, 9))
commands = st.lists(st.one_of(create, create, update, update, deactivate), max_size=10)

invalid_values = st.one_of(
    st.tuples(st.just("codigo_cliente"), st.sampled_from(["", "has space", "x" * 51, "ñ"])),
    st.tuples(st.just("nombre"), st.sampled_from(["", "   ", "a\x00b", "x" * 151])),
    st.tuples(
        st.just("tipo_cliente"), st.text(max_size=10).filter(lambda t: t not in TIPOS_CLIENTE)
    ),
    st.tuples(st.just("email"), st.sampled_from(["no-at-sign", "a@b", "@x.pe", "a b@c.pe"])),
    st.tuples(st.just("telefono"), st.sampled_from(["12", "abc-def", "1" * 21])),
    st.tuples(st.sampled_from(list(API_NAMES)), st.integers() | st.booleans() | st.just([])),
)


def in_api(fields: dict[str, str | None]) -> dict[str, str | None]:
    return {API_NAMES[name]: value for name, value in fields.items()}


def stored(value: str | None) -> str | None:
    """A value as the service keeps it: trimmed; an empty optional one becomes null."""
    if value is None:
        return None
    return value.strip(SPACE) or None


@dataclass
class Model:
    """What the service should hold, from the answers it gave."""

    prefix: str
    codes: set[str] = field(default_factory=set)  # taken codes, any case
    clientes: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> last answer
    vigentes: set[int] = field(default_factory=set)

    def code(self, drawn: str | None) -> str:
        return f"{self.prefix}{drawn}"

    def pick(self, index: int) -> int | None:
        ids = sorted(self.clientes)
        return ids[index % len(ids)] if ids else None


def run(client: Client, auth: dict[str, str], model: Model, command: tuple[Any, ...]) -> None:
    match command:
        case ("create", fields):
            fields = {**fields, "codigo_cliente": model.code(fields["codigo_cliente"])}
            response = client.post("/api/clientes", json=in_api(fields), headers=auth)
            taken = fields["codigo_cliente"].lower() in model.codes
            assert response.status_code == (409 if taken else 201), response.text
            if response.status_code == 201:
                answer = response.json()
                sent = {k: stored(v) for k, v in in_api(fields).items()}
                assert {k: answer[k] for k in sent} == sent
                model.codes.add(fields["codigo_cliente"].lower())
                model.clientes[answer["id"]] = answer
                model.vigentes.add(answer["id"])
        case ("update", index, fields):
            cliente_id = model.pick(index)
            if cliente_id is None or not fields:
                return
            url = f"/api/clientes/{cliente_id}"
            response = client.patch(url, json=in_api(fields), headers=auth)
            if cliente_id not in model.vigentes:
                assert response.status_code == 404, response.text
                return
            assert response.status_code == 200, response.text
            answer = response.json()
            before = model.clientes[cliente_id]
            after = {**before, **{k: stored(v) for k, v in in_api(fields).items()}}
            changed = after != before
            after["version"] += 1 if changed else 0
            after["fechaModificacion"] = answer["fechaModificacion"]  # the server's clock
            assert answer == after
            model.clientes[cliente_id] = answer
        case ("deactivate", index):
            cliente_id = model.pick(index)
            if cliente_id is None:
                return
            response = client.delete(f"/api/clientes/{cliente_id}", headers=auth)
            if cliente_id not in model.vigentes:
                assert response.status_code == 404, response.text
                return
            assert response.status_code == 204, response.text
            model.vigentes.discard(cliente_id)
            model.clientes[cliente_id]["version"] += 1  # the deactivation is a change too


def check_against_the_events(client: Client, auth: dict[str, str], model: Model) -> None:
    services: Services = client.app.state.services
    for cliente_id, answer in model.clientes.items():
        rebuilt = services.clientes.get_cliente(cliente_id)
        assert rebuilt.version == answer["version"]
        datos = in_api(_datos(rebuilt))
        assert datos == {name: answer[name] for name in datos}
        assert rebuilt.vigente == (cliente_id in model.vigentes)
        read = client.get(f"/api/clientes/{cliente_id}", headers=auth)
        if cliente_id in model.vigentes:
            assert read.json() == answer
        else:
            assert read.status_code == 404


def _datos(cliente: Any) -> dict[str, str | None]:
    return {name: getattr(cliente.datos, name) for name in cliente.datos.__struct_fields__}


def read_table_equals_a_rebuild(services: Services) -> None:
    scratch = open_view(services.settings.store.env, table_name="clientes_check")
    clientes = services.clientes
    replay = Replay(clientes.recorder, clientes.mapper, clientes.name, services.view, scratch)
    try:
        assert replay.check().differences == []
    finally:
        scratch.close()


@given(commands=commands)
@EXAMPLES
def test_any_sequence_of_commands_reads_back_as_answered(
    client: Client, auth: dict[str, str], commands: list[tuple[Any, ...]]
) -> None:
    model = Model(prefix=f"P{uuid.uuid4().hex[:10]}-")
    tried().counts.update({"command sequences tried": 1, "commands run": len(commands)})
    for command in commands:
        run(client, auth, model, command)
    check_against_the_events(client, auth, model)
    read_table_equals_a_rebuild(client.app.state.services)


@given(base=new_cliente(), invalid=invalid_values, partial=st.booleans())
@EXAMPLES
def test_any_invalid_input_is_refused_and_records_nothing(
    client: Client,
    auth: dict[str, str],
    base: dict[str, str | None],
    invalid: tuple[str, Any],
    partial: bool,
) -> None:
    services: Services = client.app.state.services
    tried().counts["invalid payloads tried"] += 1
    existing = client.post(
        "/api/clientes",
        json=in_api({**base, "codigo_cliente": f"V{uuid.uuid4().hex[:12]}"}),
        headers=auth,
    )
    assert existing.status_code == 201, existing.text
    head = services.clientes.recorder.max_notification_id()
    name, value = invalid
    if partial:
        response = client.patch(
            existing.headers["location"], json={API_NAMES[name]: value}, headers=auth
        )
    else:
        fields = {**base, "codigo_cliente": f"W{uuid.uuid4().hex[:12]}", name: value}
        response = client.post("/api/clientes", json=in_api(fields), headers=auth)
    assert response.status_code == 400, (invalid, response.text)
    assert API_NAMES[name] in [e["field"] for e in response.json()["errors"]]
    assert services.clientes.recorder.max_notification_id() == head
