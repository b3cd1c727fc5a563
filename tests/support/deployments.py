"""Deployments, promotion and rollouts over GraphQL, and factories for their tests."""

from typing import Any

from beanie import PydanticObjectId

from app.platform.database import MongoDatabase
from app.release.documents import Environment
from tests.support.client import (
    USER_ERRORS,
    GraphQLClient,
    chat_input,
    mutate,
    publish,
    voice_input,
)

VERSION = "version environment note publishedBy snapshot { name }"
ROLLOUT = f"percent startedAt startedBy note candidate {{ {VERSION} }}"
DEPLOYMENT = f"""
  environment deployedAt deployedBy note
  version {{ {VERSION} }} replaced {{ version }} rollout {{ {ROLLOUT} }}
"""
PERSONA = f"id status revision production {{ {VERSION} }} deployments {{ {DEPLOYMENT} }}"


def _mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ persona {{ {PERSONA} }} deployment {{ {DEPLOYMENT} }} {USER_ERRORS} }}
}}
"""


DEPLOY = _mutation("deployPersonaVersion", "DeployPersonaVersionInput")
START = _mutation("startRollout", "StartRolloutInput")
SET_PERCENT = _mutation("setRolloutPercent", "SetRolloutPercentInput")
COMPLETE = _mutation("completeRollout", "EndRolloutInput")
ABORT = _mutation("abortRollout", "EndRolloutInput")
PUBLISH_TO = f"""
mutation($input: PublishPersonaInput!) {{
  publishPersona(input: $input) {{ persona {{ {PERSONA} }} version {{ {VERSION} }} {USER_ERRORS} }}
}}
"""
ROLLBACK_TO = f"""
mutation($input: RollbackPersonaInput!) {{
  rollbackPersona(input: $input) {{ persona {{ {PERSONA} }} version {{ {VERSION} }} {USER_ERRORS} }}
}}
"""
READ = f"""
query($id: ID!, $environment: String!) {{
  persona(id: $id) {{ {PERSONA} deployment(environment: $environment) {{ {DEPLOYMENT} }} }}
}}
"""
HISTORY = """
query($id: ID!, $environment: String, $first: Int) {
  persona(id: $id) {
    deploymentHistory(environment: $environment, first: $first) {
      eventId kind environment at by note error
      version { version } replaced { version }
      deployment { version { version } rollout { percent candidate { version } } }
    }
  }
}
"""
LIVE = """
query($id: ID!, $environment: String, $contactId: String) {
  liveConfiguration(personaId: $id, channel: VOICE, environment: $environment,
                    contactId: $contactId) {
    version name environment rolloutArm resolutionId
  }
}
"""


async def release_state(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every document a release change writes, to compare before and after a refusal."""
    names = ("personas", "persona_versions", "deployments", "deployment_changes")
    return {name: await database[name].find({}).sort("_id", 1).to_list() for name in names}


async def make_environment(workspace_id: PydanticObjectId, name: str) -> None:
    """An environment besides production, stored as createEnvironment would store it."""
    await Environment(workspace_id=workspace_id, name=name).insert()


async def draft(api: GraphQLClient, name: str = "Sales", **input: Any) -> dict[str, Any]:
    """A new persona that can be published."""
    return await api.create_persona(
        name=name, voiceConfigurations=[voice_input()], chatConfiguration=chat_input(), **input
    )


async def published(
    api: GraphQLClient, persona: dict[str, Any], environment: str = "production", **input: Any
) -> dict[str, Any]:
    """publishPersona into `environment`, which must succeed; returns its payload."""
    payload = await mutate(
        api,
        PUBLISH_TO,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        environment=environment,
        **input,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def renamed(api: GraphQLClient, persona: dict[str, Any], name: str) -> dict[str, Any]:
    """The persona with its draft renamed: something new to publish."""
    edit = {"id": persona["id"], "expectedRevision": persona["revision"], "name": name}
    payload = await api.ok(
        "mutation($input: UpdatePersonaInput!) { updatePersona(input: $input) "
        f"{{ persona {{ id revision }} {USER_ERRORS} }} }}",
        "updatePersona",
        input=edit,
    )
    found: dict[str, Any] = payload["persona"]
    return found


async def versions(api: GraphQLClient, count: int) -> dict[str, Any]:
    """A persona published `count` times to production: version n is named "v{n}"."""
    persona = await draft(api, name="v1")
    for n in range(1, count + 1):
        if n > 1:
            persona = await renamed(api, persona, f"v{n}")
        assert (await publish(api, persona))["userErrors"] == []
    return persona


async def read(api: GraphQLClient, persona_id: str, environment: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(READ, id=persona_id, environment=environment))[
        "persona"
    ]
    assert found is not None
    return found


async def history(
    api: GraphQLClient, persona_id: str, environment: str | None = None, first: int = 20
) -> list[dict[str, Any]]:
    persona = (await api.data(HISTORY, id=persona_id, environment=environment, first=first))[
        "persona"
    ]
    changes: list[dict[str, Any]] = persona["deploymentHistory"]
    return changes


async def live(
    api: GraphQLClient,
    persona_id: str,
    contact_id: str | None = None,
    environment: str = "production",
) -> dict[str, Any] | None:
    variables = {"id": persona_id, "environment": environment, "contactId": contact_id}
    found: dict[str, Any] | None = (await api.data(LIVE, **variables))["liveConfiguration"]
    return found


async def start(
    api: GraphQLClient, persona_id: str, version: int, percent: int, **input: Any
) -> dict[str, Any]:
    input = {"environment": "production", **input}
    return await mutate(api, START, personaId=persona_id, version=version, percent=percent, **input)


async def set_percent(
    api: GraphQLClient, persona_id: str, percent: int, environment: str = "production"
) -> dict[str, Any]:
    return await mutate(
        api, SET_PERCENT, personaId=persona_id, environment=environment, percent=percent
    )


async def end(
    api: GraphQLClient, mutation: str, persona_id: str, environment: str = "production"
) -> dict[str, Any]:
    return await mutate(api, mutation, personaId=persona_id, environment=environment)


async def deploy(
    api: GraphQLClient, persona_id: str, version: int, environment: str, **input: Any
) -> dict[str, Any]:
    return await mutate(
        api, DEPLOY, personaId=persona_id, version=version, environment=environment, **input
    )


async def release_operations(api: GraphQLClient) -> None:
    """Every deployment and rollout operation once, refusals included, for the index check."""
    persona = await versions(api, 2)
    pid = persona["id"]
    await make_environment(api.principal.workspace_id, "qa")
    await published(api, await renamed(api, persona, "v3"), "qa")
    await deploy(api, pid, 3, "production")
    await deploy(api, pid, 1, "qa")
    await start(api, pid, 2, 10)
    await start(api, pid, 2, 10)  # one runs already
    await set_percent(api, pid, 50)
    await live(api, pid, "+15550100")
    await end(api, COMPLETE, pid)
    await end(api, ABORT, pid)  # none runs
    await read(api, pid, "qa")
    await history(api, pid)
    await history(api, pid, "qa")
