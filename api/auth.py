"""Bearer JWT authentication (HS256) and the two scopes."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from api.settings import Settings

ALGORITHM = "HS256"
READ = "clientes:read"
WRITE = "clientes:write"
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Actor:
    """Who is calling: the token's subject and the scopes it grants."""

    sub: str
    scopes: frozenset[str]


class ClientesToken(Token):
    """Litestar's Token, with ``iat`` optional as the contract has it.

    Litestar's Token requires ``iat``; PyJWT has already checked it when
    present (a future ``iat`` is refused). A token without one is read as
    issued now, which no check can then fault.
    """

    @classmethod
    def decode_payload(
        cls,
        encoded_token: str,
        secret: str,
        algorithms: list[str],
        issuer: str | Sequence[str] | None = None,
        audience: str | Sequence[str] | None = None,
        options: Any = None,
    ) -> Any:
        payload = super().decode_payload(
            encoded_token, secret, algorithms, issuer, audience, options
        )
        payload.setdefault("iat", int(time.time()))
        return payload

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: str | Sequence[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        require_claims: Sequence[str] | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> ClientesToken:
        """Verifies a token once per process; each later use only checks its times again.

        Clients send the same token with many requests, and verifying it (base64,
        JSON, HMAC, claims) costs more than the rest of reading a Cliente.
        """
        token, not_before, expires = _verified(
            encoded_token,
            secret,
            algorithm,
            _frozen(audience),
            _frozen(issuer),
            _frozen(require_claims),
            verify_exp,
            verify_nbf,
            strict_audience,
        )
        if not not_before <= time.time() < expires:
            raise NotAuthorizedException("Invalid token")
        return token


def _frozen(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


@functools.lru_cache(maxsize=4096)
def _verified(
    encoded_token: str, secret: str, algorithm: str, *options: Any
) -> tuple[ClientesToken, float, float]:
    """A token verified by Litestar, with the times between which it is valid.

    A token that fails verification raises, and nothing is cached for it.
    """
    audience, issuer, require_claims, verify_exp, verify_nbf, strict_audience = options
    token = super(ClientesToken, ClientesToken).decode(
        encoded_token,
        secret,
        algorithm,
        audience,
        issuer,
        require_claims,
        verify_exp,
        verify_nbf,
        strict_audience,
    )
    # As PyJWT judges them: valid from nbf (inclusive) until exp (exclusive).
    not_before = float(token.extras.get("nbf", float("-inf")))
    return token, not_before, token.exp.timestamp()


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, taking the token only from an ``Authorization: Bearer``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, credentials = connection.headers.get(self.auth_header, "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            # RFC 6750: no credentials, so a bare challenge (errors.py adds it) and no error code.
            raise NotAuthorizedException("missing bearer token")
        return await self.authenticate_token(credentials.strip(), connection)


async def actor_from_token(token: ClientesToken, _: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    scope = token.extras.get("scope")
    return Actor(sub=token.sub, scopes=frozenset(scope.split() if isinstance(scope, str) else ()))


async def require_scope(
    connection: ASGIConnection[Any, Actor, Any, Any], _: BaseRouteHandler
) -> None:
    """GET needs clientes:read; every other method needs clientes:write.

    OPTIONS (answered by the framework, with no data) needs no token.
    """
    method = connection.scope.get("method")
    if method == "OPTIONS":
        return
    needed = READ if method in READ_METHODS else WRITE
    if needed not in connection.user.scopes:
        raise PermissionDeniedException(f"The token lacks the {needed} scope")


def jwt_auth(settings: Settings) -> JWTAuth[Actor, ClientesToken]:
    return JWTAuth[Actor, ClientesToken](
        retrieve_user_handler=actor_from_token,
        token_secret=settings.jwt_secret,
        algorithm=ALGORITHM,
        token_cls=ClientesToken,
        authentication_middleware_class=BearerAuthenticationMiddleware,
        accepted_issuers=[settings.jwt_issuer] if settings.jwt_issuer else None,
        accepted_audiences=[settings.jwt_audience] if settings.jwt_audience else None,
        require_claims=["exp", "sub"],
        exclude=["^/schema"],
        openapi_security_scheme_name="bearer",
        description=f"A JWT signed with {ALGORITHM}; scopes {READ} and {WRITE}.",
    )


def mint_token(settings: Settings, sub: str, scope: str, ttl: int) -> str:
    """A token signed with the configured secret, as ``clientes token`` prints it."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "scope": scope, "iat": now, "exp": now + ttl}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
