"""What each environment serves of a persona, and the one way that changes.

Every change (publish, rollback, deploy, rollout step) is one transaction: the new version
if the change makes one, the deployment conditioned on the serial that was read, the
persona's production when production's version moves, and a DeploymentChange recording it.
A change planned from a state someone else already changed is `Lost`: nothing is written.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from app.personas.documents import Persona, PersonaVersion, Production
from app.personas.reads import get_version
from app.personas.store import as_read, changed_fields
from app.platform.clock import utcnow
from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.transactions import run_transaction
from app.release.documents import (
    PRODUCTION,
    ChangeKind,
    Deployment,
    DeploymentChange,
    DeploymentState,
)
from app.release.environments import guard_environment


class Lost(Exception):
    """Another change landed between the read this change was planned on and its write."""


class DeploymentConflict(DomainError):
    """The change does not fit what the environment serves now."""

    def __init__(self, message: str, path: tuple[str, ...] = ("environment",)) -> None:
        super().__init__([Problem(path, message, ErrorCode.CONFLICT)])


LOST = "Another change to what {} serves landed first; nothing was changed: reload and retry."


async def find_deployment(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId, environment: str
) -> Deployment | None:
    found = await Deployment.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "persona_id": persona_id, "environment": environment}
    )
    if found is None:
        return None
    deployment: Deployment = Deployment.model_validate(found)
    return deployment


async def deployments_of(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId
) -> list[Deployment]:
    """Every environment the persona is deployed to, production first, then by name."""
    rows = (
        await Deployment.get_pymongo_collection()
        .find({"workspace_id": workspace_id, "persona_id": persona_id})
        .to_list()
    )
    found = [Deployment.model_validate(row) for row in rows]
    return sorted(found, key=lambda d: (d.environment != PRODUCTION, d.environment))


async def served_version(persona: Persona, deployment: Deployment | None) -> Production | None:
    """The version `deployment` serves, read from the persona where production holds it."""
    if deployment is None:
        return None
    production = persona.production
    if production is not None and production.version == deployment.version:
        return production
    assert persona.id is not None
    version = await get_version(persona.id, deployment.version)
    return version.as_production() if version is not None else None


@dataclass(frozen=True)
class Change:
    persona: Persona  # as read
    environment: str
    current: Deployment | None  # as read: the change is conditioned on its serial
    after: DeploymentState
    kind: ChangeKind
    by: str
    note: str | None = None
    version: PersonaVersion | None = None  # a version the change publishes
    production: Production | None = None  # the persona's production, when it moves
    draft_read: bool = False  # publishing the draft: it must still be as it was read
    schedule_id: PydanticObjectId | None = None
    at: datetime = field(default_factory=utcnow)
    # More writes that land with the change or not at all (a schedule marked done); raise
    # Lost from it to write nothing.
    also: Callable[[AsyncClientSession], Awaitable[None]] | None = None


def next_state(current: Deployment | None, **changes: Any) -> DeploymentState:
    """`current` changed, its serial one further; a first deployment starts at serial 1."""
    if current is None:
        return DeploymentState.model_validate({**changes, "serial": 1})
    return current.state().model_copy(update={**changes, "serial": current.serial + 1})


def serving(
    persona: Persona,
    environment: str,
    current: Deployment | None,
    served: Production,
    kind: ChangeKind,
    by: str,
    note: str | None,
    at: datetime,
    version: PersonaVersion | None = None,
) -> Change:
    """The change after which `environment` serves `served` to everyone (a rollout ends);
    `version` when the change makes it."""
    after = next_state(
        current,
        version=served.version,
        deployed_at=at,
        deployed_by=by,
        note=note,
        replaced=current.version if current is not None else None,
        rollout=None,
    )
    return Change(
        persona=persona,
        environment=environment,
        current=current,
        after=after,
        kind=kind,
        by=by,
        note=note,
        version=version,
        production=served if environment == PRODUCTION else None,
        at=at,
    )


async def commit(change: Change) -> tuple[Persona, Deployment, DeploymentChange]:
    """Write `change` whole or nothing of it (Lost); the persona, deployment and record as
    stored."""
    persona = change.persona
    assert persona.id is not None
    moved = persona
    if change.production is not None or change.version is not None:
        update: dict[str, Any] = {}
        if change.production is not None:
            update["production"] = change.production
            update["updated_at"] = change.at
        if change.version is not None:
            update["latest_version"] = change.version.version
        moved = persona.model_copy(update=update)
    deployment = Deployment(
        workspace_id=persona.workspace_id,
        persona_id=persona.id,
        environment=change.environment,
        **change.after.model_dump(),
    )
    record = DeploymentChange(
        id=PydanticObjectId(),
        workspace_id=persona.workspace_id,
        persona_id=persona.id,
        environment=change.environment,
        kind=change.kind,
        deployment=change.after,
        replaced=change.current.state() if change.current is not None else None,
        published=change.version.version if change.version is not None else None,
        schedule_id=change.schedule_id,
        by=change.by,
        note=change.note,
        at=change.at,
    )

    async def write(session: AsyncClientSession) -> None:
        # Deleting the environment writes it too: the two never both commit.
        if not await guard_environment(persona.workspace_id, change.environment, session):
            raise Lost()
        if change.version is not None:
            await PersonaVersion.get_pymongo_collection().insert_one(
                change.version.model_dump(by_alias=True), session=session
            )
        await _write_deployment(change, deployment, session)
        if moved is not persona:
            condition = as_read(persona) if change.draft_read else _identity(persona)
            names: tuple[str, ...] = ()
            names += ("production", "updated_at") if change.production is not None else ()
            names += ("latest_version",) if change.version is not None else ()
            result = await Persona.get_pymongo_collection().update_one(
                condition, changed_fields(moved, names), session=session
            )
            if not result.matched_count:
                raise Lost()
        await DeploymentChange.get_pymongo_collection().insert_one(
            record.model_dump(by_alias=True), session=session
        )
        if change.also is not None:
            await change.also(session)

    try:
        await run_transaction(
            Persona.get_pymongo_collection().database.client, write, path=("personaId",)
        )
    except DuplicateKeyError:
        raise Lost() from None
    return moved, deployment, record


def _identity(persona: Persona) -> dict[str, Any]:
    return {"workspace_id": persona.workspace_id, "_id": persona.id}


async def _write_deployment(
    change: Change, deployment: Deployment, session: AsyncClientSession
) -> None:
    collection = Deployment.get_pymongo_collection()
    stored = deployment.model_dump(by_alias=True, exclude={"id"})
    if change.current is None:
        await collection.insert_one(stored, session=session)
        return
    result = await collection.update_one(
        {
            "workspace_id": deployment.workspace_id,
            "persona_id": deployment.persona_id,
            "environment": deployment.environment,
            "serial": change.current.serial,
        },
        {"$set": stored},
        session=session,
    )
    if not result.matched_count:
        raise Lost()
