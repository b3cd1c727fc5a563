"""The draft against production, one change per leaf, at stable readable paths."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.personas.documents import Snapshot
from app.personas.references import draft_form


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: str | None
    after: str | None


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        value = {_camel(key): item for key, item in value.model_dump(mode="json").items()}
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _leaves(
    path: str, before: BaseModel | None, after: BaseModel | None, key: str | None = None
) -> list[FieldChange]:
    """One change for a whole object added or removed, else one per differing field but its key."""
    if before is None or after is None:
        if before is after:
            return []
        return [FieldChange(path, _json(before), _json(after))]
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [
        FieldChange(f"{path}.{_camel(field)}", _json(old[field]), _json(new[field]))
        for field in type(after).model_fields
        if field != key and old[field] != new[field]
    ]


def _keyed(
    label: str, old: Mapping[str, BaseModel], new: Mapping[str, BaseModel], key: str
) -> list[FieldChange]:
    """`label[key]` per item added, removed or changed, and `label.order` when the items both
    sides hold are in another order."""
    found: list[FieldChange] = []
    for name in [*old, *(name for name in new if name not in old)]:
        found += _leaves(f"{label}[{name}]", old.get(name), new.get(name), key)
    shared_old = [name for name in old if name in new]
    shared_new = [name for name in new if name in old]
    if shared_old != shared_new:
        found.append(FieldChange(f"{label}.order", _json(shared_old), _json(shared_new)))
    return found


def changes(production: Snapshot | None, draft: Snapshot) -> list[FieldChange]:
    """Everything is a change before the first publish; nothing right after one."""
    found: list[FieldChange] = []
    for field in ("name", "memory"):
        old = getattr(production, field) if production else None
        if old != getattr(draft, field):
            found.append(FieldChange(field, _json(old), _json(getattr(draft, field))))
    # Same configurations in another order still change which locale is the fallback.
    found += _keyed(
        "voiceConfigurations",
        production.voice_configurations if production else {},
        draft.voice_configurations,
        "locale",
    )
    found += _leaves(
        "chatConfiguration",
        production.chat_configuration if production else None,
        draft.chat_configuration,
    )
    running = draft_form(production) if production else None
    # Attachment lists are ordered, but each names a tool or base once: compared by id.
    found += _keyed(
        "tools",
        {str(a.tool_id): a for a in running.tools} if running else {},
        {str(a.tool_id): a for a in draft.tools},
        "tool_id",
    )
    found += _keyed(
        "knowledgeBases",
        {str(a.knowledge_base_id): a for a in running.knowledge_bases} if running else {},
        {str(a.knowledge_base_id): a for a in draft.knowledge_bases},
        "knowledge_base_id",
    )
    # Variables are a list, but their names are unique: compared by name, like locales.
    found += _keyed(
        "variables",
        {variable.name: variable for variable in production.variables} if production else {},
        {variable.name: variable for variable in draft.variables},
        "name",
    )
    found += _leaves(
        "memoryPolicy",
        production.memory_policy if production else None,
        draft.memory_policy,
    )
    return found
