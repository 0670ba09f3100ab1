"""The README's examples, run in order against a fresh service as a reader runs them.

Each shell block that talks to the service is cut into steps: a command (the
lines up to a comment or a blank line) and the claims of the comments after it.
A claim is a comment that begins ``# ->`` (lines that begin ``#`` and four
spaces carry it on). One that begins with a status, ``# -> 201, ETag: "1",
{"id":1}``, is about the command's HTTP answer: its status, then headers, then a
JSON object the body must hold (objects may hold more members than the claim
names; lists hold exactly the elements named). Any other is a line the
command prints, ``...`` standing for any text. The whole README runs as one
shell script, so that its variables carry on from block to block.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from stores import Store
from tests.cli_support import bare_env
from tests.conftest import REDIS_URL, SECRET
from tests.events_support import wait_until
from tests.server import CLIENTES, Server, bearer, server_env
from tests.support import body

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SERVICE = "http://127.0.0.1:8000"
MARK = "@@step"
# What curl and tail are in the script: curl shows the status and headers of
# every answer, and a stream is cut after a few seconds, as tail is.
PRELUDE = """
curl() { command curl --include --max-time 3 "$@"; echo; }
"""


@dataclass
class Step:
    command: str
    claims: list[str] = field(default_factory=list)
    output: str = ""


def steps() -> list[Step]:
    """The steps of every README block that talks to the service, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL)
    found: list[Step] = []
    for block in blocks:
        if SERVICE not in block and "clientes tail" not in block:
            continue
        if "docker " in block or "make " in block:
            continue  # the production shape, and the set-up: not against this service
        found += _cut(block)
    return found


def _cut(block: str) -> list[Step]:
    cut: list[Step] = []
    command: list[str] = []
    for line in block.splitlines():
        if line.startswith("#") or not line.strip():
            if command:
                cut.append(Step("\n".join(command)))
                command = []
            if line.startswith("# -> "):
                cut[-1].claims.append(line.removeprefix("# -> "))
            elif line.startswith("#    ") and cut and cut[-1].claims:
                cut[-1].claims[-1] += line.removeprefix("#").strip()
        else:
            command.append(line)
    if command:
        cut.append(Step("\n".join(command)))
    return cut


def script(found: list[Step], url: str) -> str:
    body = [PRELUDE]
    for n, step in enumerate(found):
        command = step.command.replace(SERVICE, url)
        command = command.replace(".venv/bin/clientes", str(CLIENTES))
        command = command.replace(f"{CLIENTES} tail", f"timeout 4 {CLIENTES} tail")
        command = command.replace("redis://127.0.0.1:6379/0", REDIS_URL)
        body += [f"echo '{MARK} {n}'", command]
    return "\n".join(body) + "\n"


def run(found: list[Step], url: str, env: dict[str, str], cwd: Path) -> None:
    """Runs the steps as one script, and gives each its output."""
    done = subprocess.run(
        ["bash", "-c", script(found, url)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    parts = re.split(rf"^{MARK} (\d+)\n", done.stdout, flags=re.MULTILINE)
    assert len(parts) == 2 * len(found) + 1, done.stdout + done.stderr
    for n, output in zip(parts[1::2], parts[2::2], strict=True):
        found[int(n)].output = output


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def answers(output: str) -> list[Answer]:
    """The HTTP answers curl printed, head and body each."""
    found = []
    for part in re.split(r"^(?=HTTP/1\.1 \d{3})", output, flags=re.MULTILINE):
        if not part.startswith("HTTP/"):
            continue
        head, _, body = part.replace("\r\n", "\n").partition("\n\n")
        status_line, *lines = head.splitlines()
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        try:
            decoded = json.loads(body) if body.strip() else None
        except json.JSONDecodeError:
            decoded = body
        found.append(Answer(int(status_line.split()[1]), headers, decoded))
    return found


def holds(actual: Any, claimed: Any) -> bool:
    """Whether ``actual`` holds what ``claimed`` names: objects hold at least its
    members, lists exactly its elements, anything else is equal."""
    if isinstance(claimed, dict):
        return isinstance(actual, dict) and all(
            name in actual and holds(actual[name], value) for name, value in claimed.items()
        )
    if isinstance(claimed, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(claimed)
            and all(holds(a, c) for a, c in zip(actual, claimed, strict=True))
        )
    return bool(actual == claimed)


HEADER = re.compile(r'([A-Z][A-Za-z-]*): ("[^"]*"|[^,\s]+)(?:, |$)')


def answer_problems(step: Step, claim: str) -> list[str]:
    """How the step's HTTP answer differs from the claim (nothing: it holds)."""
    found = answers(step.output)
    if len(found) != 1:
        return [f"{len(found)} answers, not one"]
    answer = found[0]
    status, _, rest = claim.partition(", ")
    problems = []
    if answer.status != int(status):
        problems.append(f"status {answer.status}")
    while rest and not rest.startswith("{"):
        header = HEADER.match(rest)
        assert header is not None, f"cannot read the claim {claim!r} at {rest!r}"
        name, value = header.groups()
        if answer.headers.get(name.lower()) != value:
            problems.append(f"{name}: {answer.headers.get(name.lower())}")
        rest = rest[header.end() :]
    if rest and not holds(answer.body, json.loads(rest)):
        problems.append(f"body {json.dumps(answer.body, ensure_ascii=False)}")
    return problems


def line_problems(step: Step, claim: str) -> list[str]:
    """Whether the step printed the claimed line."""
    pattern = ".*".join(re.escape(piece) for piece in claim.split("..."))
    if any(re.fullmatch(pattern, line) for line in step.output.splitlines()):
        return []
    return ["no such line"]


def test_the_readme_s_examples_answer_what_they_say(
    store: Store, tmp_path: Path, stream_name: str
) -> None:
    found = steps()
    assert sum(len(step.claims) for step in found) >= 40  # the README's, not a few of them
    settings = {
        "CLIENTES_REDIS_URL": REDIS_URL,
        "CLIENTES_REDIS_STREAM": stream_name,
        "CLIENTES_EVENTS_HEARTBEAT": "1",
    }
    if store.url.startswith("sqlite"):
        # As the quick start runs it: the embedded default in ./var, a secret made there.
        env = bare_env(**settings)
    else:
        env = server_env(store, SECRET, **settings)
    with Server(env, cwd=tmp_path) as server:
        run(found, server.url, env, tmp_path)
    failed = []
    for step in found:
        for claim in step.claims:
            check = answer_problems if re.match(r"\d{3}\b", claim) else line_problems
            if problems := check(step, claim):
                failed.append(f"{step.command}\n  claims {claim}\n  but: {'; '.join(problems)}")
    assert not failed, "\n\n".join(failed)


def python_example() -> dict[str, Any]:
    """The README's Python subscriber, as a module's namespace (main not run)."""
    [code] = [
        block
        for block in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if "def stream(" in block
    ]
    namespace: dict[str, Any] = {"__name__": "follow"}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def test_the_python_subscriber_reads_the_feed_then_follows_the_stream_across_a_restart(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    follow = python_example()
    env = server_env(store, SECRET, CLIENTES_EVENTS_HEARTBEAT="0.2")
    headers = bearer(store, SECRET)
    monkeypatch.setenv("CLIENTES_TOKEN", headers["Authorization"].removeprefix("Bearer "))
    with (
        Server(env) as server,
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(10, read=60)) as client,
    ):
        for _ in range(3):
            assert client.post("/api/clientes", json=body(), headers=headers).status_code == 201
        stored = client.get("/api/events", params={"limit": 1000}, headers=headers).json()
        caught_up = list(follow["feed"](client, 0))
        assert caught_up == stored["events"]

        followed: list[dict[str, Any]] = []
        reader = threading.Thread(
            target=lambda: followed.extend(
                itertools.islice(follow["stream"](client, caught_up[-1]["position"]), 2)
            ),
            daemon=True,
        )
        reader.start()
        time.sleep(1)  # heartbeats go by, and are skipped
        first = client.post("/api/clientes", json=body(), headers=headers).json()
        wait_until(lambda: len(followed) == 1, what="the first new event")
        server.stop()  # the stream ends; the reader connects again, with Last-Event-ID
        server.start()
        second = client.post("/api/clientes", json=body(), headers=headers).json()
        reader.join(timeout=20)
        assert not reader.is_alive()
    assert [e["clienteId"] for e in followed] == [first["id"], second["id"]]
    assert all(e["type"] == "ClienteCreated" for e in followed)
