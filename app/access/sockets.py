"""How many websockets one API key, and one workspace, may hold open in this process.

Counted per process: with `--workers N` each worker keeps its own counts, so the caps
hold per worker (documented in the README). A slot is taken once the socket's key is
known (connection_init) and given back when the socket ends, however it ends.
"""

from collections import Counter
from dataclasses import dataclass, field

from beanie import PydanticObjectId

from app.access.principal import Principal

DEFAULT_PER_KEY = 50
DEFAULT_PER_WORKSPACE = 500
TOO_MANY = 4429


class SocketRefused(Exception):
    """The socket may not open: close it with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(eq=False)
class SocketSlot:
    quota: "SocketQuota"
    key_id: PydanticObjectId | None
    workspace_id: PydanticObjectId
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self.quota._give_back(self)


@dataclass
class SocketQuota:
    per_key: int = DEFAULT_PER_KEY
    per_workspace: int = DEFAULT_PER_WORKSPACE
    _keys: Counter[PydanticObjectId] = field(default_factory=Counter)
    _workspaces: Counter[PydanticObjectId] = field(default_factory=Counter)

    def admit(self, principal: Principal) -> SocketSlot:
        """A slot for one more socket of `principal`, or SocketRefused (4429)."""
        key, workspace = principal.key_id, principal.workspace_id
        if key is not None and self._keys[key] >= self.per_key:
            reason = f"Too many open sockets for this API key ({self.per_key})."
            raise SocketRefused(TOO_MANY, reason)
        if self._workspaces[workspace] >= self.per_workspace:
            raise SocketRefused(
                TOO_MANY, f"Too many open sockets for this workspace ({self.per_workspace})."
            )
        if key is not None:
            self._keys[key] += 1
        self._workspaces[workspace] += 1
        return SocketSlot(self, key, workspace)

    def _give_back(self, slot: SocketSlot) -> None:
        if slot.key_id is not None:
            self._keys[slot.key_id] -= 1
            if self._keys[slot.key_id] <= 0:
                del self._keys[slot.key_id]
        self._workspaces[slot.workspace_id] -= 1
        if self._workspaces[slot.workspace_id] <= 0:
            del self._workspaces[slot.workspace_id]
