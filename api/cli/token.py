"""clientes token: a token signed with the server's secret, for calling the API."""

from __future__ import annotations

import argparse
import sys

from api.http.auth import ERASE, READ, WRITE, mint_token
from api.settings import Settings

SCOPES = (READ, WRITE, ERASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sub", required=True, type=_subject, metavar="NAME", help="the actor the token names"
    )
    parser.add_argument(
        "--scope",
        type=_scopes,
        default=f"{READ} {WRITE}",
        help=f"space-separated, of {', '.join(SCOPES)} ({ERASE} erases personal data)",
    )
    parser.add_argument(
        "--ttl", type=_seconds, default=3600, metavar="SECONDS", help="how long it stays valid"
    )


def run(args: argparse.Namespace) -> int:
    # The secret is the server's: made by `clientes serve`, never here.
    settings = Settings.from_env(make_secret=False)
    if settings.jwt_secret_file is not None:
        print(f"clientes: signed with the secret in {settings.jwt_secret_file}", file=sys.stderr)
    print(mint_token(settings, args.sub, args.scope, args.ttl))
    return 0


def _subject(raw: str) -> str:
    if not raw.strip():
        raise argparse.ArgumentTypeError("must name the actor, not be empty")
    return raw.strip()


def _scopes(raw: str) -> str:
    scopes = raw.split()
    if not scopes:
        raise argparse.ArgumentTypeError(f"must name at least one scope: {', '.join(SCOPES)}")
    if unknown := [scope for scope in scopes if scope not in SCOPES]:
        raise argparse.ArgumentTypeError(
            f"unknown scope {' '.join(unknown)!r}: the scopes are {', '.join(SCOPES)}"
        )
    return " ".join(dict.fromkeys(scopes))


def _seconds(raw: str) -> int:
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number of seconds, not {raw!r}")
    return seconds
