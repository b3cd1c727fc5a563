"""Killing the embedded database (or the whole server) the way a crash would, and waiting."""

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pymongo import MongoClient
from pymongo.errors import PyMongoError

T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 30.0, what: str = "it") -> T:
    """The first truthy value of `check`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g}s")
        time.sleep(0.05)


def database_uri(data_dir: Path) -> str:
    return (data_dir / "secantusd.uri").read_text().strip()


def daemon_pid(uri: str) -> int | None:
    """The pid of the SecantusDB daemon answering at `uri`, None if none answers."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri, serverSelectionTimeoutMS=500, directConnection=True) as client:
        try:
            return int(client.admin.command("serverStatus")["pid"])
        except PyMongoError:
            return None


def kill_database(uri: str, timeout: float = 30.0) -> int:
    """kill -9 the daemon at `uri`, and wait until it is gone; its pid.

    A daemon that answered and ended before the signal reached it (ProcessLookupError: its
    parent has reaped it already) was not killed here: the next daemon to answer is. Whoever
    calls this and cares that the database died only of this kill checks its exit codes.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = max(deadline - time.monotonic(), 0.0)
        pid = eventually(lambda: daemon_pid(uri), left, what="the database answering")
        try:
            os.kill(pid, signal.SIGKILL)
            break
        except ProcessLookupError:
            continue
    eventually(lambda: not _alive(pid), what=f"process {pid} ending")
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of another process stays a zombie until reaped: dead all the same. It
    # may be reaped between the kill above and the read, which then finds no process.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def restarted(uri: str, old_pid: int, timeout: float = 60.0) -> int:
    """Wait until a daemon other than `old_pid` answers at `uri`; its pid."""
    return eventually(
        lambda: (pid := daemon_pid(uri)) is not None and pid != old_pid and pid,
        timeout,
        what="the database restarting",
    )
