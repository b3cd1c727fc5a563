"""How many websockets one API key, and one workspace, may hold open in this process.

Counted per process: with `--workers N` each worker keeps its own counts, so the caps
hold per worker (documented in the README). A slot is taken once the socket's key is
known (connection_init) and given back when the socket ends, however it ends.
"""

from collections import Counter
from dataclasses import dataclass, field

from beanie import PydanticObjectId

from app.access.principal import Principal


class TooManySockets(Exception):
    """The key, or its workspace, holds as many open sockets as it may; says which."""


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
    per_key: int
    per_workspace: int
    _keys: Counter[PydanticObjectId] = field(default_factory=Counter)
    _workspaces: Counter[PydanticObjectId] = field(default_factory=Counter)

    def admit(self, principal: Principal) -> SocketSlot:
        """A slot for one more socket of `principal`, or TooManySockets."""
        key, workspace = principal.key_id, principal.workspace_id
        if key is not None and self._keys[key] >= self.per_key:
            raise TooManySockets(f"Too many open sockets for this API key ({self.per_key}).")
        if self._workspaces[workspace] >= self.per_workspace:
            raise TooManySockets(
                f"Too many open sockets for this workspace ({self.per_workspace})."
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
