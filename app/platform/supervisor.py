"""Keeps the embedded database running: restarted when it dies, with backoff while it keeps dying.

A thread of its own waits on the daemon and restarts it on the same port, so the API's
clients reconnect by themselves. The first restart after a crash is immediate; one that
follows a short run waits, twice as long each time up to `max_delay`. The thread lives as
long as the supervision, which matters on Linux: a daemon it restarted is sent SIGTERM when
the thread that started it ends.
"""

import logging
import threading
import time

from app.platform.embedded import EmbeddedDatabase, EmbeddedDatabaseError

logger = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 0.5
# A daemon that ran this long before it died gets the quick first restart again.
STABLE_SECONDS = 60.0


class DatabaseSupervisor:
    def __init__(
        self,
        database: EmbeddedDatabase,
        max_delay: float = 30.0,
        first_delay: float = FIRST_DELAY_SECONDS,
        stable_after: float = STABLE_SECONDS,
    ) -> None:
        self.database = database
        self.max_delay = max_delay
        self.first_delay = first_delay
        self.stable_after = stable_after
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and stop() never run at once
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the database, then supervise it."""
        self.database.start()
        self._thread = threading.Thread(
            target=self._run, name="embedded-database-supervisor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self.database.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        delay = 0.0
        while not self._stopping.is_set():
            process = self.database.process
            if process is None:
                return
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= self.stable_after:
                delay = 0.0
            logger.error(
                "the embedded database exited with code %s; restarting it in %gs", code, delay
            )
            delay = self._restart(delay)

    def _restart(self, delay: float) -> float:
        """Restart until it works or supervision stops; the delay for the next crash."""
        while not self._stopping.wait(delay):
            delay = min(max(delay * 2, self.first_delay), self.max_delay)
            with self._lock:
                if self._stopping.is_set():
                    break
                try:
                    self.database.restart()
                except (EmbeddedDatabaseError, OSError) as error:
                    logger.error(
                        "could not restart the embedded database (%s); next try in %gs",
                        error,
                        delay,
                    )
                    continue
            self.restarts += 1
            logger.warning("restarted the embedded database at %s", self.database.uri)
            break
        return delay
