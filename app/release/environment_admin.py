"""The environments of a workspace as people manage them: listed for every reader, created,
given values and deleted by ADMIN.

Every change is one conditional write, or one transaction: values are replaced on
{workspace, name, revision}, so two changes read at one revision never both land, and an
environment goes together with every deployment into it.
"""

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.errors import DuplicateName, RevisionMismatch
from app.platform.counters import next_seq
from app.platform.errors import DomainError, ErrorCode, InvalidInput, Problem
from app.platform.transactions import run_transaction
from app.release.documents import PRODUCTION, Deployment, Environment
from app.release.environment_values import checked_values
from app.release.environments import NAME, EnvironmentNotFound, find_environment
from app.release.environments import unstored_production as unstored
from app.release.events import notify_local_environment_gone
from app.release.livecache import forget_environment_here

LABEL = "Environment"
NAME_PATH = ("name",)
# Production included. Each environment is one more place to deploy to, and call starts
# name them: a handful is what teams use (development, staging, qa, ...), not hundreds.
MAX_ENVIRONMENTS = 20
# The counter every create writes, so that concurrent creates conflict and count each other.
SEQ = "environments"
BAD_NAME = (
    "An environment name starts with a lowercase letter and holds only lowercase letters, "
    "digits and hyphens, at most 32 characters."
)


class ProductionStays(DomainError):
    def __init__(self) -> None:
        message = "The production environment always exists: it cannot be deleted."
        super().__init__([Problem(NAME_PATH, message, ErrorCode.CONFLICT)])


class TooManyEnvironments(DomainError):
    def __init__(self) -> None:
        message = (
            f"A workspace has at most {MAX_ENVIRONMENTS} environments, production included: "
            "delete one first."
        )
        super().__init__([Problem(NAME_PATH, message, ErrorCode.CONFLICT)])


def _collection() -> AsyncCollection[dict[str, object]]:
    return Environment.get_pymongo_collection()


def _stored(environment: Environment) -> dict[str, object]:
    stored: dict[str, object] = environment.model_dump(by_alias=True)
    return stored


async def list_environments(actor: Principal) -> list[Environment]:
    """Production first, then the others by name."""
    require(actor, Operation.READ_ENVIRONMENTS)
    rows = (
        await _collection()
        .find({"workspace_id": actor.workspace_id})
        .sort("name", ASCENDING)
        .to_list(MAX_ENVIRONMENTS + 1)
    )
    found = [Environment.model_validate(row) for row in rows]
    production = next((e for e in found if e.name == PRODUCTION), unstored(actor.workspace_id))
    return [production, *(e for e in found if e.name != PRODUCTION)]


async def create_environment(actor: Principal, name: str, variables: object | None) -> Environment:
    require(actor, Operation.MANAGE_ENVIRONMENTS)
    if not NAME.fullmatch(name):
        raise InvalidInput([Problem(NAME_PATH, BAD_NAME)])
    values = checked_values({} if variables is None else variables)
    if name == PRODUCTION:
        raise DuplicateName(LABEL, NAME_PATH)
    workspace_id = actor.workspace_id
    environment = Environment(
        id=PydanticObjectId(), workspace_id=workspace_id, name=name, variables=values
    )
    collection = _collection()

    async def insert(session: AsyncClientSession) -> Environment:
        await next_seq(collection.database, SEQ, workspace_id, session)
        rows = collection.find({"workspace_id": workspace_id}, {"name": 1}, session=session)
        stored = {row["name"] async for row in rows}
        if len(stored | {PRODUCTION}) >= MAX_ENVIRONMENTS:
            raise TooManyEnvironments()
        try:
            await collection.insert_one(_stored(environment), session=session)
        except DuplicateKeyError:
            raise DuplicateName(LABEL, NAME_PATH) from None
        return environment

    return await run_transaction(collection.database.client, insert, path=NAME_PATH)


async def set_environment_variables(
    actor: Principal, name: str, expected_revision: int, variables: object
) -> Environment:
    """Replace the environment's values: revision `expected_revision` becomes the next one."""
    require(actor, Operation.MANAGE_ENVIRONMENTS)
    values = checked_values(variables)
    if not NAME.fullmatch(name):
        raise EnvironmentNotFound(name, NAME_PATH)
    workspace_id = actor.workspace_id
    written = await _collection().find_one_and_update(
        {"workspace_id": workspace_id, "name": name, "revision": expected_revision},
        {"$set": {"variables": values}, "$inc": {"revision": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if written is not None:
        environment: Environment = Environment.model_validate(written)
        forget_environment_here(workspace_id, name)
        return environment
    current = await find_environment(workspace_id, name)
    if current is None:
        raise EnvironmentNotFound(name, NAME_PATH)
    if current.id is None and current.revision == expected_revision:
        stored = await _store_production(workspace_id, expected_revision, values)
        forget_environment_here(workspace_id, name)
        return stored
    raise RevisionMismatch(LABEL, expected_revision, current.revision)


async def _store_production(
    workspace_id: PydanticObjectId, expected_revision: int, values: dict[str, object]
) -> Environment:
    """Production's first values: its insert, which the unique name lets only one of racing
    first changes make."""
    production = Environment(
        id=PydanticObjectId(),
        workspace_id=workspace_id,
        name=PRODUCTION,
        variables=values,
        revision=expected_revision + 1,
        created_at=unstored(workspace_id).created_at,  # storing values creates nothing
    )
    try:
        await _collection().insert_one(_stored(production))
    except DuplicateKeyError:
        latest = await find_environment(workspace_id, PRODUCTION)
        assert latest is not None  # production is always found
        raise RevisionMismatch(LABEL, expected_revision, latest.revision) from None
    return production


async def delete_environment(actor: Principal, name: str) -> str:
    """Delete the environment and every deployment into it, in one transaction."""
    require(actor, Operation.MANAGE_ENVIRONMENTS)
    if name == PRODUCTION:
        raise ProductionStays()
    if not NAME.fullmatch(name):
        raise EnvironmentNotFound(name, NAME_PATH)
    workspace_id = actor.workspace_id
    collection = _collection()

    async def remove(session: AsyncClientSession) -> PydanticObjectId:
        deployments = Deployment.get_pymongo_collection()
        place = {"workspace_id": workspace_id, "environment": name}
        await deployments.delete_many(place, session=session)
        # The environment's own delete decides: if it is gone meanwhile, the deployments'
        # delete is undone with the rest of the transaction.
        deleted = await collection.find_one_and_delete(
            {"workspace_id": workspace_id, "name": name}, {"_id": True}, session=session
        )
        if deleted is None:
            raise EnvironmentNotFound(name, NAME_PATH)
        return PydanticObjectId(str(deleted["_id"]))

    deleted_id = await run_transaction(collection.database.client, remove, path=NAME_PATH)
    notify_local_environment_gone(deleted_id)
    # Other processes hear of it from the change stream; this one reads its own write now.
    forget_environment_here(workspace_id, name)
    return name
