"""The clientes command: serve, project, replay, token, tail."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack

import psycopg
import uvicorn
from psycopg.conninfo import conninfo_to_dict

from api.auth import READ, WRITE, mint_token
from api.progress_bar import ProgressBar
from api.services import (
    build_projector,
    build_publisher,
    build_services,
    leadership,
    open_store,
)
from api.settings import Settings, SettingsError, Store
from api.tail import add_arguments as add_tail_arguments
from api.tail import tail
from commands import Clientes
from projections import ClientesView, open_view
from projections.replay import BATCH_SIZE, Replay, ReplayResult

logger = logging.getLogger("clientes")


DESCRIPTION = (
    "The client registry: serve the API, run the projectors, rebuild the read table, "
    "print a token, follow the stream of events. Settings come from the CLIENTES_* "
    "environment variables (README.md, Configuration)."
)


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
    except SettingsError as error:
        print(f"clientes: {error}", file=sys.stderr)
        return 2
    return code


def parser() -> argparse.ArgumentParser:
    """The command line: each command's options, and the function that runs it."""
    root = argparse.ArgumentParser(
        prog="clientes", description=DESCRIPTION, formatter_class=HelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)

    def command(
        name: str, summary: str, run: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        description = f"{summary[0].upper()}{summary[1:]}."
        sub = commands.add_parser(
            name, help=summary, description=description, formatter_class=HelpFormatter
        )
        sub.set_defaults(run=run)
        return sub

    serve_parser = command("serve", "run the API (and the projector)", serve)
    serve_parser.add_argument(
        "--host", help="listen address (default: CLIENTES_HOST, else 127.0.0.1)"
    )
    serve_parser.add_argument(
        "--port", type=int, help="listen port (default: CLIENTES_PORT, else 8000)"
    )
    serve_parser.add_argument("--workers", type=int, default=1, help="worker processes")
    serve_parser.add_argument(
        "--access-log", action="store_true", help="log every request (costs throughput)"
    )
    serve_parser.add_argument(
        "--no-projector",
        action="store_true",
        help="do not run the projector in the API processes (run clientes project)",
    )

    command("project", "run the projector alone", project)

    replay_parser = command(
        "replay", "rebuild the read table from the events, then swap it in", replay
    )
    replay_parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a scratch table and report every difference, without swapping "
        "(exit status 1 if there is any)",
    )
    replay_parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help="events read and written at a time"
    )

    token_parser = command("token", "print a token signed with the secret", token)
    token_parser.add_argument(
        "--sub", required=True, type=_subject, metavar="NAME", help="the actor the token names"
    )
    token_parser.add_argument(
        "--scope",
        type=_scopes,
        default=f"{READ} {WRITE}",
        help=f"space-separated: {READ}, {WRITE} or both",
    )
    token_parser.add_argument(
        "--ttl", type=_seconds, default=3600, metavar="SECONDS", help="how long it stays valid"
    )

    add_tail_arguments(
        command("tail", "print the events of the Redis stream, read through a consumer group", tail)
    )

    return root


def usable_settings(*, with_secret: bool = True) -> Settings:
    """The settings, once the store they name is known to be usable."""
    settings = Settings.from_env(with_secret=with_secret)
    check_store(settings.store)
    return settings


def check_store(store: Store) -> None:
    """Raises SettingsError, in one line naming what to fix, when the store cannot be used.

    The store's own errors would otherwise surface, later, as long tracebacks.
    """
    if store.sqlite_path is not None:
        try:
            store.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SettingsError(
                f"CLIENTES_DATABASE_URL: cannot create the directory {error.filename} "
                f"for {store.sqlite_path}: {error.strerror}"
            ) from None
        return
    params = conninfo_to_dict(store.conninfo)
    where = f"database {params['dbname']} at {params['host']}:{params['port']}"
    try:
        with psycopg.connect(store.conninfo, connect_timeout=5) as conn:
            query = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
            found = conn.execute(query, (store.schema,)).fetchone()
    except psycopg.OperationalError as error:
        raise SettingsError(
            f"CLIENTES_DATABASE_URL: cannot connect to PostgreSQL {where}: {_reason(error)}"
        ) from None
    if found is None:
        raise SettingsError(
            f"CLIENTES_DATABASE_SCHEMA: there is no schema {store.schema!r} in {where}; "
            f'create it (CREATE SCHEMA "{store.schema}") or name one that exists'
        )


def _reason(error: psycopg.OperationalError) -> str:
    """The gist of a connection error, in one line: "Connection refused", ..."""
    first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
    gist = first_line.rpartition(" failed: ")[2].removeprefix("FATAL:")
    return " ".join(gist.split())


def serve(args: argparse.Namespace) -> int:
    settings = usable_settings()
    if args.no_projector:
        # Workers are separate processes that read their settings from the environment.
        os.environ["CLIENTES_PROJECTOR"] = "off"
    # Create the tables once, here, rather than in racing workers.
    build_services(settings, projector=False).close()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=args.access_log,
        timeout_graceful_shutdown=5,
    )
    return 0


def project(_: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = usable_settings(with_secret=False)
    clientes, view = open_store(settings.store)
    projector = build_projector(settings.store, clientes, view)
    resources = ExitStack()
    publisher = build_publisher(settings, clientes, resources)
    runners = [projector] if publisher is None else [projector, publisher]
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    for runner in runners:
        runner.start()
    if publisher is not None:
        logger.info("Publishing to the Redis stream %s", settings.redis_stream)
    logger.info("Projector running; stop it with Ctrl-C or SIGTERM")
    stop.wait()
    for runner in runners:
        runner.stop()
    resources.close()
    clientes.close()
    view.close()
    return 0


def replay(args: argparse.Namespace) -> int:
    settings = usable_settings(with_secret=False)
    clientes, live = open_store(settings.store)
    one_at_a_time = leadership(settings.store, clientes, "replay")
    try:
        # Taken before anything is created: the scratch table is one replay's alone.
        if not one_at_a_time.acquire():
            print("clientes: another replay is running on this store", file=sys.stderr)
            return 2
        result = _replay(args, settings.store, clientes, live)
    finally:
        one_at_a_time.release()
        live.close()
        clientes.close()
    done = "compared with" if args.check else "swapped in for"
    print(
        f"Rebuilt from {result.events:,} events in {result.seconds:.1f} s "
        f"({result.rate:,.0f} events/s); {done} the live table at position {result.position}"
    )
    for difference in result.differences:
        print(f"  {difference}")
    if args.check:
        print(f"{len(result.differences)} difference(s)")
    return 1 if result.differences else 0


def _replay(
    args: argparse.Namespace, store: Store, clientes: Clientes, live: ClientesView
) -> ReplayResult:
    """Rebuilds (or checks) the read table; the caller holds the one-replay lock."""
    scratch = open_view(
        store.env, table_name="clientes_check" if args.check else "clientes_rebuild"
    )
    bar = ProgressBar()
    job = Replay(
        clientes.recorder,
        clientes.mapper,
        clientes.name,
        live,
        scratch,
        batch_size=args.batch_size,
        on_progress=bar.update,
    )
    try:
        return job.check() if args.check else job.rebuild()
    finally:
        bar.finish()
        scratch.close()


def token(args: argparse.Namespace) -> int:
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
        raise argparse.ArgumentTypeError(f"must name at least one scope: {READ} or {WRITE}")
    if unknown := [scope for scope in scopes if scope not in (READ, WRITE)]:
        raise argparse.ArgumentTypeError(
            f"unknown scope {' '.join(unknown)!r}: the scopes are {READ} and {WRITE}"
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


if __name__ == "__main__":
    sys.exit(main())
