"""The embedded store's named lock: an exclusive flock on a file beside the database."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class FileLock:
    """An exclusive flock on a file: the embedded store's named lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    def held(self) -> bool:
        if self._fd is not None:
            return True
        try:
            # Read-only: the question must have an answer on a disk that turned read-only.
            fd = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return False  # never taken
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # refused while a holder has it
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
