"""Every stored document, bound together; older documents brought up to date."""

from beanie import Document

from app.access.documents import ApiKey, Workspace
from app.library.knowledge.documents import KnowledgeBase
from app.library.tools.documents import Tool
from app.memory.documents import Contact, Conversation, ErasureReceipt
from app.personas.documents import Persona, PersonaVersion
from app.platform.database import MongoDatabase, bind
from app.release.documents import Deployment, DeploymentChange, Environment
from app.release.schedule_documents import ScheduledPublish
from app.server.backfill import backfill

DOCUMENT_MODELS: list[type[Document]] = [
    Persona,
    PersonaVersion,
    Workspace,
    ApiKey,
    Tool,
    KnowledgeBase,
    Conversation,
    Contact,
    ErasureReceipt,
    Environment,
    Deployment,
    DeploymentChange,
    ScheduledPublish,
]


async def bind_all(database: MongoDatabase) -> None:
    """Bind every document to `database`, create their indexes, fill fields added since."""
    await bind(database, DOCUMENT_MODELS)
    await backfill(database)
