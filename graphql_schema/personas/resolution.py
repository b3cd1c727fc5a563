"""The call-start answer as GraphQL serves it, for liveConfiguration and Persona.preview."""

from collections.abc import Awaitable, Callable
from typing import Self, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from app.access.permissions import Operation, require
from app.access.principal import Forbidden
from app.library.catalog import Channel
from app.memory import recall
from app.personas import resolution
from app.personas.templates import RenderFailed
from app.personas.variables import InvalidVariables, MissingVariables
from graphql_schema import arguments, ids
from graphql_schema.arguments import bad_user_input
from graphql_schema.context import Info
from graphql_schema.errors import field_error
from graphql_schema.memory.types import ContactMemory
from graphql_schema.personas.attachments import KnowledgeBaseAttachment
from graphql_schema.personas.snapshots import (
    ChatConfiguration,
    VoiceConfiguration,
    chat_or_none,
    voice_or_none,
)
from graphql_schema.personas.tools import ToolDefinition
from graphql_schema.scalars import Locale, query_locale

strawberry.enum(resolution.RolloutArm)
RolloutArm = resolution.RolloutArm
MAX_ENVIRONMENT = 64


@strawberry.type(description="What a live call or chat runs with: production, never the draft.")
class LiveConfiguration:
    persona_id: strawberry.ID
    version: int
    name: str
    memory: bool
    channel: Channel
    requested_locale: Locale | None
    voice: VoiceConfiguration | None = strawberry.field(
        description="For VOICE: exact locale, else same language, else the first locale."
    )
    chat: ChatConfiguration | None = strawberry.field(description="For CHAT.")
    environment: str
    rollout_arm: RolloutArm
    resolution_id: strawberry.ID = strawberry.field(
        description="Equal for calls resolved to the same version, environment, channel, "
        "locale and arm: call records store it."
    )
    prompt: str = strawberry.field(description="This channel's prompt, rendered.")
    first_message: str | None = strawberry.field(description="VOICE: the first message, rendered.")
    variables: JSON = strawberry.field(
        description="The values used, after built-ins, defaults, environment and call."
    )
    ignored_variables: list[str] = strawberry.field(
        description="Given by the call, not defined by the persona."
    )
    tools: list[ToolDefinition] = strawberry.field(description="Pinned, for this channel.")
    knowledge_bases: list[KnowledgeBaseAttachment] = strawberry.field(
        description="Pinned, for this channel."
    )
    recalled: strawberry.Private[recall.ContactMemory | None]

    @strawberry.field(
        description="The contact's memory when the version has memory on and the call gives a "
        "contactId; null otherwise. Templates see it as the built-in `contact_memory`. Needs "
        "the RUNTIME or ADMIN role: for others a FORBIDDEN error, the rest of the answer intact."
    )
    def contact_memory(self, info: Info) -> ContactMemory | None:
        # The service read no memory for a role that may not (app.release.live): the same
        # table says so here.
        try:
            require(info.context.actor, Operation.READ_CONTACT_MEMORY)
        except Forbidden as refused:
            raise field_error(refused) from None
        return ContactMemory.of(self.recalled) if self.recalled is not None else None

    @classmethod
    def of(
        cls,
        answer: resolution.Resolution,
        recalled: recall.ContactMemory | None = None,
    ) -> Self:
        call = answer.call
        return cls(
            recalled=recalled,
            persona_id=strawberry.ID(ids.persona_id(answer.persona_id)),
            version=answer.version,
            name=answer.name,
            memory=answer.memory,
            channel=call.channel,
            requested_locale=Locale(call.locale) if call.locale else None,
            voice=voice_or_none(answer.voice),
            chat=chat_or_none(answer.chat),
            environment=call.environment,
            rollout_arm=answer.rollout_arm,
            resolution_id=strawberry.ID(answer.resolution_id),
            prompt=answer.prompt,
            first_message=answer.first_message,
            variables=cast(JSON, answer.variables),
            ignored_variables=answer.ignored_variables,
            tools=[ToolDefinition.of(definition) for definition in answer.tools],
            knowledge_bases=[
                shown
                for attachment in answer.knowledge_bases
                if (shown := KnowledgeBaseAttachment.of(attachment)) is not None
            ],
        )


def call_start(
    channel: Channel,
    locale: str | None,
    environment: str | None,
    contact_id: str | None,
    variables: object,
) -> resolution.CallStart:
    """The call's arguments, each refused with BAD_USER_INPUT when malformed."""
    if variables is not None and not isinstance(variables, dict):
        raise bad_user_input("variables must be a JSON object of variable names and values.")
    if contact_id is not None:
        contact_id = arguments.contact_id(contact_id)
    environment = resolution.PRODUCTION if environment is None else environment
    if len(environment) > MAX_ENVIRONMENT:
        raise bad_user_input(f"environment must be at most {MAX_ENVIRONMENT} characters.")
    return resolution.CallStart(
        channel=channel,
        locale=query_locale(locale),
        environment=environment,
        contact_id=contact_id,
        values=variables,
    )


def _error(message: str, code: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


Answer = tuple[resolution.Resolution | None, recall.ContactMemory | None]


async def answered(work: Callable[[], Awaitable[Answer]]) -> LiveConfiguration | None:
    """The resolution as GraphQL answers it; a call that cannot render is a coded error."""
    try:
        answer, recalled = await work()
    except MissingVariables as refused:
        names = ", ".join(refused.names)
        raise _error(
            f"Required variables have no value: {names}.",
            "MISSING_VARIABLES",
            variables=refused.names,
        ) from None
    except InvalidVariables as refused:
        message = f"Variables of the wrong type: {', '.join(refused.names)}."
        raise _error(message, "INVALID_VARIABLES", variables=refused.names) from None
    except RenderFailed as failed:
        raise _error(str(failed), "INVALID_TEMPLATE") from None
    except resolution.UnknownEnvironment as unknown:
        raise _error(str(unknown), "UNKNOWN_ENVIRONMENT") from None
    if answer is None:
        return None
    return LiveConfiguration.of(answer, recalled)
