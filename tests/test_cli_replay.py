"""`clientes replay` run as a user runs it: one at a time per store."""

from __future__ import annotations

import subprocess
from subprocess import PIPE

import pytest

from api.bootstrap import Services
from projections.clientes import ClientesProjection
from stores import Store
from tests.cli_support import clientes
from tests.conftest import SECRET
from tests.server import CLIENTES, server_env
from tests.stores import table_names
from tests.test_projector import write_history

pytestmark = pytest.mark.slow


def scratch_tables(store: Store) -> list[str]:
    """The tables a replay or a check builds beside the live ones."""
    return sorted(
        name
        for name in table_names(store)
        if name.startswith(("clientes_rebuild", "clientes_check"))
    )


@pytest.mark.parametrize("check", [False, True], ids=["rebuild", "check"])
def test_a_replay_while_another_runs_says_so_and_creates_nothing(
    services: Services, check: bool
) -> None:
    store = services.settings.store
    running = store.lock("replay")
    assert running.acquire()
    try:
        second = clientes("replay", *(["--check"] if check else []), env=server_env(store, SECRET))
    finally:
        running.release()
    assert second.returncode == 2
    assert second.stderr.strip() == "clientes: another replay is running on this store"
    assert scratch_tables(store) == []


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_two_replays_started_together_end_without_a_traceback(services: Services) -> None:
    write_history(services.clientes)
    env = server_env(services.settings.store, SECRET)
    replays = [
        subprocess.Popen([str(CLIENTES), "replay"], env=env, stdout=PIPE, stderr=PIPE, text=True)
        for _ in range(2)
    ]
    outcomes = [(replay.communicate(timeout=60)[1], replay.returncode) for replay in replays]
    assert all("Traceback" not in stderr for stderr, _ in outcomes), outcomes
    # Both 0 when the first had finished before the second began.
    assert sorted(code for _, code in outcomes) in ([0, 0], [0, 2]), outcomes


def test_a_replay_counts_cliente_events_and_shows_its_progress_in_positions(
    services: Services,
) -> None:
    head = write_history(services.clientes)
    stored = services.clientes.recorder.select_notifications(start=None, limit=1000)
    cliente_events = sum(n.topic in ClientesProjection.topics for n in stored)
    assert cliente_events < head == len(stored)  # the code index's events are between them

    done = clientes("replay", env=server_env(services.settings.store, SECRET))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Rebuilt from {cliente_events} Cliente events in ")
    assert f"swapped in for the live table at position {head} of the event store" in done.stdout
    # Not a terminal: the progress is a log line at the start and one at the end.
    assert done.stderr.splitlines()[-1].startswith(f"replay: position {head}/{head} 100%")
