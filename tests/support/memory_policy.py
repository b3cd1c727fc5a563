"""setPersonaMemoryPolicy and the reads of a persona's memory policy, for the tests."""

from typing import Any

from tests.support.client import USER_ERRORS, GraphQLClient, mutate

POLICY_FIELDS = "memoryPolicy { scope retentionDays recallConversations }"

POLICY_PERSONA = f"""
  id revision status
  draft {{ memory {POLICY_FIELDS} }}
  production {{ version snapshot {{ {POLICY_FIELDS} }} }}
  changes {{ path before after }}
"""

SET_POLICY = f"""
mutation($input: SetPersonaMemoryPolicyInput!) {{
  setPersonaMemoryPolicy(input: $input) {{ persona {{ {POLICY_PERSONA} }} {USER_ERRORS} }}
}}
"""

READ_POLICY = f"query($id: ID!) {{ persona(id: $id) {{ {POLICY_PERSONA} }} }}"

VERSION_POLICIES = f"""
query($id: ID!) {{
  persona(id: $id) {{
    versions {{ edges {{ node {{ version snapshot {{ {POLICY_FIELDS} }} }} }} }}
  }}
}}
"""


def policy(**fields: Any) -> dict[str, Any]:
    """A MemoryPolicy as read back: the input's defaults for every field not given."""
    return {"scope": "PERSONA", "retentionDays": 365, "recallConversations": 5, **fields}


async def set_policy(
    api: GraphQLClient,
    persona: dict[str, Any],
    given: dict[str, Any],
    revision: int | None = None,
) -> dict[str, Any]:
    """setPersonaMemoryPolicy's payload, at the persona's revision unless another is given."""
    return await mutate(
        api,
        SET_POLICY,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        policy=given,
    )


async def read_policy(api: GraphQLClient, persona_id: str) -> dict[str, Any]:
    persona: dict[str, Any] | None = (await api.data(READ_POLICY, id=persona_id))["persona"]
    assert persona is not None
    return persona


async def version_policies(api: GraphQLClient, persona_id: str) -> dict[int, dict[str, Any]]:
    """Each published version's memory policy, by version number."""
    data = await api.data(VERSION_POLICIES, id=persona_id)
    edges = data["persona"]["versions"]["edges"]
    return {edge["node"]["version"]: edge["node"]["snapshot"]["memoryPolicy"] for edge in edges}
