"""recordConversation (RUNTIME or ADMIN) and forgetContact (ADMIN): refusals are userErrors."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from app.library.catalog import Channel
from app.memory import erasure, recording
from app.platform.clock import utcnow
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.memory.types import ConversationMemory, ErasureReceipt


@strawberry.input
class RecordConversationInput:
    persona_id: strawberry.ID
    version: int = strawberry.field(description="LiveConfiguration.version of the call.")
    channel: Channel
    contact_id: str = strawberry.field(description="1 .. 256 characters, as given at call start.")
    summary: str
    facts: JSON | None = strawberry.field(
        default=None, description="Merged into the contact's facts; a null value deletes a key."
    )
    ended_at: datetime | None = strawberry.field(
        default=None,
        description="Default now; not in the future, not before the version was published.",
    )
    resolution_id: strawberry.ID | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1 .. 128 characters: a retried record with the same key stores nothing "
        "twice and answers the first record.",
    )


@strawberry.type
class RecordConversationPayload:
    conversation: ConversationMemory | None
    user_errors: list[UserError]


@strawberry.input(description="Every memory space of the workspace when personaId is null.")
class ForgetContactInput:
    contact_id: str
    persona_id: strawberry.ID | None = None


@strawberry.type
class ForgetContactPayload:
    receipt: ErasureReceipt | None
    user_errors: list[UserError]


@strawberry.type
class MemoryMutation:
    @strawberry.mutation(description="MEMORY_DISABLED: that version has memory off.")
    async def record_conversation(
        self, info: Info, input: RecordConversationInput
    ) -> RecordConversationPayload:
        async def record() -> ConversationMemory:
            record = recording.Record(
                persona_id=ids.decode_object_id(input.persona_id, "Persona"),
                version=input.version,
                channel=input.channel,
                contact_id=input.contact_id,
                summary=input.summary,
                facts=input.facts,
                ended_at=input.ended_at,
                resolution_id=input.resolution_id,
                idempotency_key=input.idempotency_key,
            )
            stored = await recording.record_conversation(info.context.actor, record, utcnow())
            return ConversationMemory.of(stored)

        conversation, errors = await attempt(record)
        return RecordConversationPayload(conversation=conversation, user_errors=errors)

    @strawberry.mutation(description="ADMIN. Answers a receipt that keeps no content.")
    async def forget_contact(self, info: Info, input: ForgetContactInput) -> ForgetContactPayload:
        persona = ids.decode_object_id(input.persona_id or "", "Persona")

        async def forget() -> ErasureReceipt:
            receipt = await erasure.forget_contact(
                info.context.actor, input.contact_id, input.persona_id is not None, persona
            )
            return ErasureReceipt.of(receipt)

        receipt, errors = await attempt(forget)
        return ForgetContactPayload(receipt=receipt, user_errors=errors)
