"""Scheduled publishes for the tests: the operations, factories, and waiting for a runner."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from app.platform.database import MongoDatabase
from app.release.documents import Deployment, Environment
from tests.support.client import (
    SNAPSHOT_FIELDS,
    USER_ERRORS,
    GraphQLClient,
    mutate,
)

SCHEDULE_FIELDS = f"""
  id environment at status note error createdBy createdAt
  snapshot {{ {SNAPSHOT_FIELDS} }}
  version {{ version note publishedBy snapshot {{ {SNAPSHOT_FIELDS} }} }}
"""
SCHEDULE = f"""
mutation($input: SchedulePublishInput!) {{
  schedulePublish(input: $input) {{ scheduledPublish {{ {SCHEDULE_FIELDS} }} {USER_ERRORS} }}
}}
"""
CANCEL = f"""
mutation($input: CancelScheduledPublishInput!) {{
  cancelScheduledPublish(input: $input) {{ scheduledPublish {{ {SCHEDULE_FIELDS} }} {USER_ERRORS} }}
}}
"""
SCHEDULES = f"""
query($id: ID!, $status: ScheduleStatus) {{
  persona(id: $id) {{ revision scheduledPublishes(status: $status) {{ {SCHEDULE_FIELDS} }} }}
}}
"""
NODE = f"""
query($id: ID!) {{ node(id: $id) {{ id ... on ScheduledPublish {{ {SCHEDULE_FIELDS} }} }} }}
"""
# How long a test waits for a runner: far beyond the 2 s promise, so load never fails it.
PATIENCE = 60.0


def moment(seconds: float) -> str:
    """`seconds` from now, as a DateTime."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def schedule(
    api: GraphQLClient, persona: dict[str, Any], at: str, **input: Any
) -> dict[str, Any]:
    """schedulePublish's payload, at the persona's revision."""
    given = {"personaId": persona["id"], "expectedRevision": persona["revision"], "at": at}
    return await mutate(api, SCHEDULE, **{**given, **input})


async def scheduled(api: GraphQLClient, persona: dict[str, Any], at: str, **input: Any) -> str:
    """The id of a schedule that must be accepted."""
    payload = await schedule(api, persona, at, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    schedule_id: str = payload["scheduledPublish"]["id"]
    return schedule_id


async def read_schedule(api: GraphQLClient, schedule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(NODE, id=schedule_id))["node"]
    assert found is not None
    return found


async def eventually(
    check: Callable[[], Awaitable[Any]], within: float = PATIENCE, every: float = 0.1
) -> Any:
    """The first truthy result of `check`, waiting at most `within` seconds for it."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(every)


async def finished(api: GraphQLClient, schedule_id: str) -> dict[str, Any]:
    """The schedule once it has left PENDING."""

    async def check() -> dict[str, Any] | None:
        found = await read_schedule(api, schedule_id)
        return found if found["status"] != "PENDING" else None

    result: dict[str, Any] = await eventually(check)
    return result


async def store_environment(workspace_id: PydanticObjectId, name: str) -> None:
    """An environment, as createEnvironment stores one."""
    await Environment(workspace_id=workspace_id, name=name).insert()


async def drop_environment(workspace_id: PydanticObjectId, name: str) -> None:
    """Gone with its deployments, as deleteEnvironment leaves it."""
    where = {"workspace_id": workspace_id}
    await Environment.get_pymongo_collection().delete_many({**where, "name": name})
    await Deployment.get_pymongo_collection().delete_many({**where, "environment": name})


async def changes_of(database: MongoDatabase, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await database["deployment_changes"].find({"kind": kind}).to_list()
    )
    return found
