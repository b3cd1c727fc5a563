"""guard_environment: what a deploying transaction writes so that no deployment outlives the
environment it went into, whichever of the deploy and the deletion commits first."""

import asyncio

from app.platform.database import MongoDatabase
from app.release.documents import Deployment
from app.release.environments import guard_environment
from tests.conftest import CommandLog
from tests.support.client import GraphQLClient
from tests.support.environments import (
    create_environment,
    delete_environment,
    deployment_of,
    deployments_into,
)

WAIT_SECONDS = 30  # for the deletion to reach the database: at once, unless the machine stalls


async def _deletion_started(command_log: CommandLog, since: int) -> None:
    # The command log is a driver listener with no event to wait on.
    while ("findAndModify", "environments") not in command_log.targets[since:]:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def test_a_deletion_during_a_guarded_deploy_removes_what_it_deployed(
    api: GraphQLClient, database: MongoDatabase, command_log: CommandLog
) -> None:
    await create_environment(api, "staging")
    persona = await api.create_persona()
    async with database.client.start_session() as session:
        await session.start_transaction()
        assert await guard_environment(api.principal.workspace_id, "staging", session)
        document = deployment_of(api, persona, "staging")
        await Deployment.get_pymongo_collection().insert_one(document, session=session)
        # The deletion runs while the deploy is uncommitted: it cannot see the deployment,
        # but its write of the environment conflicts with the guard, so it tries again.
        since = len(command_log.targets)
        deleting = asyncio.create_task(delete_environment(api, "staging"))
        await asyncio.wait_for(_deletion_started(command_log, since), WAIT_SECONDS)
        await session.commit_transaction()
    assert (await deleting)["deletedName"] == "staging"
    assert await deployments_into(database, "staging") == 0


async def test_only_an_environment_that_is_there_is_guarded(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await create_environment(api, "staging")
    workspace_id = api.principal.workspace_id
    async with database.client.start_session() as session, await session.start_transaction():
        assert await guard_environment(workspace_id, "staging", session)
        assert await guard_environment(workspace_id, "production", session)
        assert not await guard_environment(workspace_id, "qa", session)
    listed = await database["environments"].find({}, {"_id": 0, "name": 1, "revision": 1}).to_list()
    assert listed == [{"name": "staging", "revision": 1}]  # a guard is no change
