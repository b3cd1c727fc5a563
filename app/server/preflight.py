"""What `serve` checks before it starts anything: its port can be bound, its database answers."""

import errno
import socket

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from app.platform.embedded import EmbeddedDatabaseError

REACH_TIMEOUT_SECONDS = 5


class PortInUse(Exception):
    """The port to serve on is taken, or may not be bound."""


def check_port(host: str, port: int) -> None:
    """Refuse a port that cannot be bound, before anything is started or made.

    uvicorn binds only after the app has started up: the embedded database would be running
    and a first key made by then.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"cannot serve on {host}:{port}: the port is in use") from None
            reason = exc.strerror or type(exc).__name__
            raise PortInUse(f"cannot serve on {host}:{port}: {reason}") from None


def check_reachable(uri: str) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(
        uri, serverSelectionTimeoutMS=REACH_TIMEOUT_SECONDS * 1000
    )
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        # Not the driver's text: a whole topology description, with the URI's hosts in it.
        raise EmbeddedDatabaseError(
            f"cannot reach the database at MONGODB_URI within {REACH_TIMEOUT_SECONDS} s"
            f" ({type(exc).__name__})"
        ) from None
    finally:
        client.close()
