"""Knowledge base inputs, payloads and mutations: translated here, decided in app.personas."""

from collections.abc import Awaitable, Callable

import strawberry

from app.library.knowledge import definitions, documents
from app.library.knowledge.addresses import AddressPolicy
from app.library.knowledge.fetching import PageFetcher
from app.personas import knowledge
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.personas.inputs import given
from graphql_schema.personas.knowledge import (
    KnowledgeBase,
    KnowledgeSourceKind,
    knowledge_base_object_id,
)


@strawberry.input
class KnowledgeSourceInput:
    kind: KnowledgeSourceKind
    title: str
    url: str | None = strawberry.UNSET
    text: str | None = strawberry.UNSET

    def to_spec(self) -> definitions.KnowledgeSourceSpec:
        return definitions.KnowledgeSourceSpec(
            kind=self.kind, title=self.title, url=given(self.url), text=given(self.text)
        )


def _specs(sources: list[KnowledgeSourceInput] | None) -> list[definitions.KnowledgeSourceSpec]:
    return [source.to_spec() for source in sources or []]


@strawberry.input
class KnowledgeBaseInput:
    name: str
    description: str | None = strawberry.UNSET
    sources: list[KnowledgeSourceInput] | None = strawberry.field(default_factory=list)

    def to_spec(self) -> definitions.KnowledgeBaseSpec:
        return definitions.KnowledgeBaseSpec(
            name=self.name, description=given(self.description), sources=_specs(self.sources)
        )


@strawberry.input(description="Sets the fields given; description: null clears it.")
class UpdateKnowledgeBaseInput:
    id: strawberry.ID
    expected_revision: int
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET

    def to_changes(self) -> definitions.KnowledgeBaseChanges:
        changes: dict[str, str | None] = {}
        if given(self.name) is not None:
            changes["name"] = self.name
        if self.description is not strawberry.UNSET:
            changes["description"] = self.description
        return definitions.KnowledgeBaseChanges(**changes)


@strawberry.input(description="Appends the sources after those the base has.")
class AddKnowledgeSourcesInput:
    knowledge_base_id: strawberry.ID
    expected_revision: int
    sources: list[KnowledgeSourceInput]


@strawberry.input
class RemoveKnowledgeSourceInput:
    knowledge_base_id: strawberry.ID
    expected_revision: int
    source_id: strawberry.ID


@strawberry.input(
    description="Fetches a URL source's page now (EDITOR): FETCH_FAILED says why not."
)
class RefreshKnowledgeSourceInput:
    knowledge_base_id: strawberry.ID
    expected_revision: int
    source_id: strawberry.ID


@strawberry.input(description="IN_USE while a draft attaches it.")
class DeleteKnowledgeBaseInput:
    id: strawberry.ID


@strawberry.type
class KnowledgeBasePayload:
    knowledge_base: KnowledgeBase | None
    user_errors: list[UserError]


@strawberry.type
class DeleteKnowledgeBasePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


async def _payload(call: Callable[[], Awaitable[documents.KnowledgeBase]]) -> KnowledgeBasePayload:
    base, errors = await attempt(call)
    return KnowledgeBasePayload(
        knowledge_base=KnowledgeBase.from_document(base) if base else None, user_errors=errors
    )


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation
    async def create_knowledge_base(
        self, info: Info, input: KnowledgeBaseInput
    ) -> KnowledgeBasePayload:
        return await _payload(
            lambda: knowledge.create_knowledge_base(info.context.actor, input.to_spec())
        )

    @strawberry.mutation
    async def update_knowledge_base(
        self, info: Info, input: UpdateKnowledgeBaseInput
    ) -> KnowledgeBasePayload:
        return await _payload(
            lambda: knowledge.update_knowledge_base(
                info.context.actor,
                knowledge_base_object_id(input.id, "id"),
                input.expected_revision,
                input.to_changes(),
            )
        )

    @strawberry.mutation
    async def add_knowledge_sources(
        self, info: Info, input: AddKnowledgeSourcesInput
    ) -> KnowledgeBasePayload:
        return await _payload(
            lambda: knowledge.add_knowledge_sources(
                info.context.actor,
                knowledge_base_object_id(input.knowledge_base_id, "knowledgeBaseId"),
                input.expected_revision,
                _specs(input.sources),
            )
        )

    @strawberry.mutation
    async def remove_knowledge_source(
        self, info: Info, input: RemoveKnowledgeSourceInput
    ) -> KnowledgeBasePayload:
        return await _payload(
            lambda: knowledge.remove_knowledge_source(
                info.context.actor,
                knowledge_base_object_id(input.knowledge_base_id, "knowledgeBaseId"),
                input.expected_revision,
                str(input.source_id),
            )
        )

    @strawberry.mutation(
        description="The source's text becomes its page's; the revision moves only if it changed."
    )
    async def refresh_knowledge_source(
        self, info: Info, input: RefreshKnowledgeSourceInput
    ) -> KnowledgeBasePayload:
        fetcher = info.context.page_fetcher or PageFetcher(AddressPolicy())
        return await _payload(
            lambda: knowledge.refresh_knowledge_source(
                info.context.actor,
                knowledge_base_object_id(input.knowledge_base_id, "knowledgeBaseId"),
                input.expected_revision,
                str(input.source_id),
                fetcher.fetch,
            )
        )

    @strawberry.mutation
    async def delete_knowledge_base(
        self, info: Info, input: DeleteKnowledgeBaseInput
    ) -> DeleteKnowledgeBasePayload:
        async def call() -> strawberry.ID:
            await knowledge.delete_knowledge_base(
                info.context.actor, knowledge_base_object_id(input.id, "id")
            )
            return input.id

        deleted, errors = await attempt(call)
        return DeleteKnowledgeBasePayload(deleted_id=deleted, user_errors=errors)
