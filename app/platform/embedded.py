"""A SecantusDB daemon run as a child process, for running without a MongoDB deployment."""

import contextlib
import ctypes
import fcntl
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

_LOCKED = "already being managed by another process"
_PORT_TAKEN = "Address already in use"
_PORT_ATTEMPTS = 3
_PR_SET_PDEATHSIG = 1

# Loaded up front: loading a library in the forked child of a threaded process can hang.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


class EmbeddedDatabaseError(Exception):
    """The embedded database could not be started."""


class DataDirLocked(EmbeddedDatabaseError):
    """Another running server holds the data directory."""


class _PortTaken(Exception):
    pass


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _daemon_command() -> list[str]:
    script = Path(sys.executable).parent / "secantusd-py"
    return [str(script)] if script.exists() else [sys.executable, "-m", "secantus"]


def _die_with_parent() -> Callable[[], None] | None:
    if _libc is None:
        return None
    prctl = _libc.prctl
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if _libc is None or process.poll() is not None:
        process.terminate()
        return
    # Aimed at the daemon's main thread, where Python runs signal handlers: a process-wide
    # SIGTERM taken by another of its threads can leave the main thread asleep for good.
    _libc.tgkill(process.pid, process.pid, signal.SIGTERM)


class EmbeddedDatabase:
    """A `secantusd-py` child process storing its data under `data_dir`.

    On Linux the daemon is sent SIGTERM when the thread that called `start()` ends,
    so call it from the main thread.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.fixed_port = port
        self.start_timeout = start_timeout
        self.log_path = self.data_dir / "secantusd.log"
        # Lets other commands (persona-api keys) reach the database while `serve` holds it.
        self.uri_file = self.data_dir / "secantusd.uri"
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def in_use(self) -> bool:
        """Whether a running daemon holds the data directory (its storage engine's lock)."""
        lock = self.data_dir / "db" / "WiredTiger.lock"
        try:
            with lock.open("r+b") as file:
                try:
                    fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return True
                fcntl.lockf(file, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        return False

    @property
    def process(self) -> "subprocess.Popen[bytes] | None":
        return self._process

    @property
    def uri(self) -> str:
        if self._port is None:
            raise RuntimeError("the embedded database has not been started")
        return f"mongodb://{self.host}:{self._port}"

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the embedded database is already running")
        storage = self.data_dir / "db"
        storage.mkdir(parents=True, exist_ok=True)
        # An explicit, empty config stops the daemon from picking up a stray secantusd.toml.
        config = self.data_dir / "secantusd.toml"
        config.touch()
        for _ in range(1 if self.fixed_port else _PORT_ATTEMPTS):
            port = self.fixed_port or _free_port(self.host)
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            with self.log_path.open("ab") as log:
                process = subprocess.Popen(
                    [
                        *_daemon_command(),
                        *("--host", self.host, "--port", str(port)),
                        *("--storage-path", str(storage), "--sync-on-commit"),
                        *("--config", str(config)),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent(),
                )
            try:
                self._wait_until_ready(process, port, offset)
            except _PortTaken:
                continue
            except BaseException:
                process.kill()
                process.wait()
                raise
            self._process, self._port = process, port
            self.uri_file.write_text(self.uri)
            logger.info("embedded database at %s (data in %s)", self.uri, self.data_dir)
            return
        raise EmbeddedDatabaseError(f"no free port for the embedded database on {self.host}")

    def _wait_until_ready(self, process: subprocess.Popen[bytes], port: int, offset: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        client: MongoClient[dict[str, Any]]
        uri = f"mongodb://{self.host}:{port}"
        with MongoClient(uri, serverSelectionTimeoutMS=250, directConnection=True) as client:
            while (returncode := process.poll()) is None:
                try:
                    # Rather than `ping`: the pid tells our daemon from a server that took the port.
                    status = client.admin.command("serverStatus")
                except PyMongoError:
                    pass
                else:
                    if status.get("pid") == process.pid:
                        return
                if time.monotonic() > deadline:
                    raise EmbeddedDatabaseError(
                        f"the embedded database did not answer within {self.start_timeout:g}s"
                        f" (see {self.log_path})"
                    )
                time.sleep(0.05)
        with self.log_path.open("rb") as log:
            log.seek(offset)
            output = log.read().decode(errors="replace")
        if _PORT_TAKEN in output:
            raise _PortTaken
        if _LOCKED in output:
            raise DataDirLocked(
                f"data directory {self.data_dir} is in use by another running server"
            )
        last_line = next(iter(reversed(output.strip().splitlines())), "no output")
        raise EmbeddedDatabaseError(
            f"the embedded database exited with code {returncode}: {last_line}"
        )

    def restart(self) -> None:
        """Start the daemon again, on the same port, once the one started before has exited.

        The same port keeps `uri` valid, so clients already made reconnect by themselves.
        """
        process, port = self._process, self._port
        if port is None or (process is not None and process.poll() is None):
            raise RuntimeError("the embedded database was never started, or is still running")
        fixed, self.fixed_port, self._process = self.fixed_port, port, None
        try:
            self.start()
        finally:
            self.fixed_port = fixed

    def stop(self, timeout: float = 10.0) -> None:
        process, port = self._process, self._port
        self._process = self._port = None
        if port is not None:
            self.uri_file.unlink(missing_ok=True)
        if process is None or port is None:
            return
        _terminate(process)
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    logger.warning("embedded database did not stop within %gs; killing it", timeout)
                    break
                # The daemon's accept thread sees the shutdown only when a connection comes in;
                # until one does, the daemon waits two seconds for that thread before exiting.
                with contextlib.suppress(OSError):
                    socket.create_connection((self.host, port), timeout=0.2).close()
                time.sleep(0.05)
        finally:
            # Also reached on a second Ctrl-C: WiredTiger's journal makes killing safe.
            if process.poll() is None:
                process.kill()
                process.wait()
        logger.info("embedded database stopped (exit code %s)", process.returncode)

    def __enter__(self) -> "EmbeddedDatabase":
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
