"""The embedded store's data directory holds personal data: only its owner may read it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.settings import Settings
from tests.cli_support import bare_env, clientes
from tests.server import Server
from tests.support import body

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The umask of this process and the servers it starts."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_the_data_directory_is_0700_and_its_files_0600_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    env = bare_env()
    with Server(env, cwd=tmp_path, port_by_env=True) as server:
        token = clientes("token", "--sub", "ana", env=env, cwd=tmp_path).stdout.strip()
        created = httpx.post(
            f"{server.url}/api/clientes", json=body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201
        data = tmp_path / "var"
        files = sorted(data.iterdir())
        assert mode(data) == 0o700
        names = {path.name for path in files}
        assert {"clientes.sqlite3", "clientes.sqlite3-wal", "jwt-secret"} <= names
        assert {path.name: mode(path) for path in files} == dict.fromkeys(names, 0o600)


def test_files_of_an_older_release_are_made_private_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "var"
    data.mkdir()
    database = data / "clientes.sqlite3"
    database.touch(mode=0o644)
    database.chmod(0o644)
    with Settings.from_env(bare_env(), with_secret=False).store.creating_tables():
        pass
    assert mode(database) == 0o600


@pytest.mark.parametrize("permissions", [0o644, 0o640, 0o604])
def test_a_signing_secret_others_could_read_is_refused(tmp_path: Path, permissions: int) -> None:
    secret = tmp_path / "var" / "jwt-secret"
    secret.parent.mkdir()
    secret.write_text("s" * 48)
    secret.chmod(permissions)
    result = clientes("token", "--sub", "ana", env=bare_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert f"the signing secret {secret} can be read by other users" in result.stderr
    assert "chmod 600" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_signing_secret_of_another_user_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "var" / "jwt-secret"
    secret.parent.mkdir()
    secret.write_text("s" * 48)
    secret.chmod(0o600)
    os.chown(secret, 65534, 65534)  # nobody
    result = clientes("serve", env=bare_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert f"the signing secret {secret} belongs to another user" in result.stderr
