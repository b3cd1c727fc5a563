"""setPersonaVariables and the reads of a persona's variables, for the tests."""

from typing import Any

from tests.support.client import USER_ERRORS, GraphQLClient, mutate

VARIABLE_FIELDS = "name type required defaultValue description"

VARIABLES_PERSONA = f"""
  id revision status
  draft {{ variables {{ {VARIABLE_FIELDS} }} }}
  production {{ version snapshot {{ variables {{ {VARIABLE_FIELDS} }} }} }}
  changes {{ path before after }}
"""

SET_VARIABLES = f"""
mutation($input: SetPersonaVariablesInput!) {{
  setPersonaVariables(input: $input) {{ persona {{ {VARIABLES_PERSONA} }} {USER_ERRORS} }}
}}
"""

READ_VARIABLES = f"query($id: ID!) {{ persona(id: $id) {{ {VARIABLES_PERSONA} }} }}"


def variable(name: str, **fields: Any) -> dict[str, Any]:
    """A VariableDefinitionInput: the input's defaults for every field not given."""
    return {"name": name, **fields}


def defined(name: str, **fields: Any) -> dict[str, Any]:
    """A VariableDefinition as read back, with the input's defaults."""
    return {
        "name": name,
        "type": "STRING",
        "required": False,
        "defaultValue": None,
        "description": None,
        **fields,
    }


async def set_variables(
    api: GraphQLClient,
    persona: dict[str, Any],
    variables: list[dict[str, Any]],
    revision: int | None = None,
) -> dict[str, Any]:
    """setPersonaVariables' payload, at the persona's revision unless another is given."""
    return await mutate(
        api,
        SET_VARIABLES,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        variables=variables,
    )


async def read_variables(api: GraphQLClient, persona_id: str) -> dict[str, Any] | None:
    persona: dict[str, Any] | None = (await api.data(READ_VARIABLES, id=persona_id))["persona"]
    return persona
