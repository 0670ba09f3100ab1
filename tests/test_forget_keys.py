"""Expired idempotency keys deleted from the store, on both stores."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.bootstrap import Services
from commands import Answer, Cliente, ClientesError, CreateCliente, KeyUse
from commands.forgetting import GRACE, forget_expired_keys
from commands.idempotency import KEEP_FOR, KEYED_ANSWER_TOPIC
from tests.cli_support import clientes
from tests.server import CLIENTES
from tests.support import fields


def created(_: Cliente | ClientesError) -> Answer:
    return Answer(201, "{}", {})


def use(key: str) -> KeyUse:
    return KeyUse("ana", key, f"POST /api/clientes {key}", created)


def forget(services: Services, later: timedelta) -> int:
    clientes = services.clientes
    delete = services.store.event_deleter(clientes.recorder)
    return forget_expired_keys(
        clientes.recorder, clientes.mapper, delete, datetime.now(UTC) + later
    )


def kept(services: Services) -> int:
    recorder = services.clientes.recorder
    return len(recorder.select_notifications(start=1, limit=1000, topics=[KEYED_ANSWER_TOPIC]))


def test_answers_past_their_time_and_the_grace_are_deleted(services: Services) -> None:
    for key in ("a", "b", "c"):
        services.clientes.execute(CreateCliente(fields(), "ana", use(key)))
    services.clientes.execute(CreateCliente(fields(), "ana"))
    assert forget(services, KEEP_FOR) == 0  # expired, but within the grace
    assert forget(services, KEEP_FOR + GRACE + timedelta(seconds=1)) == 3
    assert kept(services) == 0
    assert services.clientes.keys.last(use("a")) is None


def test_a_forgotten_key_runs_anew(services: Services) -> None:
    first = services.clientes.execute(CreateCliente(fields(), "ana", use("k")))
    services.clientes.execute(CreateCliente(fields(), "ana"))
    forget(services, KEEP_FOR + GRACE + timedelta(seconds=1))
    anew = services.clientes.execute(CreateCliente(fields(), "ana", use("k")))
    assert anew.cliente.cliente_id != first.cliente.cliente_id
    assert kept(services) == 1


def test_the_last_event_of_the_store_is_never_deleted(services: Services) -> None:
    """So the head never goes back, and SQLite never hands out a position again."""
    services.clientes.execute(CreateCliente(fields(), "ana", use("last")))
    head = services.clientes.recorder.max_notification_id()
    assert forget(services, KEEP_FOR + GRACE + timedelta(seconds=1)) == 0
    assert services.clientes.recorder.max_notification_id() == head


@pytest.mark.slow
def test_the_command_says_how_many_it_deleted(services: Services, tmp_path: Path) -> None:
    services.clientes.execute(CreateCliente(fields(), "ana", use("young")))
    store = services.store
    env = {"CLIENTES_DATABASE_URL": store.url, "CLIENTES_DATABASE_SCHEMA": store.schema}
    result = clientes("forget-keys", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Deleted 0 expired answer(s) of idempotency keys\n"
    assert kept(services) == 1


@pytest.mark.slow
def test_with_every_it_runs_again_until_stopped(services: Services, tmp_path: Path) -> None:
    store = services.store
    env = {
        **os.environ,
        "CLIENTES_DATABASE_URL": store.url,
        "CLIENTES_DATABASE_SCHEMA": store.schema,
    }
    with subprocess.Popen(
        [str(CLIENTES), "forget-keys", "--every", "0.2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    ) as running:
        assert running.stdout is not None
        lines = [running.stdout.readline() for _ in range(3)]  # three runs, 0.2 s apart
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=10) == 0
    assert lines == ["Deleted 0 expired answer(s) of idempotency keys\n"] * 3
