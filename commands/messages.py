"""The commands: what a caller asks the write side to do, as messages with named fields.

Each is handled by one method of ``Clientes`` (commands/application.py), and
``Clientes.steps`` is the one place that dispatches them. The actor (the
token's ``sub``) and the Idempotency-Key a command runs under are fields, like
everything else it carries.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import ClassVar

from commands.idempotency import KeyUse

Fields = Mapping[str, str | None]  # a Cliente's fields by their domain names


@dataclass(frozen=True)
class CreateCliente:
    """Records a new vigente Cliente, claiming its code."""

    name: ClassVar[str] = "create"
    fields: Fields
    actor: str
    key: KeyUse | None = None


@dataclass(frozen=True)
class UpdateCliente:
    """Changes the ``changes`` of a vigente Cliente; the merged result must be valid.
    With ``expected_versions``, only if the Cliente is at one of them."""

    name: ClassVar[str] = "update"
    cliente_id: int
    changes: Fields
    actor: str
    expected_versions: Collection[int] | None = None
    key: KeyUse | None = None


@dataclass(frozen=True)
class DeactivateCliente:
    """Deactivates a vigente Cliente; its code stays taken. With ``expected_versions``,
    only if the Cliente is at one of them."""

    name: ClassVar[str] = "deactivate"
    cliente_id: int
    actor: str
    expected_versions: Collection[int] | None = None
    key: KeyUse | None = None


@dataclass(frozen=True)
class EraseCliente:
    """Erases a Cliente's personal data, vigente or not, for ``reason`` (kept in its
    history: it must hold none). With ``expected_versions``, only if the Cliente is at
    one of them."""

    name: ClassVar[str] = "erase"
    cliente_id: int
    reason: str
    actor: str
    expected_versions: Collection[int] | None = None
    key: KeyUse | None = None


Command = CreateCliente | UpdateCliente | DeactivateCliente | EraseCliente
