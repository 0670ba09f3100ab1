"""clientes encrypt-history on a store written by the release before encryption at rest,
on both stores: the events tests/fixtures/events_before_encryption.json holds, as it
stored them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import Services
from commands import EraseCliente, NotSealedYet, cliente_aggregate_id
from commands.encrypting import Encryption, RewritesEvents
from tests.cli_support import clientes
from tests.server import server_env

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).with_name("fixtures") / "events_before_encryption.json"
# What that release stored in clear, of its two Clientes.
IN_CLEAR = [
    "Rosa Huamán Quispe",
    "44556677",
    "Jr. Puno 123, Lima",
    "rosa.h@example.pe",
    "Comercial Ñahui SAC",
    "Pedro Núñez Ccori",
    "Av. Arequipa 456, Lima",
]


@pytest.fixture
def older(services: Services) -> Services:
    """The store with the older release's events in it, as it wrote them."""
    events = json.loads(FIXTURE.read_text())["events"]
    services.clientes.recorder.insert_events(
        [
            StoredEvent(
                originator_id=UUID(event["originator_id"]),
                originator_version=event["originator_version"],
                topic=event["topic"],
                state=event["state"].encode(),
            )
            for event in events
        ]
    )
    return services


def stored_states(services: Services) -> bytes:
    notifications = services.clientes.recorder.select_notifications(start=1, limit=1000)
    return b"".join(n.state for n in notifications)


def history(services: Services, cliente_id: int) -> list[Any]:
    return list(services.clientes.events.get(cliente_aggregate_id(cliente_id)))


def run(services: Services, *args: str) -> Any:
    env = server_env(services.store, "s" * 40)
    return clientes("encrypt-history", *args, env=env)


def test_the_check_counts_what_is_in_clear_and_changes_nothing(older: Services) -> None:
    before = stored_states(older)
    checked = run(older, "--check")
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout.strip() == "5 event(s) hold personal values in clear"
    assert stored_states(older) == before


def test_an_older_cliente_cannot_be_erased_until_its_events_are_encrypted(
    older: Services,
) -> None:
    with pytest.raises(NotSealedYet) as refused:
        older.clientes.execute(EraseCliente(1, "solicitud", "dpo"))
    assert "clientes encrypt-history" in str(refused.value)


def test_it_seals_every_value_stored_in_clear_and_events_read_as_before(older: Services) -> None:
    before = [history(older, n) for n in (1, 2)]
    done = run(older)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Sealed the personal values of 5 event(s) stored in clear"
    assert not [value for value in IN_CLEAR if value.encode() in stored_states(older)]
    after = [history(older, n) for n in (1, 2)]
    assert [[vars(e) for e in events] for events in after] == [
        [vars(e) for e in events] for events in before
    ]
    assert run(older, "--check").returncode == 0
    again = run(older)
    assert again.stdout.strip() == "Sealed the personal values of 0 event(s) stored in clear"


def test_a_run_stopped_half_way_resumes_where_it_stopped(older: Services) -> None:
    recorder = cast(RewritesEvents, older.clientes.recorder)
    transcoder = older.clientes.mapper.transcoder
    stopped: list[int] = []

    def stop_after_the_first_batch(done: int, total: int) -> None:
        if not stopped:
            stopped.append(done)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Encryption(recorder, transcoder, batch_size=2, on_progress=stop_after_the_first_batch).run()
    assert Encryption(recorder, transcoder).in_clear() < 5
    assert Encryption(recorder, transcoder, batch_size=2).run() > 0
    assert Encryption(recorder, transcoder).in_clear() == 0
    assert history(older, 1)[0].nombre == "Rosa Huamán Quispe"


def test_once_encrypted_an_older_cliente_is_erased_with_its_kept_answer(
    older: Services, token: Callable[..., str]
) -> None:
    assert run(older).returncode == 0
    older.clientes.execute(EraseCliente(1, "solicitud", "dpo"))
    created, updated, erased = history(older, 1)
    assert (created.nombre, created.erased, updated.changes, erased.reason) == (
        None,
        True,
        {"email": None, "telefono": None},
        "solicitud",
    )
    answer = older.clientes.keys.last_of("ana", "old-key-1")
    assert answer is not None
    assert answer.answer.erased
    assert history(older, 2)[0].nombre == "Comercial Ñahui SAC"
