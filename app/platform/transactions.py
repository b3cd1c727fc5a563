"""Multi-document transactions, retried a few times when the driver calls a failure transient.

PyMongo's `with_transaction` retries for up to 120 seconds and then raises the driver's
error, which a request can only answer as "Unexpected error."; here the attempts are few,
backed off with jitter so contenders do not collide in lockstep, and running out of them is
a refusal the caller can act on. The retry rules are the driver's (the convenient-transaction
specification): TransientTransactionError reruns the whole transaction, and
UnknownTransactionCommitResult retries only the commit, which is idempotent, since the
transaction may already have been applied and running it again could apply it twice.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError, ServerSelectionTimeoutError

from app.platform.errors import DomainError, ErrorCode, Problem

T = TypeVar("T")

ATTEMPTS = 10
FIRST_BACK_OFF = 0.01  # seconds; doubled with every attempt up to MAX_BACK_OFF
MAX_BACK_OFF = 0.5
TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT = "UnknownTransactionCommitResult"
WRITE_CONFLICT = 112  # the code a write conflict carries, even without its label


class Contended(DomainError):
    """Concurrent writes kept conflicting with this one, or its commit was never confirmed."""

    def __init__(self, path: tuple[str, ...], message: str) -> None:
        super().__init__([Problem(path, message, ErrorCode.REVISION_MISMATCH)])


CONFLICTED = "Concurrent writes kept conflicting with this one; nothing was changed: retry."
UNCONFIRMED = "The database did not confirm this write; it may have been applied: reload first."


def _is_transient(error: PyMongoError) -> bool:
    # No server to select already waited out the driver's timeout: another attempt would
    # only wait again, and the caller answers that the database is unavailable.
    if isinstance(error, ServerSelectionTimeoutError):
        return False
    code = getattr(error, "code", None)
    return error.has_error_label(TRANSIENT) or code == WRITE_CONFLICT


async def _back_off(attempt: int) -> None:
    await asyncio.sleep(random.uniform(0, min(FIRST_BACK_OFF * 2**attempt, MAX_BACK_OFF)))


async def _commit(session: AsyncClientSession, attempts: int, path: tuple[str, ...]) -> bool:
    """Commit; False when the transaction must run again from the start."""
    for attempt in range(attempts):
        if attempt:
            await _back_off(attempt)
        try:
            await session.commit_transaction()
            return True
        except PyMongoError as error:
            if error.has_error_label(UNKNOWN_COMMIT):
                if isinstance(error, ServerSelectionTimeoutError):
                    raise
                continue
            if _is_transient(error):
                return False
            raise
    raise Contended(path, UNCONFIRMED)


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
    refusal is `Contended` at `path`.
    """
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
                if isinstance(error, PyMongoError) and _is_transient(error):
                    continue
                raise
            if not session.in_transaction:  # fn ended the transaction itself
                return result
            if await _commit(session, attempts, path):
                return result
    raise Contended(path, CONFLICTED)
