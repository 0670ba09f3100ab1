"""Forgetting idempotency keys for good: their expired answers deleted from the event store.

A key is forgotten as soon as its answer expires (commands/keys.py); this only
reclaims the space, and is run as a maintenance step (``clientes forget-keys``).
It is safe for everyone who reads the store in position order: the answers
are internal events that no projection, feed or subscriber uses, a deletion
leaves a gap in the positions (as those readers already expect) and moves no
one's tracked position. The store's last event is never deleted, so the head
never goes back and SQLite, whose positions are row ids, never hands out a
position again. Only answers older than KEEP_FOR by a GRACE are deleted: a
key that old runs anew anyway, and a request that is deciding about it at that
very moment has long been answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from commands.idempotency import KEEP_FOR, KEYED_ANSWER_TOPIC, KeyedAnswer
from commands.sealing import SealingMapper

GRACE = timedelta(hours=1)
BATCH = 1000  # answers read and deleted at a time

# Deletes these events (stream id, version) when their position is below the
# second argument; how many it deleted.
DeleteEvents = Callable[[Sequence[tuple[UUID, int]], int], int]


def forget_expired_keys(
    recorder: ApplicationRecorder, mapper: SealingMapper, delete: DeleteEvents, now: datetime
) -> int:
    """Deletes the answers kept longer than KEEP_FOR and GRACE; how many it deleted.

    Answers are read oldest first, and the reading stops at the first that is
    still young enough: the ones after it were recorded later.
    """
    cutoff = now - KEEP_FOR - GRACE
    head = recorder.max_notification_id() or 0
    after, deleted = 0, 0
    while True:
        notifications = recorder.select_notifications(
            start=after,
            limit=BATCH,
            stop=head,
            topics=[KEYED_ANSWER_TOPIC],
            inclusive_of_start=False,
        )
        answers: list[KeyedAnswer] = mapper.to_domain_events(notifications)
        old = [(a.originator_id, a.originator_version) for a in answers if a.timestamp < cutoff]
        if old:
            deleted += delete(old, head)
        if len(old) < len(answers) or len(notifications) < BATCH:
            return deleted
        after = notifications[-1].id
