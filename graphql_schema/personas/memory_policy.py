"""A persona's memory policy over GraphQL: the versioned field, and setPersonaMemoryPolicy."""

from typing import Self

import strawberry

from app.personas import drafts, memory_policy
from graphql_schema.context import Info
from graphql_schema.personas.mutations import PersonaPayload, _edit

strawberry.enum(memory_policy.MemoryScope)
MemoryScope = memory_policy.MemoryScope

DEFAULTS = memory_policy.MemoryPolicy()


@strawberry.type(description="Used only when memory is true.")
class MemoryPolicy:
    scope: MemoryScope
    retention_days: int = strawberry.field(
        description=(
            "1 .. 3650: a conversation is never served, and is deleted, after endedAt + "
            "retentionDays; facts after their last change + retentionDays"
        )
    )
    recall_conversations: int = strawberry.field(
        description="0 .. 50: how many of the newest conversations a call start gets"
    )

    @classmethod
    def from_document(cls, policy: memory_policy.MemoryPolicy) -> Self:
        return cls(
            scope=policy.scope,
            retention_days=policy.retention_days,
            recall_conversations=policy.recall_conversations,
        )


@strawberry.input
class MemoryPolicyInput:
    scope: MemoryScope = DEFAULTS.scope
    retention_days: int = DEFAULTS.retention_days
    recall_conversations: int = DEFAULTS.recall_conversations

    def to_document(self) -> memory_policy.MemoryPolicy:
        return memory_policy.MemoryPolicy(
            scope=self.scope,
            retention_days=self.retention_days,
            recall_conversations=self.recall_conversations,
        )


@strawberry.input(description="Replaces the draft's memory policy.")
class SetPersonaMemoryPolicyInput:
    persona_id: strawberry.ID
    expected_revision: int
    policy: MemoryPolicyInput


@strawberry.type
class MemoryPolicyMutation:
    @strawberry.mutation
    async def set_persona_memory_policy(
        self, info: Info, input: SetPersonaMemoryPolicyInput
    ) -> PersonaPayload:
        return await _edit(info, input, drafts.set_memory_policy, input.policy.to_document())
