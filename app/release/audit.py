"""Reads for showing releases: the deployments of many personas at once, the versions they
name, and the record of every change, newest first.

Batched so that a page of personas costs one query for all their deployments and one for
all the versions those deployments serve, whatever the page's size.
"""

from beanie import PydanticObjectId

from app.personas.documents import PersonaVersion, version_slot
from app.release.documents import PRODUCTION, Deployment, DeploymentChange

PersonaKey = tuple[PydanticObjectId, PydanticObjectId]  # (workspace, persona)
VersionKey = tuple[PydanticObjectId, int]  # (persona, version number)


def _placed(deployment: Deployment) -> tuple[bool, str]:
    return deployment.environment != PRODUCTION, deployment.environment


async def deployments_in(keys: list[PersonaKey]) -> list[list[Deployment]]:
    """Each persona's deployments, production first, then by name; one query per workspace."""
    by_workspace: dict[PydanticObjectId, set[PydanticObjectId]] = {}
    for workspace_id, persona_id in keys:
        by_workspace.setdefault(workspace_id, set()).add(persona_id)
    found: dict[PersonaKey, list[Deployment]] = {}
    for workspace_id, persona_ids in by_workspace.items():
        # The "slot" index, (workspace, persona, environment), serves this.
        rows = (
            await Deployment.get_pymongo_collection()
            .find({"workspace_id": workspace_id, "persona_id": {"$in": sorted(persona_ids)}})
            .to_list()
        )
        for row in rows:
            deployment = Deployment.model_validate(row)
            found.setdefault((workspace_id, deployment.persona_id), []).append(deployment)
    return [sorted(found.get(key, []), key=_placed) for key in keys]


async def versions_numbered(keys: list[VersionKey]) -> list[PersonaVersion | None]:
    """The versions named by (persona, number), in one query."""
    slots = [version_slot(persona_id, number) for persona_id, number in keys]
    if not slots:
        return []
    rows = (
        await PersonaVersion.get_pymongo_collection()
        .find({"slot": {"$in": sorted(set(slots))}})
        .to_list()
    )
    by_slot = {row["slot"]: PersonaVersion.model_validate(row) for row in rows}
    return [by_slot.get(slot) for slot in slots]


async def history_of(
    workspace_id: PydanticObjectId,
    persona_id: PydanticObjectId,
    environment: str | None,
    first: int,
) -> list[DeploymentChange]:
    """The persona's newest `first` deployment changes, in one environment or all of them."""
    where: dict[str, object] = {"workspace_id": workspace_id, "persona_id": persona_id}
    if environment is not None:
        where["environment"] = environment
    # Ids are made when a change commits, so they order the changes of an environment: the
    # "history" index serves one environment's newest first.
    rows = (
        await DeploymentChange.get_pymongo_collection()
        .find(where)
        .sort("_id", -1)
        .limit(first)
        .to_list()
    )
    return [DeploymentChange.model_validate(row) for row in rows]
