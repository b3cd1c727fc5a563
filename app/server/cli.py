"""The `persona-api` command: serve the API, export the schema, manage API keys."""

import argparse
import logging
import signal
import sys
from importlib.metadata import version
from pathlib import Path

import uvicorn

from app.platform import logs
from app.platform.embedded import EmbeddedDatabase, EmbeddedDatabaseError
from app.platform.errors import InvalidInput
from app.platform.settings import Settings, SettingsError, load_settings
from app.platform.supervisor import DatabaseSupervisor
from app.server import backup, keys_cli
from app.server.connections import ServerConfig
from app.server.preflight import PortInUse, check_port, check_reachable

logger = logging.getLogger("app")

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql_schema" / "schema.graphql"


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        await super().startup(sockets)  # type: ignore[arg-type]
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            logger.info("GraphQL playground at http://%s:%d/graphql", host, port)


class _Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def _workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise SettingsError(f"invalid option --workers: must be a whole number >= 1, not {value!r}")
    return workers


def serve(settings: Settings, workers: int = 1) -> None:
    from app.server.asgi import create_app

    logs.configure(settings.log_level)
    # uvicorn re-raises the signal it shut down on; handled here, it lets the database stop too.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_stop)
    check_port(settings.host, settings.port)
    supervisor = None
    if settings.mongodb_uri is None:
        embedded = EmbeddedDatabase(settings.data_dir)
        supervisor = DatabaseSupervisor(embedded, max_delay=settings.database_restart_max_seconds)
        supervisor.start()
        settings = settings.model_copy(update={"mongodb_uri": embedded.uri})
    try:
        assert settings.mongodb_uri is not None
        check_reachable(settings.mongodb_uri)
        if workers > 1:
            from app.server.workers import serve_workers

            serve_workers(settings, workers)
            return
        _Server(ServerConfig(create_app(settings), settings)).run()
    except _Stop:
        pass
    finally:
        # The API has stopped taking requests by now, so the database can go.
        if supervisor is not None:
            supervisor.stop()


def export_schema(output: Path) -> None:
    from graphql_schema.schema import printed_schema

    output.write_text(printed_schema(), encoding="utf-8")
    print(f"wrote {output}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="persona-api", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('persona-api')}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve GraphQL at /graphql")
    run.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=None, help="port to bind (default 8000)")
    run.add_argument("--data-dir", type=Path, default=None, help="embedded database home")
    run.add_argument(
        "--workers", default="1", help="API processes sharing the port (default 1, in-process)"
    )
    export = commands.add_parser("export-schema", help="print the schema to a file")
    export.add_argument("--output", type=Path, default=SCHEMA_FILE)
    keys_cli.add_commands(commands)
    backup.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure(logging.INFO if args.command == "serve" else logging.WARNING)
    try:
        if args.command == "export-schema":
            export_schema(args.output)
        elif args.command == "keys":
            keys_cli.run(args, load_settings(data_dir=args.data_dir))
        elif args.command in ("backup", "restore"):
            backup.run(args, load_settings(data_dir=args.data_dir))
        else:
            workers = _workers(args.workers)
            serve(load_settings(host=args.host, port=args.port, data_dir=args.data_dir), workers)
    except _Stop:
        return 0
    except (
        SettingsError,
        EmbeddedDatabaseError,
        PortInUse,
        keys_cli.KeysCommandError,
        InvalidInput,
        backup.BackupError,
    ) as exc:
        print(f"persona-api: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1
    return 0
