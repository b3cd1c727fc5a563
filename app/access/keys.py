"""API keys: made, checked, listed and revoked; each grants one role in one workspace.

A key is `pa_<prefix>_<secret>`: the prefix finds the stored key, the 256-bit secret
proves it. Random secrets that long cannot be guessed, so a fast hash (SHA-256, as
GitHub and Stripe use for tokens) protects them at rest, and the compare is constant-time.
Principals are cached for about a second (app.principals), so most requests need no lookup.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app.access.documents import ApiKey, Workspace
from app.access.permissions import Operation, require
from app.access.principal import Principal, Role
from app.access.principals import principals
from app.platform.clock import utcnow
from app.platform.errors import DomainError, ErrorCode, InvalidInput, Problem
from app.platform.text import check_name

DEFAULT_WORKSPACE = "default"
MAX_KEY_NAME = 100
MAX_WORKSPACE_NAME = 100
# Recording every use would turn each read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyNotFound(DomainError):
    """No key of this workspace has this id."""

    def __init__(self) -> None:
        super().__init__([Problem(("id",), "API key not found.", ErrorCode.NOT_FOUND)])


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the whole key, shown once


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_key(workspace_id: PydanticObjectId, name: str, role: Role) -> IssuedKey:
    name, problems = check_name(name, ("name",), "Name", MAX_KEY_NAME)
    if problems:
        raise InvalidInput(problems)
    while True:
        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        key = ApiKey(
            workspace_id=workspace_id,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=_hash(secret),
        )
        try:
            await key.insert()
        except DuplicateKeyError:
            continue
        presented = f"pa_{prefix}_{secret}"
        principals.issued(presented)
        return IssuedKey(key, presented)


async def authenticate(presented: str) -> Principal | None:
    """The principal a key grants, or None for a malformed, unknown or revoked key."""
    kind, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if kind != "pa" or not prefix or not secret:
        return None
    return await principals.principal(presented, lambda: _look_up(prefix, secret))


async def _look_up(prefix: str, secret: str) -> Principal | None:
    # A flat filter, so the prefix index serves it (the embedded database serves no $and).
    key = await ApiKey.find_one({"prefix": prefix})
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(_hash(secret), key.secret_hash):
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await ApiKey.find_one({"_id": key.id}).update({"$set": {"last_used_at": now}})
    return Principal(key.workspace_id, key.role, key.name, key.id)


async def create_api_key(actor: Principal, name: str, role: Role) -> IssuedKey:
    require(actor, Operation.MANAGE_API_KEYS)
    return await issue_key(actor.workspace_id, name, role)


async def list_api_keys(actor: Principal) -> list[ApiKey]:
    require(actor, Operation.READ_API_KEYS)
    return await ApiKey.find(ApiKey.workspace_id == actor.workspace_id).sort("created_at").to_list()


async def revoke_api_key(actor: Principal, key_id: PydanticObjectId) -> ApiKey:
    require(actor, Operation.MANAGE_API_KEYS)
    # By _id alone, the one index the embedded database serves this from; the workspace is
    # checked here, so another workspace's key looks like a missing one.
    key = await ApiKey.find_one({"_id": key_id})
    if key is None or key.workspace_id != actor.workspace_id:
        raise KeyNotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        # Only revoked_at: a whole-document save could undo a concurrent last_used_at write.
        await ApiKey.get_pymongo_collection().update_one(
            {"_id": key_id}, {"$set": {"revoked_at": key.revoked_at}}
        )
    # At once here; other processes' caches let the key go within a second.
    principals.forget(key_id)
    return key


def workspace_name(name: str) -> str:
    """The name as stored, refused with the path of the `--workspace` option if it is no name."""
    name, problems = check_name(name, ("workspace",), "Workspace name", MAX_WORKSPACE_NAME)
    if problems:
        raise InvalidInput(problems)
    return name


async def workspace_named(name: str) -> Workspace:
    """The workspace with this name, in its stored form, made if there is none."""
    name = workspace_name(name)
    found = await Workspace.find_one(Workspace.name == name)
    if found is not None:
        return found
    try:
        return await Workspace(name=name).insert()
    except DuplicateKeyError:
        raced = await Workspace.find_one(Workspace.name == name)
        assert raced is not None
        return raced


async def bootstrap() -> IssuedKey | None:
    """On an empty database: a default workspace and its first ADMIN key (else None)."""
    if await Workspace.find_one() is not None:
        return None
    try:
        workspace = await Workspace(name=DEFAULT_WORKSPACE).insert()
    except DuplicateKeyError:
        return None  # another process is bootstrapping the same database
    assert workspace.id is not None
    return await issue_key(workspace.id, "bootstrap admin", Role.ADMIN)
