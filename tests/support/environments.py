"""Environments over GraphQL, and deployments stored directly, for the tests."""

from datetime import UTC, datetime
from typing import Any

from beanie import PydanticObjectId

from app.platform.database import MongoDatabase
from app.release.documents import Deployment
from graphql_schema import ids
from tests.support.callstart import CALL_START, PREVIEW
from tests.support.client import USER_ERRORS, GraphQLClient, mutate

ENVIRONMENT_FIELDS = "name variables revision createdAt"
ENVIRONMENTS = f"{{ environments {{ {ENVIRONMENT_FIELDS} }} }}"
CREATE_ENVIRONMENT = f"""
mutation($input: CreateEnvironmentInput!) {{
  createEnvironment(input: $input) {{ environment {{ {ENVIRONMENT_FIELDS} }} {USER_ERRORS} }}
}}
"""
SET_ENVIRONMENT_VARIABLES = f"""
mutation($input: SetEnvironmentVariablesInput!) {{
  setEnvironmentVariables(input: $input) {{ environment {{ {ENVIRONMENT_FIELDS} }} {USER_ERRORS} }}
}}
"""
DELETE_ENVIRONMENT = f"""
mutation($input: DeleteEnvironmentInput!) {{
  deleteEnvironment(input: $input) {{ deletedName {USER_ERRORS} }}
}}
"""


async def create_environment(
    api: GraphQLClient, name: str = "staging", variables: Any = None
) -> dict[str, Any]:
    """createEnvironment's payload; `variables` left out when None."""
    given = {"name": name} if variables is None else {"name": name, "variables": variables}
    return await mutate(api, CREATE_ENVIRONMENT, **given)


async def set_environment_variables(
    api: GraphQLClient, name: str, revision: int, variables: Any
) -> dict[str, Any]:
    return await mutate(
        api, SET_ENVIRONMENT_VARIABLES, name=name, expectedRevision=revision, variables=variables
    )


async def delete_environment(api: GraphQLClient, name: str) -> dict[str, Any]:
    return await mutate(api, DELETE_ENVIRONMENT, name=name)


async def environments(api: GraphQLClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await api.data(ENVIRONMENTS))["environments"]
    return listed


async def names(api: GraphQLClient) -> list[str]:
    return [environment["name"] for environment in await environments(api)]


async def kept(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    """The stored environments and deployments, to compare before and after a refusal."""
    return {
        name: await database[name].find({}).sort("_id", 1).to_list()
        for name in ("environments", "deployments")
    }


def deployment_of(
    api: GraphQLClient, persona: dict[str, Any], environment: str, version: int = 1
) -> dict[str, Any]:
    """A deployment document as deployPersonaVersion would store it."""
    persona_id = ids.decode_object_id(persona["id"], "Persona")
    assert persona_id is not None
    deployment = Deployment(
        id=PydanticObjectId(),
        workspace_id=api.principal.workspace_id,
        persona_id=persona_id,
        environment=environment,
        version=version,
        deployed_at=datetime.now(UTC),
        deployed_by=api.principal.name,
    )
    stored: dict[str, Any] = deployment.model_dump(by_alias=True)
    return stored


async def deploy_directly(
    api: GraphQLClient, persona: dict[str, Any], environment: str, version: int = 1
) -> None:
    """A deployment stored without the mutation, which is not this suite's to test."""
    document = deployment_of(api, persona, environment, version)
    await Deployment.get_pymongo_collection().insert_one(document)


async def deployments_into(database: MongoDatabase, environment: str) -> int:
    return await database["deployments"].count_documents({"environment": environment})


async def environment_operations(api: GraphQLClient, persona: dict[str, Any]) -> None:
    """Every environment operation once, refusals included, for the index check."""
    await create_environment(api, "staging", {"plan": "Staging"})
    await create_environment(api, "staging")  # taken
    await environments(api)
    await set_environment_variables(api, "staging", 1, {"plan": "Pro"})
    await set_environment_variables(api, "staging", 1, {"plan": "Pro"})  # stale
    await set_environment_variables(api, "production", 1, {"plan": "Live"})  # first values
    await set_environment_variables(api, "production", 2, {"plan": "Live 2"})
    call = {"id": persona["id"], "channel": "VOICE", "variables": {"plan": "Pro"}}
    await api.execute(CALL_START, **call, environment="staging")
    await api.execute(PREVIEW, **call, environment="staging")
    await deploy_directly(api, persona, "staging")
    await delete_environment(api, "staging")
    await delete_environment(api, "staging")  # gone
