"""Environments of a workspace: "production", which always exists, and the ones ADMIN makes."""

import re
from datetime import UTC, datetime

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path
from app.release.documents import PRODUCTION, Environment

NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
# What "production" is until someone stores values for it.
_SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)


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
