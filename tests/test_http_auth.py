"""Bearer tokens and scopes: who may call what."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException
from litestar.testing import TestClient

from api.app import create_app
from api.auth import READ, WRITE, ClientesToken
from api.settings import Settings, Store
from commands import cliente_aggregate_id
from tests.conftest import SECRET
from tests.support import body

Client = TestClient[Any]


@pytest.fixture
def sqlite_client(tmp_path: Any) -> Iterator[Client]:
    """Auth does not depend on the store: the embedded one is enough here."""
    settings = Settings(
        store=Store.from_url(f"sqlite:///{tmp_path}/auth.sqlite3"),
        jwt_secret=SECRET,
        jwt_issuer="https://id.example.pe",
        jwt_audience="clientes-api",
    )
    with TestClient(create_app(settings)) as client:
        yield client


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "ana",
        "scope": f"{READ} {WRITE}",
        "iat": now,
        "exp": now + 600,
        "iss": "https://id.example.pe",
        "aud": "clientes-api",
        **overrides,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(secret: str = SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    payload = {k: v for k, v in claims(**overrides).items() if v is not None}
    return jwt.encode(payload, secret, algorithm=algorithm)


def unsigned(**overrides: Any) -> str:
    """A token with ``alg: none``, which must never be accepted."""
    return jwt.encode(claims(**overrides), None, algorithm="none")


def test_a_well_formed_token_is_accepted(sqlite_client: Client) -> None:
    assert sqlite_client.get("/api/clientes", headers=bearer(signed())).status_code == 200


def test_iat_is_optional(sqlite_client: Client) -> None:
    assert sqlite_client.get("/api/clientes", headers=bearer(signed(iat=None))).status_code == 200


ROUTES = [
    ("GET", "/api/clientes"),
    ("POST", "/api/clientes"),
    ("GET", "/api/clientes/1"),
    ("DELETE", "/api/clientes/1"),
]


def assert_refused(response: Any, detail: str, challenge: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == challenge
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer   "},
        {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        {"Authorization": f"Token {signed()}"},
        {"Authorization": signed()},
    ],
    ids=["missing", "empty", "bearer-alone", "bearer-blank", "basic", "other-scheme", "no-scheme"],
)
def test_without_a_bearer_token_the_challenge_is_bare(
    sqlite_client: Client, headers: dict[str, str]
) -> None:
    """RFC 6750: a request that sent no bearer credentials gets no error code."""
    for method, url in ROUTES:
        response = sqlite_client.request(method, url, headers=headers, json=body())
        assert_refused(response, "missing bearer token", "Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not.a.jwt"},
        bearer(signed(secret="another-secret-" + "y" * 40)),
        bearer(signed(exp=int(time.time()) - 10)),
        bearer(signed(nbf=int(time.time()) + 300)),
        bearer(signed(iat=int(time.time()) + 300)),
        bearer(signed(sub=None)),
        bearer(signed(exp=None)),
        bearer(signed(iss="https://elsewhere.example")),
        bearer(signed(aud="another-api")),
        bearer(signed(algorithm="HS512")),
        bearer(unsigned()),
    ],
    ids=[
        "malformed",
        "bad-signature",
        "expired",
        "not-yet-valid-nbf",
        "issued-in-the-future",
        "no-sub",
        "no-exp",
        "wrong-issuer",
        "wrong-audience",
        "other-algorithm",
        "alg-none",
    ],
)
def test_a_missing_or_invalid_token_is_401_with_a_bearer_challenge(
    sqlite_client: Client, headers: dict[str, str]
) -> None:
    for method, url in [
        ("GET", "/api/clientes"),
        ("POST", "/api/clientes"),
        ("GET", "/api/clientes/1"),
        ("DELETE", "/api/clientes/1"),
    ]:
        response = sqlite_client.request(method, url, headers=headers, json=body())
        assert response.status_code == 401, (method, url, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


def test_the_scheme_is_case_insensitive(sqlite_client: Client) -> None:
    headers = {"Authorization": f"bearer {signed()}"}
    assert sqlite_client.get("/api/clientes", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("scope", "method", "url"),
    [
        (READ, "POST", "/api/clientes"),
        (READ, "PUT", "/api/clientes/1"),
        (READ, "PATCH", "/api/clientes/1"),
        (READ, "DELETE", "/api/clientes/1"),
        (WRITE, "GET", "/api/clientes"),
        (WRITE, "GET", "/api/clientes/1"),
        ("", "GET", "/api/clientes"),
        ("clientes:admin", "POST", "/api/clientes"),
    ],
)
def test_a_token_without_the_needed_scope_is_403(
    sqlite_client: Client, scope: str, method: str, url: str
) -> None:
    response = sqlite_client.request(method, url, headers=bearer(signed(scope=scope)), json=body())
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_read_and_write_scopes_each_open_their_methods(sqlite_client: Client) -> None:
    writer = bearer(signed(scope=WRITE))
    reader = bearer(signed(scope=READ))
    created = sqlite_client.post("/api/clientes", json=body(), headers=writer)
    assert created.status_code == 201
    assert sqlite_client.get(created.headers["location"], headers=reader).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/ready", "/schema/openapi.json", "/schema"])
def test_health_readiness_and_the_api_description_are_public(
    sqlite_client: Client, path: str
) -> None:
    assert sqlite_client.get(path).status_code == 200


def test_the_actor_recorded_is_the_token_subject(sqlite_client: Client) -> None:
    response = sqlite_client.post(
        "/api/clientes", json=body(), headers=bearer(signed(sub="auditora-7"))
    )
    clientes = sqlite_client.app.state.services.clientes
    stored = clientes.events.get(cliente_aggregate_id(response.json()["id"]))
    assert [event.actor for event in stored] == ["auditora-7"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_verified_token_is_still_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification is remembered per token; its validity times are checked at every use."""
    now = time.time()
    token = signed(exp=int(now) + 60, nbf=int(now) - 1)
    assert ClientesToken.decode(token, SECRET, "HS256").sub == "ana"
    clock = Clock(now + 61)
    monkeypatch.setattr("api.auth.time", clock)
    with pytest.raises(NotAuthorizedException):
        ClientesToken.decode(token, SECRET, "HS256")
    clock.now = now - 10
    with pytest.raises(NotAuthorizedException):
        ClientesToken.decode(token, SECRET, "HS256")
    clock.now = now + 30
    assert ClientesToken.decode(token, SECRET, "HS256").sub == "ana"
