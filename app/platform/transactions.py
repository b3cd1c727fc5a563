"""Multi-document transactions, retried when the driver calls a failure transient.

PyMongo's `with_transaction` retries for up to 120 seconds and then raises the driver's
error, which a request can only answer as "Unexpected error."; here the attempts are
bounded, backed off with jitter so contenders do not collide in lockstep, and running out of
them is a refusal the caller can act on. The retry rules are the driver's (the
convenient-transaction specification): TransientTransactionError reruns the whole
transaction, and UnknownTransactionCommitResult retries only the commit, which is
idempotent, since the transaction may already have been applied and running it again could
apply it twice.

The driver labels network errors in a transaction transient as well, since another attempt
may reach a new primary; but a database that stays unreachable is an outage, not a
conflict: the last such error reaches the caller, which answers 503 DATABASE_UNAVAILABLE
(app.platform.outage), and a timeout does so at once, since the request's time is spent.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from app.platform.database import is_unavailable
from app.platform.errors import DomainError, ErrorCode, Problem

T = TypeVar("T")

# Every conflict means a contender committed, but not which one waited longest: under load,
# six creates on one workspace lose about two races in three, so ten attempts starved about
# one create in a hundred, while thirty starve about one in a few hundred thousand.
ATTEMPTS = 30
FIRST_BACK_OFF = 0.01  # seconds; doubled with every attempt up to MAX_BACK_OFF
# Low enough that a long-waiting contender still competes with newcomers, which do not wait.
MAX_BACK_OFF = 0.25
TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT = "UnknownTransactionCommitResult"
WRITE_CONFLICT = 112  # the code a write conflict carries, even without its label


class Contended(DomainError):
    """Concurrent writes kept conflicting with this one, or its commit was never confirmed."""

    def __init__(self, path: tuple[str, ...], message: str) -> None:
        super().__init__([Problem(path, message, ErrorCode.REVISION_MISMATCH)])


CONFLICTED = "Concurrent writes kept conflicting with this one; nothing was changed: retry."
UNCONFIRMED = "The database did not confirm this write; it may have been applied: reload first."


def _retryable(error: PyMongoError, label: str) -> bool:
    """Whether another attempt may succeed where `error` (labelled `label`) failed."""
    # A timeout (no server selected in time, or the request's time limit spent) would only
    # be waited out again, or fail at once: the caller answers that the database is gone.
    if error.timeout:
        return False
    return error.has_error_label(label) or (
        label == TRANSIENT and getattr(error, "code", None) == WRITE_CONFLICT
    )


def _refusal(last: PyMongoError | None, path: tuple[str, ...], message: str) -> Exception:
    """What running out of attempts raises: the outage, if that is what the last one met."""
    if last is not None and is_unavailable(last):
        return last
    return Contended(path, message)


async def _back_off(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, min(FIRST_BACK_OFF * 2**attempt, MAX_BACK_OFF)))


async def _commit(
    session: AsyncClientSession, attempts: int, path: tuple[str, ...]
) -> PyMongoError | None:
    """Commit; the conflict that means the transaction must run again, None once committed."""
    last: PyMongoError | None = None
    for attempt in range(attempts):
        if attempt:
            await _back_off(attempt)
        try:
            await session.commit_transaction()
            return None
        except PyMongoError as error:
            if _retryable(error, UNKNOWN_COMMIT):
                last = error
                continue
            if _retryable(error, TRANSIENT):
                return error
            raise
    raise _refusal(last, path, UNCONFIRMED)


async def run_transaction(
    client: AsyncMongoClient[Any],
    fn: Callable[[AsyncClientSession], Awaitable[T]],
    *,
    path: tuple[str, ...] = ("id",),
    attempts: int = ATTEMPTS,
) -> T:
    """`fn(session)` in one transaction, committed, or nothing of it.

    `fn` may run several times, so it must do nothing outside the session but compute. A
    DomainError it raises aborts the transaction and reaches the caller as it is; so does any
    error the driver does not call transient. After `attempts` transient failures the
    refusal is `Contended` at `path`, or the driver's error if the database was unreachable.
    """
    last: PyMongoError | None = None
    async with client.start_session() as session:
        for attempt in range(attempts):
            if attempt:
                await _back_off(attempt)
            await session.start_transaction()
            try:
                result = await fn(session)
            except BaseException as error:
                if session.in_transaction:
                    await session.abort_transaction()
                if isinstance(error, PyMongoError) and _retryable(error, TRANSIENT):
                    last = error
                    continue
                raise
            if not session.in_transaction:  # fn ended the transaction itself
                return result
            last = await _commit(session, attempts, path)
            if last is None:
                return result
    raise _refusal(last, path, CONFLICTED)
