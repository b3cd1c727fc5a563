"""The door for keys beside the role ladder (RUNTIME): a request asking for anything else is
refused whole, with a FORBIDDEN error and no data, before any resolver runs.

Each root field is an operation of app.access.permissions, and so is each library type a field
may return (a persona, a tool or a knowledge base as it is now). A RUNTIME request is checked
field by field, through aliases, fragments and inline fragments, against that table; a root
field missing from FIELDS is refused, so a new field stays closed to RUNTIME until it is
named here. Ladder roles pass untouched: the services refuse them operation by operation,
as userErrors for mutations and as field errors for queries.

`__typename` and introspection (`__schema`, `__type`) are allowed: they show the schema,
which is the same for every key and printed in the repository, never a workspace's data.
Over a websocket the refusal is the `error` message of that subscribe; the socket stays open.
"""

from collections import OrderedDict
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from app.access.permissions import Operation, allowed
from app.access.principal import LADDER, Role
from graphql_schema.context import Context

Op = Operation
# Every field of Query, Mutation and Subscription, by schema coordinate. Names of PART 3 that
# are not served yet are here already, so that the table is whole when they come.
FIELDS: dict[str, Operation] = {
    "Query.node": Op.READ_NODE,
    "Query.persona": Op.READ_PERSONAS,
    "Query.personas": Op.READ_PERSONAS,
    "Query.voices": Op.READ_VOICES,
    "Query.languageModels": Op.READ_LANGUAGE_MODELS,
    "Query.tools": Op.READ_TOOLS,
    "Query.tool": Op.READ_TOOLS,
    "Query.knowledgeBases": Op.READ_KNOWLEDGE_BASES,
    "Query.knowledgeBase": Op.READ_KNOWLEDGE_BASES,
    "Query.searchKnowledgeBase": Op.READ_KNOWLEDGE_BASES,
    "Query.liveConfiguration": Op.LIVE_CONFIGURATION,
    "Query.retrieveKnowledge": Op.RETRIEVE_KNOWLEDGE,
    "Query.contactMemory": Op.READ_CONTACT_MEMORY,
    "Query.erasureReceipts": Op.READ_ERASURE_RECEIPTS,
    "Query.apiKeys": Op.READ_API_KEYS,
    "Query.environments": Op.READ_ENVIRONMENTS,
    "Mutation.createPersona": Op.EDIT_DRAFT,
    "Mutation.updatePersona": Op.EDIT_DRAFT,
    "Mutation.setVoiceConfiguration": Op.EDIT_DRAFT,
    "Mutation.removeVoiceConfiguration": Op.EDIT_DRAFT,
    "Mutation.setChatConfiguration": Op.EDIT_DRAFT,
    "Mutation.setPersonaVariables": Op.EDIT_DRAFT,
    "Mutation.setPersonaTools": Op.EDIT_DRAFT,
    "Mutation.setPersonaKnowledgeBases": Op.EDIT_DRAFT,
    "Mutation.setPersonaMemoryPolicy": Op.EDIT_DRAFT,
    "Mutation.discardDraft": Op.DISCARD_DRAFT,
    "Mutation.restorePersonaVersion": Op.RESTORE_VERSION,
    "Mutation.deletePersona": Op.DELETE_PERSONA,
    "Mutation.createTool": Op.EDIT_TOOLS,
    "Mutation.updateTool": Op.EDIT_TOOLS,
    "Mutation.deleteTool": Op.EDIT_TOOLS,
    "Mutation.createKnowledgeBase": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.updateKnowledgeBase": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.addKnowledgeSources": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.removeKnowledgeSource": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.deleteKnowledgeBase": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.refreshKnowledgeSource": Op.EDIT_KNOWLEDGE_BASES,
    "Mutation.publishPersona": Op.PUBLISH,
    "Mutation.rollbackPersona": Op.ROLLBACK,
    "Mutation.deployPersonaVersion": Op.DEPLOY,
    "Mutation.startRollout": Op.ROLLOUT,
    "Mutation.setRolloutPercent": Op.ROLLOUT,
    "Mutation.completeRollout": Op.ROLLOUT,
    "Mutation.abortRollout": Op.ROLLOUT,
    "Mutation.schedulePublish": Op.SCHEDULE_PUBLISH,
    "Mutation.cancelScheduledPublish": Op.SCHEDULE_PUBLISH,
    "Mutation.recordConversation": Op.RECORD_CONVERSATION,
    "Mutation.forgetContact": Op.FORGET_CONTACT,
    "Mutation.createApiKey": Op.MANAGE_API_KEYS,
    "Mutation.revokeApiKey": Op.MANAGE_API_KEYS,
    "Mutation.createEnvironment": Op.MANAGE_ENVIRONMENTS,
    "Mutation.setEnvironmentVariables": Op.MANAGE_ENVIRONMENTS,
    "Mutation.deleteEnvironment": Op.MANAGE_ENVIRONMENTS,
    "Subscription.personaPublished": Op.SUBSCRIBE_PUBLISHES,
    "Subscription.deploymentChanged": Op.SUBSCRIBE_PUBLISHES,
    # Nested fields that read beyond what the field holding them answers.
    "Persona.versions": Op.READ_VERSIONS,
    "Persona.readiness": Op.READ_PREVIEW,
    "Persona.scheduledPublishes": Op.READ_VERSIONS,
    "Persona.preview": Op.READ_PREVIEW,
    "LiveConfiguration.contactMemory": Op.READ_CONTACT_MEMORY,
}
# Whatever field returns one of these reads it: a call-start answer holds pinned copies
# (ToolDefinition, KnowledgeBaseDefinition), so `KnowledgeBaseAttachment.knowledgeBase`, the
# base as it is now, is a library read.
TYPES: dict[str, Operation] = {
    "Persona": Op.READ_PERSONAS,
    "PersonaVersion": Op.READ_VERSIONS,
    "Deployment": Op.READ_VERSIONS,
    "DeploymentChange": Op.READ_VERSIONS,
    "Tool": Op.READ_TOOLS,
    "KnowledgeBase": Op.READ_KNOWLEDGE_BASES,
    "Readiness": Op.READ_PREVIEW,
    "ApiKey": Op.READ_API_KEYS,
    "ContactMemory": Op.READ_CONTACT_MEMORY,
    "ErasureReceipt": Op.READ_ERASURE_RECEIPTS,
    "Environment": Op.READ_ENVIRONMENTS,
    "ScheduledPublish": Op.READ_VERSIONS,
}
FORBIDDEN = "FORBIDDEN"
# Verdicts by (schema, query text, operation name, role): a runtime sends the same few queries.
MAX_VERDICTS = 1_000


def _selections(
    schema: GraphQLSchema, document: DocumentNode, root: GraphQLObjectType, top: SelectionSetNode
) -> Iterator[tuple[GraphQLObjectType | GraphQLInterfaceType, FieldNode]]:
    """Every field the operation selects with the type it is selected on, fragments expanded
    once each (a fragment's type is its own condition, wherever it is spread)."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    seen: set[str] = set()
    stack: list[tuple[GraphQLNamedType | None, SelectionSetNode]] = [(root, top)]
    while stack:
        parent, selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    continue  # a union selects only __typename; validation refuses the rest
                yield parent, selection
                field = parent.fields.get(selection.name.value)
                if field is not None and selection.selection_set is not None:
                    stack.append((get_named_type(field.type), selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = parent if condition is None else schema.get_type(condition.name.value)
                stack.append((on, selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    on = schema.get_type(fragment.type_condition.name.value)
                    stack.append((on, fragment.selection_set))


def _may_use(
    role: Role, parent: GraphQLObjectType | GraphQLInterfaceType, node: FieldNode, is_root: bool
) -> bool:
    name = node.name.value
    if name.startswith("__"):
        return True
    field = parent.fields.get(name)
    if field is None:
        return True  # not in the schema: validation refuses it, or already has
    operation = FIELDS.get(f"{parent.name}.{name}")
    if operation is None and is_root:
        return False
    if operation is not None and not allowed(role, operation):
        return False
    # A fragment on a library type reads it wherever an interface lets it be spread.
    selected_on = TYPES.get(parent.name)
    if selected_on is not None and not allowed(role, selected_on):
        return False
    returned = TYPES.get(get_named_type(field.type).name)
    return returned is None or allowed(role, returned)


def refusal(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, role: Role
) -> GraphQLError | None:
    """Why `role` may not run this operation of the document, or None if it may."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None  # graphql-core says which operation is missing
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    for parent, node in _selections(schema, document, root, operation.selection_set):
        if not _may_use(role, parent, node, parent is root):
            field = node.name.value  # a schema name, never the client's alias
            coordinate = field if parent is root else f"{parent.name}.{field}"
            usable = _usable(schema, role)
            message = f"A {role} key may not use {coordinate}; it may use only {usable}."
            return GraphQLError(message, extensions={"code": FORBIDDEN})
    return None


def _usable(schema: GraphQLSchema, role: Role) -> str:
    """The root fields this schema serves that `role` may use."""
    roots = {
        root.name: root
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
    }
    fields = []
    for coordinate, operation in FIELDS.items():
        type_name, _, field = coordinate.partition(".")
        if type_name in roots and field in roots[type_name].fields and allowed(role, operation):
            fields.append(field)
    return ", ".join(fields) or "nothing"


class _Verdicts:
    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str, str | None, Role], GraphQLError | None] = (
            OrderedDict()
        )

    def get(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str | None,
        operation_name: str | None,
        role: Role,
    ) -> GraphQLError | None:
        if query is None:
            return refusal(schema, document, operation_name, role)
        key = (id(schema), query, operation_name, role)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        verdict = self._kept[key] = refusal(schema, document, operation_name, role)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return verdict


_verdicts = _Verdicts(MAX_VERDICTS)


class GuardRoles(SchemaExtension):
    """Refuses, as a validation error, what a role beside the ladder may not ask for.

    Registered after CachedValidation: it acts only on a document that validated, and an error
    it adds here, before validation ends, keeps the operation from executing at all.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        principal = context.context.principal if isinstance(context.context, Context) else None
        document = context.graphql_document
        if (
            principal is not None
            and principal.role not in LADDER
            and document is not None
            and not context.pre_execution_errors
        ):
            error = _verdicts.get(
                context.schema._schema,
                document,
                context.query,
                context.operation_name,
                principal.role,
            )
            if error is not None:
                # A fresh error each time: a response's errors may be changed after this.
                context.pre_execution_errors = [
                    GraphQLError(error.message, extensions=error.extensions)
                ]
        yield
