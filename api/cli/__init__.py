"""The clientes command: serve, project, replay, token, tail, config, forget-keys,
encrypt-history."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version

from api.cli import config, encrypt_history, forget_keys, project, replay, serve, tail, token
from api.settings import ConfigError
from stores import StoreUnusable

DESCRIPTION = (
    "The client registry: serve the API, run the projectors, rebuild the read table, "
    "print a token, follow the stream of events, forget expired idempotency keys. "
    "Settings come from the CLIENTES_* environment variables (README.md, Configuration)."
)
Command = Callable[[argparse.Namespace], int]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, unless it has none or its help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"clientes: {problem}", file=sys.stderr)
        return 2
    except StoreUnusable as error:
        print(f"clientes: {error}", file=sys.stderr)
        return 2
    return code


def parser() -> argparse.ArgumentParser:
    """The command line: each command's options, and the function that runs it."""
    root = argparse.ArgumentParser(
        prog="clientes", description=DESCRIPTION, formatter_class=HelpFormatter
    )
    root.add_argument(
        "--version",
        action="version",
        version=f"clientes {version('clientes')}",
        help="print the release (CHANGELOG.md) and exit",
    )
    commands = root.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str, run: Command) -> argparse.ArgumentParser:
        description = f"{summary[0].upper()}{summary[1:]}."
        sub = commands.add_parser(
            name, help=summary, description=description, formatter_class=HelpFormatter
        )
        sub.set_defaults(run=run)
        return sub

    serve.add_arguments(command("serve", "run the API (and the projector)", serve.run))
    project.add_arguments(command("project", "run the projector alone", project.run))
    replay.add_arguments(
        command("replay", "rebuild the read table from the events, then swap it in", replay.run)
    )
    token.add_arguments(command("token", "print a token signed with the secret", token.run))
    tail.add_arguments(
        command(
            "tail", "print the events of the Redis stream, read through a consumer group", tail.run
        )
    )
    command("config", "print the effective configuration, secrets masked", config.run)
    encrypt_history.add_arguments(
        command(
            "encrypt-history",
            "seal the personal values that a release before encryption stored in clear",
            encrypt_history.run,
        )
    )
    forget_keys.add_arguments(
        command(
            "forget-keys",
            "delete the answers kept for idempotency keys that expired over an hour ago",
            forget_keys.run,
        )
    )
    return root


if __name__ == "__main__":
    sys.exit(main())
