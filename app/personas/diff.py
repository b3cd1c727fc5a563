"""The draft against production, one change per leaf, at stable readable paths."""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.personas.documents import Snapshot


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


def _leaves(path: str, before: BaseModel | None, after: BaseModel | None) -> list[FieldChange]:
    """One change for a whole object added or removed, else one per differing field."""
    if before is None or after is None:
        if before is after:
            return []
        return [FieldChange(path, _json(before), _json(after))]
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [
        FieldChange(f"{path}.{_camel(field)}", _json(old[field]), _json(new[field]))
        for field in type(after).model_fields
        if field != "locale" and old[field] != new[field]
    ]


def changes(production: Snapshot | None, draft: Snapshot) -> list[FieldChange]:
    """Everything is a change before the first publish; nothing right after one."""
    found: list[FieldChange] = []
    for field in ("name", "memory"):
        old = getattr(production, field) if production else None
        if old != getattr(draft, field):
            found.append(FieldChange(field, _json(old), _json(getattr(draft, field))))
    old_voices = production.voice_configurations if production else {}
    new_voices = draft.voice_configurations
    for locale in [*old_voices, *(key for key in new_voices if key not in old_voices)]:
        path = f"voiceConfigurations[{locale}]"
        found += _leaves(path, old_voices.get(locale), new_voices.get(locale))
    shared_old = [locale for locale in old_voices if locale in new_voices]
    shared_new = [locale for locale in new_voices if locale in old_voices]
    if shared_old != shared_new:
        # Same configurations in another order still change which locale is the fallback.
        found.append(FieldChange("voiceConfigurations.order", _json(shared_old), _json(shared_new)))
    found += _leaves(
        "chatConfiguration",
        production.chat_configuration if production else None,
        draft.chat_configuration,
    )
    return found
