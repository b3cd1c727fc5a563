"""Who may do what: every operation the API serves, and the roles allowed it, in one table.

Services call `require(actor, Operation.X)` before they change anything; the GraphQL layer
reads the same table to turn a RUNTIME key away at the door (graphql_schema/access). The
ladder VIEWER < EDITOR < PUBLISHER < ADMIN is spelt out here with `at_least`; RUNTIME is
named wherever it is allowed and nowhere else, and ADMIN gets a RUNTIME operation only
where a row says so (the contract gives ADMIN contact memory, not retrieval by rank).
"""

from enum import StrEnum

from app.access.principal import Forbidden, Principal, Role, at_least


class Operation(StrEnum):
    # Reads of the workspace (contact memory excepted).
    READ_PERSONAS = "READ_PERSONAS"  # persona, personas
    READ_NODE = "READ_NODE"  # node(id): any object by its global id
    READ_VERSIONS = "READ_VERSIONS"  # a persona's versions and production
    READ_PREVIEW = "READ_PREVIEW"  # Persona.readiness and Persona.preview
    READ_TOOLS = "READ_TOOLS"
    READ_KNOWLEDGE_BASES = "READ_KNOWLEDGE_BASES"  # also searchKnowledgeBase
    READ_VOICES = "READ_VOICES"
    READ_LANGUAGE_MODELS = "READ_LANGUAGE_MODELS"
    SUBSCRIBE_PUBLISHES = "SUBSCRIBE_PUBLISHES"  # personaPublished
    READ_ENVIRONMENTS = "READ_ENVIRONMENTS"  # environments
    # Changes.
    EDIT_DRAFT = "EDIT_DRAFT"  # create, update, configure, variables, attachments, memory policy
    DELETE_PERSONA = "DELETE_PERSONA"
    EDIT_TOOLS = "EDIT_TOOLS"
    EDIT_KNOWLEDGE_BASES = "EDIT_KNOWLEDGE_BASES"  # also refreshing a URL source
    PUBLISH = "PUBLISH"
    ROLLBACK = "ROLLBACK"
    RESTORE_VERSION = "RESTORE_VERSION"
    DEPLOY = "DEPLOY"  # deployPersonaVersion
    ROLLOUT = "ROLLOUT"  # start, set, complete and abort rollouts
    SCHEDULE_PUBLISH = "SCHEDULE_PUBLISH"  # schedulePublish, cancelScheduledPublish
    DISCARD_DRAFT = "DISCARD_DRAFT"
    READ_API_KEYS = "READ_API_KEYS"
    MANAGE_API_KEYS = "MANAGE_API_KEYS"  # createApiKey, revokeApiKey
    # createEnvironment, setEnvironmentVariables, deleteEnvironment
    MANAGE_ENVIRONMENTS = "MANAGE_ENVIRONMENTS"
    # What a call or chat needs while it runs.
    LIVE_CONFIGURATION = "LIVE_CONFIGURATION"
    RETRIEVE_KNOWLEDGE = "RETRIEVE_KNOWLEDGE"  # retrieveKnowledge
    RETRIEVAL_ENDPOINT = "RETRIEVAL_ENDPOINT"  # POST /retrieval
    RECORD_CONVERSATION = "RECORD_CONVERSATION"
    # Contact memory is personal data.
    READ_CONTACT_MEMORY = "READ_CONTACT_MEMORY"  # contactMemory, LiveConfiguration.contactMemory
    FORGET_CONTACT = "FORGET_CONTACT"
    READ_ERASURE_RECEIPTS = "READ_ERASURE_RECEIPTS"


_READERS = at_least(Role.VIEWER)
_EDITORS = at_least(Role.EDITOR)
_PUBLISHERS = at_least(Role.PUBLISHER)
_ADMINS = at_least(Role.ADMIN)
_RUNTIME = frozenset({Role.RUNTIME})

PERMISSIONS: dict[Operation, frozenset[Role]] = {
    Operation.READ_PERSONAS: _READERS,
    Operation.READ_NODE: _READERS,
    Operation.READ_VERSIONS: _READERS,
    Operation.READ_PREVIEW: _READERS,
    Operation.READ_TOOLS: _READERS,
    Operation.READ_KNOWLEDGE_BASES: _READERS,
    Operation.READ_VOICES: _READERS,
    Operation.READ_LANGUAGE_MODELS: _READERS,
    Operation.SUBSCRIBE_PUBLISHES: _READERS,
    Operation.READ_ENVIRONMENTS: _READERS,
    Operation.EDIT_DRAFT: _EDITORS,
    Operation.DELETE_PERSONA: _EDITORS,
    Operation.EDIT_TOOLS: _EDITORS,
    Operation.EDIT_KNOWLEDGE_BASES: _EDITORS,
    Operation.PUBLISH: _PUBLISHERS,
    Operation.ROLLBACK: _PUBLISHERS,
    Operation.RESTORE_VERSION: _PUBLISHERS,
    Operation.DEPLOY: _PUBLISHERS,
    Operation.ROLLOUT: _PUBLISHERS,
    Operation.SCHEDULE_PUBLISH: _PUBLISHERS,
    Operation.DISCARD_DRAFT: _PUBLISHERS,
    Operation.READ_API_KEYS: _ADMINS,
    Operation.MANAGE_API_KEYS: _ADMINS,
    Operation.MANAGE_ENVIRONMENTS: _ADMINS,
    Operation.LIVE_CONFIGURATION: _READERS | _RUNTIME,
    Operation.RETRIEVE_KNOWLEDGE: _READERS | _RUNTIME,
    Operation.RETRIEVAL_ENDPOINT: _READERS | _RUNTIME,
    Operation.RECORD_CONVERSATION: _RUNTIME | {Role.ADMIN},
    Operation.READ_CONTACT_MEMORY: _RUNTIME | {Role.ADMIN},
    Operation.FORGET_CONTACT: _ADMINS,
    Operation.READ_ERASURE_RECEIPTS: _ADMINS,
}


def allowed(role: Role, operation: Operation) -> bool:
    return role in PERMISSIONS[operation]


def require(actor: Principal, operation: Operation) -> None:
    """Raise Forbidden, naming the roles that may, unless the actor's role may do this."""
    roles = PERMISSIONS[operation]
    if actor.role not in roles:
        raise Forbidden(roles)
