"""What is measured: each scenario, the wrk script that makes its requests, and when it runs."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.load import Load
from bench.seed import codigo, datos

SERVICE, BASELINE = "service", "baseline"
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


@dataclass(frozen=True)
class Scenario:
    name: str
    load: Callable[[Dataset], Load]
    when: str = "first"  # the sizes it runs at: the "first", "every" one, the "last"
    targets: tuple[str, ...] = (SERVICE, BASELINE)
    connections: tuple[int, ...] | None = None  # None: the run's
    lag: bool = False  # measure the projection lag while it runs

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


def create(idempotent: bool) -> Callable[[Dataset], Load]:
    def load(data: Dataset) -> Load:
        prefix = _prefix()
        args = (prefix, "idempotent") if idempotent else (prefix,)
        return Load("create.lua", args, ("POST", "/api/clientes", _body(prefix)))

    return load


def update(data: Dataset) -> Load:
    probe = ("PATCH", "/api/clientes/1", b'{"telefono":null}')
    return Load("cliente.lua", (str(data.last_id), "update"), probe)


def read(data: Dataset) -> Load:
    return Load("cliente.lua", (str(data.last_id),), ("GET", "/api/clientes/1", b""))


def list_first(data: Dataset) -> Load:
    return Load("list.lua", ("0", "0"))


def list_deep(data: Dataset) -> Load:
    return Load("list.lua", (str(data.pages // 2), str(data.pages - 1)))


def mix(data: Dataset) -> Load:
    return Load("mix.lua", (str(data.last_id), _prefix()), ("GET", "/api/clientes/1", b""))


def search(parameter: str, values: Callable[[Dataset], list[str]]) -> Callable[[Dataset], Load]:
    def load(data: Dataset) -> Load:
        paths = [f"/api/clientes?{urlencode({parameter: value})}" for value in values(data)]
        args = (data.paths_file(parameter, paths),)
        return Load(
            "paths.lua",
            args,
            ("GET", paths[0], b""),
            fewer_than=data.size,
            asked_first=tuple(paths) if parameter == "q" else (),
        )

    return load


def _sample(data: Dataset, field: str) -> list[str]:
    picked = random.sample(range(1, data.last_id + 1), min(500, data.last_id))
    return [codigo(n) if field == "codigo_cliente" else str(datos(n)[field]) for n in picked]


def _searching(name: str, parameter: str, values: Callable[[Dataset], list[str]]) -> Scenario:
    return Scenario(
        name,
        search(parameter, values),
        when="last",
        targets=(SERVICE,),
        connections=SEARCH_CONNECTIONS,
    )


SCENARIOS = (
    Scenario("create", create(idempotent=False)),
    Scenario("create with Idempotency-Key", create(idempotent=True), targets=(SERVICE,)),
    Scenario("partial update (PATCH)", update),
    Scenario("GET by id", read),
    Scenario("list first page", list_first, when="every"),
    Scenario("list deep page", list_deep, when="every"),
    Scenario("90/10 read/write mix", mix, lag=True),
    _searching("search q", "q", lambda data: list(SEARCH_TERMS)),
    _searching("search codigoCliente", "codigoCliente", lambda d: _sample(d, "codigo_cliente")),
    _searching(
        "search numeroDocumento", "numeroDocumento", lambda d: _sample(d, "numero_documento")
    ),
    _searching("search tipoCliente", "tipoCliente", lambda d: ["PERSONA", "EMPRESA", "OTRO"]),
    _searching("search tipoDocumento", "tipoDocumento", lambda d: ["RUC", "DNI", "CE", "OTRO"]),
)


def runs_at(scenario: Scenario, index: int, sizes: int) -> bool:
    """Whether ``scenario`` runs at the ``index``-th of ``sizes`` sizes."""
    first, last = index == 0, index == sizes - 1
    return scenario.when == "every" or (first if scenario.when == "first" else last)
