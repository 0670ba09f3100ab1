"""An event that conflicts with one recorded (its originator at a version taken) fails
its whole transaction with the library's IntegrityError, also when the batch carries
counts of kept answers and data keys: never as a store that seems down."""

from __future__ import annotations

from typing import Any, Protocol, cast
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.bootstrap import Services
from commands.encrypting import RewritesEvents
from commands.idempotency import CountsKeptAnswers
from commands.sealing import KeyChanges


class Recorder(RewritesEvents, CountsKeptAnswers, Protocol):
    """What each store's recorder provides, as the application uses it."""

    def insert_events(self, stored_events: list[StoredEvent], **kwargs: Any) -> Any: ...


PREPARED_AFTER = 5  # executions of a statement, psycopg's default prepare_threshold


def _event(originator: UUID) -> StoredEvent:
    return StoredEvent(originator_id=originator, originator_version=1, topic="t", state=b"{}")


def test_a_conflicting_batch_with_kept_answers_and_keys_records_nothing(
    services: Services,
) -> None:
    recorder = cast(Recorder, services.clientes.recorder)
    taken, owner, other = uuid4(), uuid4(), uuid4()
    recorder.insert_events(
        [_event(taken)],
        kept_answers={("ana", 7): 1},
        data_keys=KeyChanges(new={owner: b"k" * 32}, destroyed=()),
    )
    for _ in range(PREPARED_AFTER + 2):  # also once its statements are prepared
        with pytest.raises(IntegrityError):
            recorder.insert_events(
                [_event(uuid4()), _event(taken)],
                kept_answers={("ana", 7): 1, ("luis", 7): 1},
                data_keys=KeyChanges(new={other: b"o" * 32}, destroyed=[owner]),
            )
        # and the connection serves the next batch as if nothing had happened
        recorder.insert_events([_event(uuid4())], kept_answers={("eva", 7): 1})
    assert recorder.kept_answers("ana", 7) == 1
    assert recorder.kept_answers("luis", 7) == 0
    assert recorder.kept_answers("eva", 7) == PREPARED_AFTER + 2
    assert recorder.select_data_keys([owner, other]) == {owner: b"k" * 32}
