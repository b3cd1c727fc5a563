"""Environments of a workspace: "production", which always exists, and the ones ADMIN makes."""

import re
from collections import OrderedDict
from datetime import UTC, datetime

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.platform.database import is_unavailable
from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path
from app.release.documents import PRODUCTION, Environment

NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
# What "production" is until someone stores values for it.
_SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)
# Environments call starts last found, served only while the database cannot be reached.
LAST_KNOWN_SIZE = 10_000


class EnvironmentNotFound(DomainError):
    """The workspace has no environment of this name."""

    def __init__(self, name: str, path: Path = ("environment",)) -> None:
        message = f"The workspace has no environment {name[:64]!r}."
        super().__init__([Problem(path, message, ErrorCode.NOT_FOUND)])


def unstored_production(workspace_id: PydanticObjectId) -> Environment:
    return Environment(workspace_id=workspace_id, name=PRODUCTION, created_at=_SINCE_EVER)


async def find_environment(workspace_id: PydanticObjectId, name: str) -> Environment | None:
    if not NAME.fullmatch(name):
        return None
    found = await Environment.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "name": name}
    )
    if found is not None:
        environment: Environment = Environment.model_validate(found)
        return environment
    return unstored_production(workspace_id) if name == PRODUCTION else None


async def require_environment(
    workspace_id: PydanticObjectId, name: str, path: Path = ("environment",)
) -> Environment:
    """The environment, or EnvironmentNotFound at `path`."""
    found = await find_environment(workspace_id, name)
    if found is None:
        raise EnvironmentNotFound(name, path)
    return found


async def guard_environment(
    workspace_id: PydanticObjectId, name: str, session: AsyncClientSession
) -> bool:
    """Write the environment's guard inside `session`'s transaction; False if it is not there.

    deleteEnvironment writes the environment too, so a transaction that deploys into it after
    guarding it and the deletion never both commit: no deployment outlives its environment.
    Production needs no guard, as it is never deleted.
    """
    if name == PRODUCTION:
        return True
    result = await Environment.get_pymongo_collection().update_one(
        {"workspace_id": workspace_id, "name": name}, {"$inc": {"guard": 1}}, session=session
    )
    return result.matched_count == 1


_last_known: OrderedDict[tuple[PydanticObjectId, str], Environment | None] = OrderedDict()


async def environment_for_call(
    workspace_id: PydanticObjectId, name: str, database_down: bool = False
) -> Environment | None:
    """`find_environment` for a call start, which is served through a database outage.

    While the database cannot be reached, the answer last found on this process is served,
    as the production it goes with is (app.release.livecache); what was never found is the
    database's error. This is no cache: with the database there, every call start reads.
    """
    if not NAME.fullmatch(name):
        return None  # no such name is ever found: nothing to remember
    key = (workspace_id, name)
    if database_down and key in _last_known:
        return _last_known[key]
    try:
        found = await find_environment(workspace_id, name)
    except Exception as error:
        if not is_unavailable(error) or key not in _last_known:
            raise
        return _last_known[key]
    _last_known[key] = found
    _last_known.move_to_end(key)
    while len(_last_known) > LAST_KNOWN_SIZE:
        _last_known.popitem(last=False)
    return found
