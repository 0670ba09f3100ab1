"""What is measured: each scenario, its sides, the wrk script of each, and when it runs."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.load import Load
from bench.seed import REPRESENTANTES, codigo, datos

SERVICE, BASELINE = "service", "baseline"  # the servers, and the sides of most cells
KEYED, PLAIN = "keyed", "plain"  # the sides of the Idempotency-Key pairs, both the service's
PAGE_SIZE = 20
SEARCH_CONNECTIONS = (8,)
SEARCH_TERMS = ("hua", "nunez", "quispe", "mamani", "chavez", "rosa")


@dataclass(frozen=True)
class Dataset:
    """The seeded Clientes a phase of the run works on: ids 1..``last_id`` are vigente
    and ``size`` is how many vigente Clientes there are."""

    size: int
    last_id: int
    workdir: Path

    @property
    def pages(self) -> int:
        return max(1, self.size // PAGE_SIZE)

    def paths_file(self, name: str, paths: list[str]) -> str:
        path = self.workdir / f"{name}.paths"
        path.write_text("".join(f"{p}\n" for p in paths))
        return str(path)


Loading = Callable[[Dataset], Load]


@dataclass(frozen=True)
class Side:
    """One side of a cell: its name, the server it loads and how (a new Load per window:
    a create's codes are its own)."""

    name: str
    server: str
    load: Loading


@dataclass(frozen=True)
class Scenario:
    name: str
    sides: tuple[Side, ...]
    when: str = "first"  # the sizes it runs at: the "first", "every" one, the "last"
    connections: tuple[int, ...] | None = None  # None: the run's
    pairs: bool = False  # sampled in the run's number of alternating pairs, not ABBA blocks

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.name.lower()).strip("-")


def _body(prefix: str) -> bytes:
    return json.dumps(
        {
            "codigoCliente": f"{prefix}-probe",
            "nombre": "Cliente de prueba",
            "tipoCliente": "EMPRESA",
            "tipoDocumento": "RUC",
            "numeroDocumento": "20123456789",
        }
    ).encode()


def _prefix() -> str:
    return f"B{uuid.uuid4().hex[:10]}"


def create(idempotent: bool) -> Loading:
    def load(data: Dataset) -> Load:
        prefix = _prefix()
        args = (prefix, "idempotent") if idempotent else (prefix,)
        return Load("create.lua", args, ("POST", "/api/clientes", _body(prefix)))

    return load


def update(data: Dataset) -> Load:
    probe = ("PATCH", "/api/clientes/1", b'{"direccion":"Av. Sonda 1"}')
    return Load("cliente.lua", (str(data.last_id), "update"), probe)


def read(data: Dataset) -> Load:
    return Load("cliente.lua", (str(data.last_id),), ("GET", "/api/clientes/1", b""))


def list_first(data: Dataset) -> Load:
    return Load("list.lua", ("0", "0"))


def list_deep(data: Dataset) -> Load:
    return Load("list.lua", (str(data.pages // 2), str(data.pages - 1)))


def mix(data: Dataset) -> Load:
    return Load("mix.lua", (str(data.last_id), _prefix()), ("GET", "/api/clientes/1", b""))


def search(
    parameter: str, values: Callable[[Dataset], list[str]], *, common: bool = False
) -> Loading:
    """GETs of the list filtered by ``parameter``, one of ``values`` at random. The
    ``common`` terms are each asked twice before the window: the table keeps the count
    of a common term once asked, and the window measures that steady state."""

    def load(data: Dataset) -> Load:
        paths = [f"/api/clientes?{urlencode({parameter: value})}" for value in values(data)]
        args = (data.paths_file(f"{parameter}-{uuid.uuid4().hex[:6]}", paths),)
        return Load(
            "paths.lua",
            args,
            ("GET", paths[0], b""),
            filters=True,
            asked_first=tuple(paths) if common else (),
        )

    return load


def _picked(data: Dataset, having: Callable[[int], bool]) -> list[int]:
    """Up to 500 seeded ids at random, of those ``having`` holds for."""
    found: list[int] = []
    for n in random.sample(range(1, data.last_id + 1), min(5000, data.last_id)):
        if having(n):
            found.append(n)
        if len(found) == 500:
            break
    return found or [1]


def _field(data: Dataset, name: str) -> list[str]:
    return [str(datos(n)[name]) for n in _picked(data, lambda n: datos(n)[name] is not None)]


def _email_starts(data: Dataset) -> list[str]:
    """The start of an e-mail, up to its "@": few Clientes share one."""
    return [e.split("@")[0] + "@" for e in _field(data, "email")]


def _phone_digits(data: Dataset) -> list[str]:
    """Eight digits of a phone, written as a person types them: "1234 5678"."""
    digits = ["".join(c for c in phone if c.isdigit())[-8:] for phone in _field(data, "telefono")]
    return [f"{d[:4]} {d[4:]}" for d in digits]


def _codigos(data: Dataset) -> list[str]:
    return [codigo(n) for n in _picked(data, lambda n: True)]


def _pair(load: Loading) -> tuple[Side, Side]:
    return Side(SERVICE, SERVICE, load), Side(BASELINE, BASELINE, load)


def _searching(
    name: str, parameter: str, values: Callable[[Dataset], list[str]], *, common: bool = False
) -> Scenario:
    return Scenario(
        name,
        (Side(SERVICE, SERVICE, search(parameter, values, common=common)),),
        when="last",
        connections=SEARCH_CONNECTIONS,
    )


SCENARIOS = (
    Scenario("create", _pair(create(idempotent=False))),
    Scenario(
        "create with Idempotency-Key",
        (Side(KEYED, SERVICE, create(idempotent=True)), Side(PLAIN, SERVICE, create(False))),
        pairs=True,
    ),
    Scenario("partial update (PATCH)", _pair(update)),
    Scenario("GET by id", _pair(read), when="every"),
    Scenario("list first page", _pair(list_first), when="every"),
    Scenario("list deep page", _pair(list_deep), when="every"),
    Scenario("90/10 read/write mix", _pair(mix)),
    _searching("search q", "q", lambda data: list(SEARCH_TERMS), common=True),
    _searching(
        "search q in contactoRepresentante", "q", lambda data: list(REPRESENTANTES), common=True
    ),
    _searching("search q at the start of the email", "q", _email_starts),
    _searching("search q in the telefono's digits", "q", _phone_digits),
    _searching("search codigoCliente", "codigoCliente", _codigos),
    _searching(
        "search numeroDocumento", "numeroDocumento", lambda d: _field(d, "numero_documento")
    ),
    _searching("search tipoCliente", "tipoCliente", lambda d: ["PERSONA", "EMPRESA", "OTRO"]),
    _searching("search tipoDocumento", "tipoDocumento", lambda d: ["RUC", "DNI", "CE", "OTRO"]),
)


def runs_at(scenario: Scenario, index: int, sizes: int) -> bool:
    """Whether ``scenario`` runs at the ``index``-th of ``sizes`` sizes."""
    first, last = index == 0, index == sizes - 1
    return scenario.when == "every" or (first if scenario.when == "first" else last)


def by_slug(slugs: str) -> tuple[Scenario, ...]:
    """The scenarios named by their comma-separated slugs; every one when empty."""
    if not slugs:
        return SCENARIOS
    wanted = slugs.split(",")
    unknown = set(wanted) - {s.slug for s in SCENARIOS}
    if unknown:
        raise ValueError(f"no scenario {sorted(unknown)}; there are {[s.slug for s in SCENARIOS]}")
    return tuple(s for s in SCENARIOS if s.slug in wanted)
