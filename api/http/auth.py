"""Bearer JWT authentication (HS256) and the two scopes; the tokens themselves are in tokens.py."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware

from api.http.tokens import ClientesToken, TokenRefused
from api.settings import Settings

ALGORITHM = "HS256"
READ = "clientes:read"
WRITE = "clientes:write"
ERASE = "clientes:erase"
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Actor:
    """Who is calling: the token's subject and the scopes it grants."""

    sub: str
    scopes: frozenset[str]


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, taking the token only from an ``Authorization: Bearer``.

    Token times are checked with ``leeway`` seconds for clock skew; a token longer
    than ``longest`` is refused unread. While a secret is being rotated, a token
    whose signature fails with the current secret is tried with the previous one.
    """

    def __init__(
        self,
        *args: Any,
        previous_secret: str | None = None,
        leeway: float = 0.0,
        longest: int = 8192,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.previous_secret = previous_secret
        self.leeway = leeway
        self.longest = longest

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        try:
            token = self._decode(encoded_token, self.token_secret)
        except TokenRefused as refused:
            if self.previous_secret is None or refused.detail != "bad signature":
                raise
            token = self._decode(encoded_token, self.previous_secret)
        user = await actor_from_token(token, connection)
        return AuthenticationResult(user=user, auth=token)

    def _decode(self, encoded_token: str, secret: str) -> ClientesToken:
        return ClientesToken.decode(
            encoded_token,
            secret,
            self.algorithm,
            audience=self.token_audience,
            issuer=self.token_issuer,
            require_claims=self.require_claims,
            strict_audience=self.strict_audience,
            leeway=self.leeway,
        )

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, credentials = connection.headers.get(self.auth_header, "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            # RFC 6750: no credentials, so a bare challenge (errors.py adds it) and no error code.
            raise NotAuthorizedException("missing bearer token")
        if len(credentials) > self.longest:
            raise TokenRefused(
                f"token too long: an Authorization over {self.longest} bytes is not read"
            )
        return await self.authenticate_token(credentials.strip(), connection)


async def actor_from_token(token: ClientesToken, _: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    scope = token.extras.get("scope")
    return Actor(sub=token.sub, scopes=frozenset(scope.split() if isinstance(scope, str) else ()))


async def require_scope(
    connection: ASGIConnection[Any, Actor, Any, Any], handler: BaseRouteHandler
) -> None:
    """GET needs clientes:read; every other method needs clientes:write, unless the route
    names a scope of its own (``opt={"scope": ...}``, as the erasure does).

    OPTIONS (answered by the framework, with no data) needs no token.
    """
    method = connection.scope.get("method")
    if method == "OPTIONS":
        return
    needed = handler.opt.get("scope") or (READ if method in READ_METHODS else WRITE)
    if needed not in connection.user.scopes:
        challenge = f'Bearer error="insufficient_scope", scope="{needed}"'  # RFC 6750
        raise PermissionDeniedException(
            f"The token lacks the {needed} scope", headers={"WWW-Authenticate": challenge}
        )


@dataclass
class RotatingJWTAuth(JWTAuth[Actor, ClientesToken]):
    """JWTAuth whose middleware also accepts tokens signed with ``previous_secret``, allows
    ``leeway`` seconds of clock skew and reads no token longer than ``longest_token``."""

    previous_secret: str | None = None
    leeway: float = 0.0
    longest_token: int = 8192

    @property
    def middleware(self) -> DefineMiddleware:
        defined = super().middleware
        defined.kwargs.update(
            previous_secret=self.previous_secret, leeway=self.leeway, longest=self.longest_token
        )
        return defined


def jwt_auth(settings: Settings) -> RotatingJWTAuth:
    return RotatingJWTAuth(
        retrieve_user_handler=actor_from_token,
        token_secret=settings.jwt_secret,
        previous_secret=settings.jwt_previous_secret,
        leeway=settings.jwt_leeway,
        longest_token=settings.max_header_line,
        algorithm=ALGORITHM,
        token_cls=ClientesToken,
        authentication_middleware_class=BearerAuthenticationMiddleware,
        accepted_issuers=[settings.jwt_issuer] if settings.jwt_issuer else None,
        accepted_audiences=[settings.jwt_audience] if settings.jwt_audience else None,
        require_claims=["exp", "sub"],
        exclude=["^/schema"],
        exclude_http_methods=["OPTIONS"],  # HEAD is read as GET, and needs the token as GET does
        openapi_security_scheme_name="bearer",
        description=f"A JWT signed with {ALGORITHM}; scopes {READ}, {WRITE} and {ERASE}.",
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
