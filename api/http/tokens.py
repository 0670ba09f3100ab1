"""Verifying a bearer token, and saying which check it failed.

Each refusal names the check in words a client can act on (``expired``,
``bad signature``, ``missing claim exp``, ...), in the 401's detail and in its
``WWW-Authenticate: Bearer error="invalid_token", error_description=...``.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import jwt
from litestar.exceptions import ImproperlyConfiguredException, NotAuthorizedException
from litestar.security.jwt import Token

# What RFC 6750 lets an error_description hold: printable ASCII but for " and \.
NOT_QUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class TokenRefused(NotAuthorizedException):
    """A 401 naming the check the bearer token failed, in ``detail`` and in the challenge.

    The description becomes RFC 6750's ``error_description``, so it keeps to the
    characters that a quoted-string there may hold.
    """

    def __init__(self, description: str) -> None:
        description = NOT_QUOTABLE.sub("", description)
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        super().__init__(detail=description, headers={"WWW-Authenticate": challenge})


def too_long(most: int) -> TokenRefused:
    """The refusal of an Authorization longer than ``most`` bytes, which is not read."""
    return TokenRefused(f"token too long: an Authorization over {most} bytes is not read")


# PyJWT's refusals, by exception class; the nearest class in the MRO names the check.
REFUSALS: Mapping[type[Exception], str] = {
    jwt.InvalidAlgorithmError: "algorithm not allowed",
    jwt.InvalidSignatureError: "bad signature",
    jwt.DecodeError: "malformed token",
    jwt.InvalidIssuerError: "wrong issuer",
    jwt.InvalidAudienceError: "wrong audience",
    jwt.exceptions.InvalidSubjectError: "claim sub is not a string",
    jwt.exceptions.InvalidJTIError: "claim jti is not a string",
    jwt.InvalidTokenError: "invalid token",
}

# The times are left to Validity, which checks them at every use, cached or not.
UNTIMED = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
TIMES = {"iat": "issued_at", "nbf": "not_before", "exp": "expires"}  # claim: Validity field
# The NumericDates a datetime can hold (years 1 to 9999), as Litestar's Token needs.
EARLIEST, LATEST = -62_135_596_800, 253_402_300_799


def refusal(error: jwt.InvalidTokenError) -> TokenRefused:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return TokenRefused(f"missing claim {error.claim}")
    return TokenRefused(next(REFUSALS[kind] for kind in type(error).__mro__ if kind in REFUSALS))


@dataclass(frozen=True)
class Validity:
    """When a token may be used: from ``iat`` and ``nbf`` (inclusive) until ``exp``.

    Whole seconds, as PyJWT reads them; the checks run in PyJWT's order.
    """

    issued_at: int | float = float("-inf")
    not_before: int | float = float("-inf")
    expires: int | float = float("inf")

    @classmethod
    def of(cls, claims: Mapping[str, Any]) -> Validity:
        present = (name for name in TIMES if name in claims)
        return cls(**{TIMES[name]: _seconds(claims, name) for name in present})

    def check(self, now: float, leeway: float = 0.0) -> None:
        """Raises TokenRefused unless the token may be used at ``now``, give or take
        ``leeway`` seconds of the issuer's clock being ahead or behind ours."""
        if self.issued_at > now + leeway:
            raise TokenRefused("issued in the future")
        if self.not_before > now + leeway:
            raise TokenRefused("not yet valid")
        if self.expires <= now - leeway:
            raise TokenRefused("expired")


def _seconds(claims: Mapping[str, Any], name: str) -> int:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f"claim {name} is not a number")
    if not EARLIEST <= value <= LATEST:
        raise TokenRefused(f"claim {name} is out of range")
    return int(value)


class ClientesToken(Token):
    """Litestar's Token, saying which check a refused token failed.

    PyJWT checks the form, algorithm, signature and claims; Validity checks the
    times, always, with the leeway the service allows for clock skew
    (``verify_exp`` and ``verify_nbf`` are never turned off here).
    """

    def __post_init__(self) -> None:
        """Litestar's checks but the times, which Validity makes with their leeway
        (Litestar's own refuse an iat a second ahead of this clock)."""
        if not self.sub:
            raise ImproperlyConfiguredException("sub must be a string with a length greater than 0")
        self.exp, self.iat = (moment.astimezone(UTC) for moment in (self.exp, self.iat))

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
        """The verified payload; an ``iat`` is optional, as the contract has it.

        Litestar's Token requires ``iat``: a token without one is read as issued
        at the epoch, which no check of its times can then fault.
        """
        untimed: Any = {**(options or {}), **UNTIMED}
        try:
            payload = super().decode_payload(
                encoded_token, secret, algorithms, issuer, audience, untimed
            )
        except jwt.InvalidTokenError as error:
            raise refusal(error) from None
        Validity.of(payload)  # refuses times that are not numbers; decode() checks them
        if payload.get("sub") == "":
            raise TokenRefused("claim sub is empty")
        payload.setdefault("iat", 0)
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
        leeway: float = 0.0,
    ) -> ClientesToken:
        """Verifies a token once per process; each later use only checks its times again,
        with ``leeway`` seconds for clock skew.

        Clients send the same token with many requests, and verifying it (base64,
        JSON, HMAC, claims) costs more than the rest of reading a Cliente.
        """
        token, validity = _verified(
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
        validity.check(time.time(), leeway)
        return token


def _frozen(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


@functools.lru_cache(maxsize=4096)
def _verified(
    encoded_token: str, secret: str, algorithm: str, *options: Any
) -> tuple[ClientesToken, Validity]:
    """A token verified by Litestar, with the times between which it is valid.

    A token that fails verification raises, and nothing is cached for it.
    """
    audience, issuer, require_claims, verify_exp, verify_nbf, strict_audience = options
    try:
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
    except TokenRefused:
        raise
    except NotAuthorizedException:
        # Litestar's own reading of the claims (an iss or aud of another type) refused it.
        raise TokenRefused("invalid claims") from None
    times = {**token.extras, "iat": token.iat.timestamp(), "exp": token.exp.timestamp()}
    return token, Validity.of(times)
