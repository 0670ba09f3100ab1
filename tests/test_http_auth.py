"""Bearer tokens and scopes: who may call what."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from jwt import api_jws
from litestar.testing import TestClient

from api.http.app import create_app
from api.http.auth import READ, WRITE
from api.http.tokens import ClientesToken, TokenRefused, _verified
from api.settings import Settings
from commands import cliente_aggregate_id
from stores import store_from_url
from tests.conftest import SECRET
from tests.reliability import counting
from tests.support import body

Client = TestClient[Any]

_counted = counting(
    __name__,
    "Token battery",
    "Bearer tokens missing, malformed, forged (alg none, other keys, other algorithms), "
    "expired, not yet valid, for another issuer or audience, short of scope.",
    "token cases tried",
)


@pytest.fixture
def sqlite_client(tmp_path: Any) -> Iterator[Client]:
    """Auth does not depend on the store: the embedded one is enough here."""
    settings = Settings(
        store=store_from_url(f"sqlite:///{tmp_path}/auth.sqlite3"),
        jwt_secret=SECRET,
        jwt_issuer="https://id.example.pe",
        jwt_audience="clientes-api",
    )
    with TestClient(create_app(settings)) as client:
        yield client


DAY = 86_400  # tokens are made when the tests are collected: times far enough from then


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "ana",
        "scope": f"{READ} {WRITE}",
        "iat": now,
        "exp": now + DAY,
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
    return jwt.encode(claims(**overrides), "", algorithm="none")


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


def invalid_token(description: str) -> str:
    return f'Bearer error="invalid_token", error_description="{description}"'


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


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assembled(header: Any, signature: bytes = b"not-a-signature") -> str:
    """A token put together by hand: its header given as JSON or as raw bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return ".".join([b64(raw), b64(json.dumps(claims()).encode()), b64(signature)])


def signed_bytes(payload: bytes) -> str:
    """A token correctly signed over any payload, JSON or not."""
    return api_jws.encode(payload, SECRET, algorithm="HS256")


def tampered() -> str:
    header, _, signature = signed().split(".")
    return ".".join([header, b64(json.dumps(claims(sub="root")).encode()), signature])


@pytest.mark.parametrize(
    ("token", "description"),
    [
        ("not.a.jwt", "malformed token"),
        ("onlyonepart", "malformed token"),
        ("two.parts", "malformed token"),
        (assembled(b"{not json"), "malformed token"),
        (assembled(["HS256"]), "malformed token"),
        ("@@@." + signed().split(".", 1)[1], "malformed token"),
        (signed_bytes(b"{not json"), "malformed token"),
        (signed_bytes(b'["sub", "exp"]'), "malformed token"),
        (signed(secret="another-secret-" + "y" * 40), "bad signature"),
        (tampered(), "bad signature"),
        (assembled({"alg": "HS256", "typ": "JWT"}, signature=b""), "bad signature"),
        (signed(algorithm="HS512"), "algorithm not allowed"),
        (unsigned(), "algorithm not allowed"),
        (assembled({"alg": "RS256", "typ": "JWT"}), "algorithm not allowed"),
        (assembled({"typ": "JWT"}), "algorithm not allowed"),
        (signed(exp=int(time.time()) - 60), "expired"),
        (signed(nbf=int(time.time()) + DAY), "not yet valid"),
        (signed(iat=int(time.time()) + DAY), "issued in the future"),
        (signed(exp=None), "missing claim exp"),
        (signed(sub=None), "missing claim sub"),
        (signed(sub=42), "claim sub is not a string"),
        (signed(sub=""), "claim sub is empty"),
        (signed(exp="tomorrow"), "claim exp is not a number"),
        (signed(exp=str(int(time.time()) + 600)), "claim exp is not a number"),
        (signed(exp=True), "claim exp is not a number"),
        (signed(nbf="now"), "claim nbf is not a number"),
        (signed(iat=[1]), "claim iat is not a number"),
        (signed(exp=10**20), "claim exp is out of range"),
        (signed(jti=7), "claim jti is not a string"),
        (signed(iss="https://elsewhere.example"), "wrong issuer"),
        (signed(iss=None), "missing claim iss"),
        (signed(aud="another-api"), "wrong audience"),
        (signed(aud=None), "missing claim aud"),
    ],
    ids=[
        "not-json-parts",
        "one-part",
        "two-parts",
        "header-not-json",
        "header-not-an-object",
        "header-not-base64url",
        "payload-not-json",
        "payload-not-an-object",
        "other-secret",
        "tampered-payload",
        "empty-signature",
        "hs512",
        "alg-none",
        "rs256",
        "no-alg",
        "expired",
        "nbf-in-the-future",
        "iat-in-the-future",
        "no-exp",
        "no-sub",
        "sub-a-number",
        "sub-empty",
        "exp-a-word",
        "exp-a-numeric-string",
        "exp-a-boolean",
        "nbf-a-word",
        "iat-a-list",
        "exp-beyond-year-9999",
        "jti-a-number",
        "wrong-issuer",
        "no-issuer",
        "wrong-audience",
        "no-audience",
    ],
)
def test_a_refused_token_is_401_naming_the_check_that_failed(
    sqlite_client: Client, token: str, description: str
) -> None:
    for method, url in ROUTES:
        response = sqlite_client.request(method, url, headers=bearer(token), json=body())
        assert_refused(response, description, invalid_token(description))


def test_the_scheme_is_case_insensitive(sqlite_client: Client) -> None:
    headers = {"Authorization": f"bearer {signed()}"}
    assert sqlite_client.get("/api/clientes", headers=headers).status_code == 200


def test_a_description_is_always_a_valid_quoted_string() -> None:
    """RFC 6750 allows neither quotes, backslashes nor control characters in it."""
    refused = TokenRefused('say "hi"\\ \r\nSet-Cookie: x=1; café')
    assert refused.headers == {"WWW-Authenticate": invalid_token("say hi Set-Cookie: x=1; caf")}
    assert refused.detail == "say hi Set-Cookie: x=1; caf"


def test_claims_litestar_cannot_read_are_refused_as_invalid() -> None:
    """Without a configured issuer, PyJWT leaves ``iss`` alone; Litestar's Token wants a string."""
    with pytest.raises(TokenRefused) as refused:
        ClientesToken.decode(signed_bytes(json.dumps(claims(iss=7)).encode()), SECRET, "HS256")
    assert refused.value.detail == "invalid claims"


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


def test_a_verified_token_is_refused_once_its_times_say_so(
    sqlite_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verification is remembered per token; its times are checked, and named, at every use."""
    now = time.time()
    token = bearer(signed(iat=int(now) - 100, nbf=int(now) - 50, exp=int(now) + 60))
    assert sqlite_client.get("/api/clientes", headers=token).status_code == 200
    clock = Clock(now)
    monkeypatch.setattr("api.http.tokens.time", clock)
    hits = _verified.cache_info().hits
    for moment, description in [  # past the 30 s of leeway each
        (now + 91, "expired"),
        (now - 81, "not yet valid"),
        (now - 200, "issued in the future"),
    ]:
        clock.now = moment
        response = sqlite_client.get("/api/clientes", headers=token)
        assert_refused(response, description, invalid_token(description))
    clock.now = now + 30
    assert sqlite_client.get("/api/clientes", headers=token).status_code == 200
    assert _verified.cache_info().hits == hits + 4


@pytest.mark.parametrize(
    "times",
    [
        {"iat": 2},
        {"iat": 29, "nbf": 29},
        {"exp": -10},
        {"exp": -29},
    ],
    ids=["iat-2s-ahead", "iat-and-nbf-29s-ahead", "expired-10s-ago", "expired-29s-ago"],
)
def test_token_times_allow_30_seconds_of_clock_skew(
    sqlite_client: Client, times: dict[str, int]
) -> None:
    """The issuer's clock may be up to 30 s ahead of or behind the service's."""
    now = int(time.time())
    token = signed(SECRET, "HS256", **{claim: now + offset for claim, offset in times.items()})
    assert sqlite_client.get("/api/clientes", headers=bearer(token)).status_code == 200


def test_the_leeway_is_configured(tmp_path: Any) -> None:
    """CLIENTES_JWT_LEEWAY=0 allows no skew at all."""
    settings = Settings(
        store=store_from_url(f"sqlite:///{tmp_path}/auth.sqlite3"), jwt_secret=SECRET, jwt_leeway=0
    )
    now = int(time.time())
    with TestClient(create_app(settings)) as client:
        for token, description in [
            (signed(iat=now + 5, iss=None, aud=None), "issued in the future"),
            (signed(exp=now - 5, iss=None, aud=None), "expired"),
        ]:
            response = client.get("/api/clientes", headers=bearer(token))
            assert_refused(response, description, invalid_token(description))


def test_an_authorization_over_8_kib_is_401_unread(sqlite_client: Client) -> None:
    token = signed(padding="x" * 8192)
    response = sqlite_client.get("/api/clientes", headers=bearer(token))
    description = "token too long: an Authorization over 8192 bytes is not read"
    assert_refused(response, description, invalid_token(description))


def test_a_token_without_iat_is_never_issued_in_the_future(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = signed(iat=None)
    assert ClientesToken.decode(token, SECRET, "HS256").sub == "ana"
    monkeypatch.setattr("api.http.tokens.time", Clock(time.time() - 3600))
    assert ClientesToken.decode(token, SECRET, "HS256").sub == "ana"
