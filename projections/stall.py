"""Whether a projection keeps up with the events, for readiness."""

from __future__ import annotations

import time

STALL_AFTER = 10.0  # seconds without progress, while behind, that make a projection stalled


class StallWatch:
    """Notices a projection that stopped moving while events wait for it."""

    def __init__(self, stall_after: float = STALL_AFTER) -> None:
        self.stall_after = stall_after
        self._position: int | None = None
        self._behind = False
        self._since = time.monotonic()

    def stalled(self, position: int, head: int) -> bool:
        """True once the projection has been seen behind, at one position, for too long."""
        now = time.monotonic()
        if position != self._position or not self._behind:
            self._position, self._since = position, now
        self._behind = position < head
        return self._behind and now - self._since > self.stall_after
