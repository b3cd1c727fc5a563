"""A persona's variables over GraphQL: their definitions, and setPersonaVariables."""

from typing import Self

import strawberry
from strawberry.scalars import JSON

from app.personas import drafts, variables
from graphql_schema.context import Info
from graphql_schema.personas.inputs import given
from graphql_schema.personas.mutations import PersonaPayload, _edit

strawberry.enum(variables.VariableType)
VariableType = variables.VariableType


@strawberry.type
class VariableDefinition:
    name: str = strawberry.field(description="^[a-z][a-z0-9_]{0,63}$; built-in names are reserved")
    type: VariableType
    required: bool = strawberry.field(
        description="A live call with no value (call, environment or default) is refused."
    )
    default_value: JSON | None = strawberry.field(description="Of `type`.")
    description: str | None

    @classmethod
    def from_document(cls, definition: variables.VariableDefinition) -> Self:
        return cls(
            name=definition.name,
            type=definition.type,
            required=definition.required,
            default_value=definition.default_value,
            description=definition.description,
        )


@strawberry.input
class VariableDefinitionInput:
    name: str
    type: VariableType = VariableType.STRING
    required: bool = False
    default_value: JSON | None = strawberry.UNSET
    description: str | None = strawberry.UNSET

    def to_document(self) -> variables.VariableDefinition:
        return variables.VariableDefinition(
            name=self.name,
            type=self.type,
            required=self.required,
            default_value=given(self.default_value),
            description=given(self.description),
        )


@strawberry.input(description="Replaces the list; its order is kept.")
class SetPersonaVariablesInput:
    persona_id: strawberry.ID
    expected_revision: int
    variables: list[VariableDefinitionInput]


@strawberry.type
class VariableMutation:
    @strawberry.mutation
    async def set_persona_variables(
        self, info: Info, input: SetPersonaVariablesInput
    ) -> PersonaPayload:
        definitions = [variable.to_document() for variable in input.variables]
        return await _edit(info, input, drafts.set_persona_variables, definitions)
