"""`clientes tail`: members of a consumer group share the stream, acknowledge and reclaim."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import msgspec
import pytest
import redis

from api.bootstrap import Services, build_publisher
from tests.cli_support import bare_env
from tests.conftest import REDIS_URL
from tests.events_support import from_stream, wait_until, write_script
from tests.server import CLIENTES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

LINE = re.compile(
    r"(?P<position>[0-9]+) Cliente(Created|Updated|Deactivated) "
    r"clienteId=[0-9]+ version=[0-9]+ actor=[a-z]+"
)


@pytest.fixture
def store_kind() -> str:
    """One store is enough: these tests are about the Redis stream."""
    return "sqlite"


class Tail:
    """A running `clientes tail`, whose printed lines a test can wait for."""

    def __init__(self, stream: str, *args: str, url: str = REDIS_URL) -> None:
        env = bare_env(CLIENTES_REDIS_URL=url, CLIENTES_REDIS_STREAM=stream)
        self.process = subprocess.Popen(
            [str(CLIENTES), "tail", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def positions(self) -> list[int]:
        matches = [LINE.fullmatch(line) for line in self.lines]
        assert all(matches), self.lines
        return [int(m["position"]) for m in matches if m]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.finish()

    def finish(self, timeout: float = 20) -> int:
        """Waits for the exit; the exit code."""
        code = self.process.wait(timeout)
        self._reader.join(5)
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.process.stdout.close()
        self.errors = self.process.stderr.read()
        self.process.stderr.close()
        return code


@pytest.fixture
def tails() -> Iterator[list[Tail]]:
    """The tails a test starts, stopped at its end if still running."""
    started: list[Tail] = []
    yield started
    for tail in started:
        if not tail.process.stdout.closed:  # type: ignore[union-attr]
            tail.process.kill()
            tail.finish()


Publish = Callable[[], list[int]]


@pytest.fixture
def publish(services: Services, stream_name: str, redis_client: redis.Redis) -> Iterator[Publish]:
    """Writes the scripted history and publishes it to the test's stream."""
    settings = msgspec.structs.replace(
        services.settings, redis_url=REDIS_URL, redis_stream=stream_name
    )
    clientes = services.clientes

    with ExitStack() as resources:

        def publish() -> list[int]:
            """Returns the positions of what it published."""
            write_script(clientes)
            head = clientes.recorder.max_notification_id()
            runner = build_publisher(settings, clientes, resources)
            assert runner is not None
            runner.start()
            try:
                wait_until(lambda: runner.projection.view.max_tracking_id(clientes.name) == head)
            finally:
                runner.stop()
            return [envelope["position"] for _, envelope in from_stream(redis_client, stream_name)]

        yield publish


def blocked(client: redis.Redis, *consumers: str) -> bool:
    """Whether these members are all waiting in XREADGROUP for new entries."""
    names = {f"clientes-tail:{c}" for c in consumers}
    waiting = {c["name"] for c in client.client_list() if "b" in c["flags"]}
    return names <= waiting


def test_two_members_share_the_events_each_delivered_to_one_of_them(
    stream_name: str, redis_client: redis.Redis, publish: Publish, tails: list[Tail]
) -> None:
    group = f"g-{uuid.uuid4().hex}"
    a, b = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    tails += [Tail(stream_name, "--group", group, "--consumer", c, "--count", "1") for c in (a, b)]
    wait_until(lambda: blocked(redis_client, a, b), what="both members to wait for entries")
    positions = publish()
    wait_until(lambda: sum(len(t.lines) for t in tails) == len(positions), what="every event")
    assert [tail.stop() for tail in tails] == [0, 0]
    first, second = (tail.positions() for tail in tails)
    assert first  # each member had its share
    assert second
    assert sorted(first + second) == positions  # and no event went to both
    assert first == sorted(first)
    assert second == sorted(second)
    assert redis_client.xpending(stream_name, group)["pending"] == 0


def test_an_entry_left_unacknowledged_is_claimed_by_another_member(
    stream_name: str, redis_client: redis.Redis, publish: Publish, tails: list[Tail]
) -> None:
    positions = publish()
    group = f"g-{uuid.uuid4().hex}"
    redis_client.xgroup_create(stream_name, group, id="0")
    # A member that reads two entries and dies before acknowledging them.
    redis_client.xreadgroup(group, "dead", {stream_name: ">"}, count=2)
    assert redis_client.xpending(stream_name, group)["pending"] == 2
    args = ("--group", group, "--consumer", "alive", "--claim-idle", "0.1")
    tails.append(tail := Tail(stream_name, *args, "--max", str(len(positions))))
    assert tail.finish() == 0
    assert sorted(tail.positions()) == positions
    assert redis_client.xpending(stream_name, group)["pending"] == 0


def test_a_member_that_restarts_takes_back_its_own_pending_entries_first(
    stream_name: str, redis_client: redis.Redis, publish: Publish, tails: list[Tail]
) -> None:
    positions = publish()
    group = f"g-{uuid.uuid4().hex}"
    redis_client.xgroup_create(stream_name, group, id="0")
    redis_client.xreadgroup(group, "worker-1", {stream_name: ">"}, count=3)
    args = ("--group", group, "--consumer", "worker-1", "--max", str(len(positions)))
    tails.append(tail := Tail(stream_name, *args))
    assert tail.finish() == 0
    assert tail.positions() == positions
    assert redis_client.xpending(stream_name, group)["pending"] == 0


def test_a_group_resumes_where_it_stopped(
    stream_name: str, publish: Publish, tails: list[Tail], redis_client: redis.Redis
) -> None:
    positions = publish()
    group = f"g-{uuid.uuid4().hex}"
    tails.append(first := Tail(stream_name, "--group", group, "--max", "3"))
    assert first.finish() == 0
    # Given no name, a member is named after its host and its process.
    members = redis_client.xinfo_consumers(stream_name, group)
    assert [m["name"] for m in members] == [f"{socket.gethostname()}-{first.process.pid}"]
    rest = str(len(positions) - 3)
    tails.append(second := Tail(stream_name, "--group", group, "--from", "0", "--max", rest))
    assert second.finish() == 0
    assert first.positions() + second.positions() == positions


def test_from_makes_a_new_group_start_after_a_position(
    stream_name: str, publish: Publish, tails: list[Tail]
) -> None:
    positions = publish()
    group = f"g-{uuid.uuid4().hex}"
    args = ("--group", group, "--from", str(positions[2]), "--max", "2")
    tails.append(tail := Tail(stream_name, *args))
    assert tail.finish() == 0
    assert tail.positions() == positions[3:5]


def test_without_a_redis_url_it_says_what_is_missing() -> None:
    result = subprocess.run(
        [str(CLIENTES), "tail", "--max", "1"],
        env=bare_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "CLIENTES_REDIS_URL" in result.stderr


def documented_subscriber_rules() -> list[str]:
    """The ACL rules docs/operations.md gives an outside subscriber's Redis user."""
    text = " ".join((ROOT / "docs" / "operations.md").read_text().split())
    found = re.search(r"`ACL SETUSER billing (.*?)`", text)
    assert found is not None
    return found[1].split()


def test_a_subscriber_with_the_documented_acl_reads_its_group_and_nothing_else(
    stream_name: str, redis_client: redis.Redis, publish: Publish, tails: list[Tail]
) -> None:
    positions = publish()
    user, password = f"test-subscriber-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rules = [
        f">{password}" if rule.startswith(">") else f"~{stream_name}" if rule.startswith("~")
        else rule
        for rule in documented_subscriber_rules()
    ]  # fmt: skip
    # The rules as written, which acl_setuser's keyword arguments would have to take apart.
    redis_client.execute_command("ACL", "SETUSER", user, "reset", *rules)  # type: ignore[no-untyped-call]
    try:
        url = REDIS_URL.replace("redis://", f"redis://{user}:{password}@", 1)
        args = ("--group", f"g-{uuid.uuid4().hex}", "--max", str(len(positions)))
        tails.append(tail := Tail(stream_name, *args, url=url))
        assert tail.finish() == 0, tail.errors
        assert tail.positions() == positions
        subscriber = redis.Redis.from_url(url)
        with pytest.raises(redis.exceptions.NoPermissionError):
            subscriber.xadd(stream_name, {"forged": "1"})
        with pytest.raises(redis.exceptions.NoPermissionError):
            subscriber.get("some:other:key")
        subscriber.close()
    finally:
        redis_client.acl_deluser(user)
