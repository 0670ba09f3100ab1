"""The command handlers: an eventsourcing Application over Cliente events."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, assert_never, cast
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, IntegrityError, Mapper, Recording
from eventsourcing.utils import EnvType, get_topic

from commands.cliente import Cliente, cliente_aggregate_id
from commands.codigo import CodigoIndex, normalise_codigo
from commands.committer import Committer, Steps
from commands.errors import (
    AlreadyErased,
    ClienteGone,
    ClienteNotFound,
    ClientesError,
    CodigoTaken,
    NotSealedYet,
    VersionMismatch,
    VersionNotFound,
)
from commands.idempotency import KeyedAnswer, KeyUse, kept_answers
from commands.ids import ids_for
from commands.keys import Keys
from commands.messages import (
    Command,
    CreateCliente,
    DeactivateCliente,
    EraseCliente,
    UpdateCliente,
)
from commands.sealing import DataKeys, KeyRing, SealingMapper, in_clear, key_changes
from commands.transcoding import MsgspecJSONTranscoder
from commands.validation import validate, validate_reason

MAX_ATTEMPTS = 50
MAX_VERSION = 2**63 - 1  # versions are 64-bit in both stores


class TooMuchContention(ClientesError):
    """A write lost the race to concurrent writers too many times in a row."""


class Decision:
    """What a command decided: the Cliente it leaves, and the aggregates whose new
    events it records (none when it leaves the Cliente as it was)."""

    def __init__(self, cliente: Cliente, *indexes: CodigoIndex, changed: bool = True) -> None:
        self.cliente = cliente
        self.changed = changed
        self.aggregates: tuple[Aggregate, ...] = (cliente, *indexes) if changed else ()


@dataclass(frozen=True)
class Written:
    """A Cliente after a command, and the global position of what it recorded.

    ``position`` is None when nothing was recorded.
    """

    cliente: Cliente
    position: int | None


class SealedEventStore(EventStore[UUID]):
    """The library's event store, decoding an aggregate's events together, so that their
    key is read once (commands/sealing.py)."""

    mapper: SealingMapper

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Any]:
        stored = self.recorder.select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return iter(self.mapper.to_domain_events(stored))


class Clientes(Application[UUID]):
    """Creates, updates, deactivates and erases Clientes."""

    name = "Clientes"
    # Keep recently used aggregates in memory; a read brings a cached one up to
    # date with the events stored since (other processes' writes included).
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "TRANSCODER_TOPIC": get_topic(MsgspecJSONTranscoder),
    }

    mapper: SealingMapper
    events: SealedEventStore

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.mapper.keys = KeyRing(cast(DataKeys, self.recorder))
        self.ids = ids_for(self.factory)
        self.committer = Committer(self._record_together)
        self.keys = Keys(self.events)
        self.on_recorded: list[Callable[[int], None]] = []

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=SealingMapper
        )

    def construct_event_store(self) -> EventStore[UUID]:
        return SealedEventStore(self.mapper, self.recorder)

    def execute(self, command: Command) -> Written:
        """Runs ``command`` in this thread, its change recorded with those of the commands
        other threads run meanwhile (the committer's ``run``)."""
        return self.committer.run(self.steps(command))

    def steps(self, command: Command) -> Steps[Written]:
        """The steps of ``command``, for the committer to run: the one place that
        dispatches commands to their handlers."""
        match command:
            case CreateCliente():
                return self.create(command)
            case UpdateCliente():
                return self.update(command)
            case DeactivateCliente():
                return self.deactivate(command)
            case EraseCliente():
                return self.erase(command)
            case _:
                assert_never(command)

    def create(self, command: CreateCliente) -> Steps[Written]:
        """The first attempt claims the code as new, with no lookup: the store refuses
        the claim if the code has an index already. Only then is the index read, to
        tell a taken code from one that was released.
        """
        datos = validate(command.fields)
        looked_up = False

        def attempt() -> Decision:
            nonlocal looked_up
            index = self._free_index(datos.codigo_cliente) if looked_up else None
            looked_up = True
            cliente = Cliente.register(self.ids.next_id(), datos, command.actor)
            return Decision(cliente, self._claim(index, datos.codigo_cliente, cliente))

        return self._retrying(attempt, command.key)

    def update(self, command: UpdateCliente) -> Steps[Written]:
        """A write that loses a race is retried on the fresh state, so a partial update
        never undoes another writer's change."""

        def attempt() -> Decision:
            cliente = self.get_vigente(command.cliente_id, command.expected_versions)
            datos = validate({**msgspec.structs.asdict(cliente.datos), **command.changes})
            old_codigo = cliente.datos.codigo_cliente
            if not cliente.update(datos, command.actor):
                return Decision(cliente, changed=False)
            if normalise_codigo(old_codigo) == normalise_codigo(datos.codigo_cliente):
                return Decision(cliente)
            index = self._free_index(datos.codigo_cliente, command.cliente_id)
            old_index: CodigoIndex = self.repository.get(CodigoIndex.create_id(old_codigo))
            old_index.release()
            return Decision(cliente, self._claim(index, datos.codigo_cliente, cliente), old_index)

        return self._retrying(attempt, command.key)

    def deactivate(self, command: DeactivateCliente) -> Steps[Written]:
        def attempt() -> Decision:
            cliente = self.get_vigente(command.cliente_id, command.expected_versions)
            cliente.deactivate(command.actor)
            return Decision(cliente)

        return self._retrying(attempt, command.key)

    def erase(self, command: EraseCliente) -> Steps[Written]:
        """Vigente or not, a Cliente's personal data is erased: ClienteErased is recorded
        and its key destroyed in the same transaction (commands/sealing.py)."""
        reason = validate_reason(command.reason)

        def attempt() -> Decision:
            cliente = self.get_cliente(command.cliente_id)
            if cliente.erased:
                raise AlreadyErased(command.cliente_id)
            _expect(cliente, command.expected_versions)
            if not self._all_sealed(cliente.id):
                raise NotSealedYet(command.cliente_id)
            cliente.erase(command.actor, reason)
            return Decision(cliente)

        return self._retrying(attempt, command.key)

    def get_cliente(self, cliente_id: int, version: int | None = None) -> Cliente:
        """A Cliente as it is now, or as it was at ``version``, vigente or not."""
        try:
            cliente: Cliente = self.repository.get(
                cliente_aggregate_id(cliente_id), version=version
            )
        except AggregateNotFoundError:
            raise ClienteNotFound(cliente_id) from None
        return cliente

    def cliente_at(self, cliente_id: int, version: int) -> Cliente:
        """The Cliente as it was right after its change number ``version``; none once its
        personal data is erased (ClienteGone)."""
        if self.get_cliente(cliente_id).erased:
            raise ClienteGone(cliente_id)
        if not 1 <= version <= MAX_VERSION:
            raise VersionNotFound(cliente_id, version)
        cliente = self.get_cliente(cliente_id, version=version)
        if cliente.version != version:
            raise VersionNotFound(cliente_id, version)
        return cliente

    def get_vigente(
        self, cliente_id: int, expected_versions: Collection[int] | None = None
    ) -> Cliente:
        """A vigente Cliente, at one of ``expected_versions`` when given."""
        cliente = self.get_cliente(cliente_id)
        if not cliente.vigente:
            raise ClienteNotFound(cliente_id)
        _expect(cliente, expected_versions)
        return cliente

    def _record_together(self, events: Sequence[Any]) -> list[Recording[UUID]]:
        """Records the events of a batch, in the same transaction as how many answers they
        keep for each actor, the keys of their new Clientes and the destruction of those
        of their erasures."""
        keys = key_changes(events, self.mapper.keys)
        recordings = self.save(*events, kept_answers=kept_answers(events), data_keys=keys)
        for owner in keys.destroyed:
            self.mapper.keys.forget(owner)
        return recordings

    def _all_sealed(self, aggregate_id: UUID) -> bool:
        """Whether every personal value of an aggregate's events is sealed with a key."""
        decode = self.mapper.transcoder.decode
        stored = self.recorder.select_events(aggregate_id)
        return not any(in_clear(decode(event.state), event.topic) for event in stored)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """Tells in-process followers the new head position, so they need not poll."""
        if recordings:
            for follower in self.on_recorded:
                follower(recordings[-1].notification.id)

    def _free_index(self, codigo: str, cliente_id: int | None = None) -> CodigoIndex | None:
        """The code's index if it exists, provided nobody else holds the code."""
        try:
            index: CodigoIndex = self.repository.get(CodigoIndex.create_id(codigo))
        except AggregateNotFoundError:
            return None
        if index.cliente_id is not None and index.cliente_id != cliente_id:
            holder = self.get_cliente(index.cliente_id)
            raise CodigoTaken(codigo, holder.cliente_id, vigente=holder.vigente)
        return index

    @staticmethod
    def _claim(index: CodigoIndex | None, codigo: str, cliente: Cliente) -> CodigoIndex:
        if index is None:
            return CodigoIndex.claim(codigo, cliente.cliente_id)
        index.reclaim(cliente.cliente_id)
        return index

    def _retrying(self, attempt: Callable[[], Decision], key: KeyUse | None) -> Steps[Written]:
        """Decides and records a command, again on fresh state when it lost a race.

        The event store refuses a second event at the same version of an
        aggregate with IntegrityError; the next attempt reads what won and
        either succeeds, or refuses for a domain reason (code taken, version
        no longer the expected one, key used already).
        """
        for tries in range(MAX_ATTEMPTS):
            try:
                # A first use of a key is recorded without a look: the store refuses
                # it if the key has an answer already, and only then is it read.
                used = self.keys.last_expired(key) if key is not None and tries else None
                return (yield from self._decide_and_record(attempt, key, used))
            except IntegrityError:
                continue  # the committer lets the others get ahead first
        raise TooMuchContention("Too many concurrent writes; try again")

    def _decide_and_record(
        self, attempt: Callable[[], Decision], key: KeyUse | None, used: KeyedAnswer | None
    ) -> Steps[Written]:
        """Records the command's changes, and the key's answer with them, together with
        the changes of commands running alongside."""
        try:
            decision = attempt()
        except ClientesError as refusal:
            if key is not None and (answer := key.answer(refusal)) is not None:
                yield [key.answered(answer, used)]
            raise
        events: list[Any] = [
            event for aggregate in decision.aggregates for event in aggregate.collect_events()
        ]
        if key is not None and (answer := key.answer(decision.cliente)) is not None:
            # An answer that shows the Cliente is sealed with its key, and goes with it.
            shown = decision.cliente.cliente_id if answer.body else None
            events.append(key.answered(answer, used, shown))
        if not events:
            return Written(decision.cliente, None)
        try:
            position = yield events
        except IntegrityError:
            if not self._recorded(events):
                raise
            # Recorded after all: the connection dropped as the store committed, the
            # library wrote again, and the store refused the copy.
            position = self.recorder.max_notification_id() or 0
        return Written(decision.cliente, position if decision.changed else None)

    def _recorded(self, events: Sequence[Any]) -> bool:
        """Whether the store holds ``events``' first one: this very event (its time
        to the microsecond and its type), not another at the same version."""
        first = events[0]
        version = first.originator_version
        stored: list[Any] = list(self.events.get(first.originator_id, gt=version - 1, lte=version))
        return bool(stored) and (type(stored[0]), stored[0].timestamp) == (
            type(first),
            first.timestamp,
        )


def _expect(cliente: Cliente, versions: Collection[int] | None) -> None:
    """Refuses a conditional command on a Cliente at none of the versions it expects."""
    if versions is not None and cliente.version not in versions:
        raise VersionMismatch(cliente.version)
