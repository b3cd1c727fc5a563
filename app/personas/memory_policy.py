"""A persona's memory policy: whose memory it keeps, for how long, and how much a call start
gets. Versioned with the draft like every field; it matters only when `memory` is on."""

from enum import StrEnum

from pydantic import BaseModel

from app.platform.errors import Problem
from app.platform.text import Path

RETENTION_DAYS = (1, 3650)
RECALL_CONVERSATIONS = (0, 50)


class MemoryScope(StrEnum):
    # The persona's own memory space.
    PERSONA = "PERSONA"
    # One memory space shared by every WORKSPACE-scoped persona of the workspace.
    WORKSPACE = "WORKSPACE"


class MemoryPolicy(BaseModel):
    scope: MemoryScope = MemoryScope.PERSONA
    retention_days: int = 365
    recall_conversations: int = 5


def _in_range(value: int, limits: tuple[int, int], path: Path, label: str) -> list[Problem]:
    low, high = limits
    if low <= value <= high:
        return []
    return [Problem(path, f"{label} must be between {low} and {high}.")]


def check_policy(policy: MemoryPolicy, path: Path) -> list[Problem]:
    """Every range of the policy, each at its own field path under `path`."""
    return [
        *_in_range(
            policy.retention_days, RETENTION_DAYS, (*path, "retentionDays"), "Retention days"
        ),
        *_in_range(
            policy.recall_conversations,
            RECALL_CONVERSATIONS,
            (*path, "recallConversations"),
            "Recall conversations",
        ),
    ]
