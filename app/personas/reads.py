"""Read paths: published versions, and the production configuration live traffic runs on."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.personas.documents import (
    Persona,
    PersonaVersion,
    version_slot,
)


async def find_persona(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId
) -> Persona | None:
    # A flat filter: the embedded database serves it from the identity index ($and it scans).
    found = await Persona.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "_id": persona_id}
    )
    return Persona.model_validate(found) if found else None


async def persona_exists(workspace_id: PydanticObjectId, persona_id: PydanticObjectId) -> bool:
    found = await Persona.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "_id": persona_id}, {"_id": 1}
    )
    return found is not None


async def get_version(persona_id: PydanticObjectId, version: int) -> PersonaVersion | None:
    found = await PersonaVersion.get_pymongo_collection().find_one(
        {"persona_id": persona_id, "version": version}
    )
    return PersonaVersion.model_validate(found) if found else None


@dataclass(frozen=True)
class VersionWindow:
    """Versions `newest`, `newest - 1` ... down to at most `size` of them (1 is the oldest)."""

    persona_id: PydanticObjectId
    newest: int
    size: int

    @property
    def slots(self) -> list[str]:
        oldest = max(1, self.newest - self.size + 1)
        return [version_slot(self.persona_id, v) for v in range(self.newest, oldest - 1, -1)]

    @property
    def has_next(self) -> bool:
        return self.newest - self.size >= 1


def version_window(persona: Persona, first: int, before_version: int | None) -> VersionWindow:
    # Versions are one contiguous sequence per persona, 1 to the newest.
    latest = persona.newest_version
    newest = latest if before_version is None else min(latest, before_version - 1)
    assert persona.id is not None
    return VersionWindow(persona.id, max(0, newest), first)


async def versions_in(windows: list[VersionWindow]) -> list[list[PersonaVersion]]:
    """The versions of each window, newest first, in one query whatever the number of windows."""
    slots = [slot for window in windows for slot in window.slots]
    if not slots:
        return [[] for _ in windows]
    rows = await PersonaVersion.get_pymongo_collection().find({"slot": {"$in": slots}}).to_list()
    by_slot = {row["slot"]: PersonaVersion.model_validate(row) for row in rows}
    return [[by_slot[slot] for slot in window.slots if slot in by_slot] for window in windows]
