"""`persona-api serve --workers N`: N uvicorn worker processes sharing one listening socket.

The parent binds the port and supervises; each worker builds the app from its environment, so
it has its own schema caches, database client and change-stream EventHub. The database (the
embedded one, started by the parent) is shared by all of them through MONGODB_URI.
"""

import ctypes
import logging
import os
import signal
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from app.platform import logs
from app.platform.settings import Settings, load_settings
from app.server.connections import ServerConfig

logger = logging.getLogger("app")

APP_FACTORY = "app.server.workers:create_app_from_environment"
_PR_SET_PDEATHSIG = 1


def settings_environment(settings: Settings) -> dict[str, str]:
    """`settings` as the environment variables `Settings` reads them back from."""
    environment: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = ",".join(str(item) for item in value)  # CORS_ORIGINS is comma-separated
        else:
            text = str(value)
        environment[name.upper()] = text
    return environment


def _die_with_parent() -> None:
    # A worker left behind by a killed parent would keep serving on the shared port.
    if sys.platform != "linux":
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def create_app_from_environment() -> Starlette:
    """The app factory a worker process calls: its settings are all in its environment."""
    from app.server.asgi import create_app

    _die_with_parent()
    return create_app(load_settings())


class WorkerConfig(ServerConfig):
    """Gives every worker process the JSON logs the parent has (a spawned process starts bare)."""

    def configure_logging(self) -> None:
        super().configure_logging()
        logs.configure(load_settings().log_level)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, announcing the playground once, when every worker is serving."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        host, port = sockets[0].getsockname()[:2]
        self.playground = f"http://{host}:{port}/graphql"
        self.announced = False
        self.signalled = False
        super().__init__(config, sockets)

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if self.announced or self.should_exit.is_set():
            return
        timeout = self.config.timeout_worker_healthcheck
        if all(process.is_ready(timeout=timeout) for process in self.processes):
            self.announced = True
            logger.info("GraphQL playground at %s", self.playground)

    def handle_int(self) -> None:
        self.signalled = True
        super().handle_int()

    def handle_term(self) -> None:
        self.signalled = True
        super().handle_term()


def serve_workers(settings: Settings, workers: int) -> None:
    """Serve with `workers` processes until SIGINT or SIGTERM; returns once all have stopped.

    Exits with uvicorn's start-up failure code when a worker cannot start.
    """
    assert settings.mongodb_uri is not None
    os.environ.update(settings_environment(settings))  # what the spawned workers inherit
    config = WorkerConfig(APP_FACTORY, settings, factory=True, workers=workers)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    # Bound here, once; every worker is handed the same listening socket.
    sock = config.bind_socket()
    try:
        supervisor = _Supervisor(config, [sock])
        supervisor.run()
    finally:
        sock.close()
        # The supervisor's handlers only queue signals for its loop, which has ended: a second
        # Ctrl-C while the database stops must interrupt again, as with one worker.
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)
    if not supervisor.signalled:
        sys.exit(STARTUP_FAILURE)  # uvicorn stopped because a worker failed to start
