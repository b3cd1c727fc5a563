"""Deleting a persona: its draft, its published history, its deployments and their record, its
own contact memory, and what this process serves live."""

from beanie import PydanticObjectId

from app.access.principal import Principal
from app.memory.erasure import drop_persona_memory
from app.personas import drafts
from app.release.documents import Deployment, DeploymentChange
from app.release.livecache import forget_here


async def delete_persona(actor: Principal, persona_id: PydanticObjectId) -> None:
    await drafts.delete_persona(actor, persona_id)
    await drop_persona_memory(actor.workspace_id, persona_id)
    for model in (Deployment, DeploymentChange):
        await model.get_pymongo_collection().delete_many(
            {"workspace_id": actor.workspace_id, "persona_id": persona_id}
        )
    # Other processes hear of it from the change stream; this one reads its own write now.
    forget_here(persona_id)
