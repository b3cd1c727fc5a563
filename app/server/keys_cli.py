"""`persona-api keys`: make, list and revoke API keys from the command line."""

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from beanie import PydanticObjectId
from bson.errors import InvalidId
from pymongo.errors import PyMongoError

from app.access.documents import ApiKey, Workspace
from app.access.keys import issue_key, workspace_name, workspace_named
from app.access.principal import Role
from app.platform.clock import utcnow
from app.platform.database import connect
from app.platform.embedded import EmbeddedDatabase
from app.platform.settings import Settings
from app.server.models import bind_all


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="make a key and print it once")
    create.add_argument("--workspace", required=True, help="the workspace the key is for")
    create.add_argument(
        "--create-workspace", action="store_true", help="make the workspace if there is none"
    )
    create.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="VIEWER < EDITOR < PUBLISHER < ADMIN, or RUNTIME: an agent runtime's call starts",
    )
    create.add_argument("--name", required=True, help="who or what uses the key")
    listing = keys.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--workspace", help="only this workspace")
    revoke = keys.add_parser("revoke", help="revoke a key by its id or prefix")
    revoke.add_argument("key", help="the id or the prefix (pa_xxxxxxxx) that `keys list` shows")
    for command in (create, listing, revoke):
        command.add_argument("--data-dir", type=Path, default=None, help="embedded database home")


# A command run by hand should say soon that it cannot reach the database.
TIMEOUT_SECONDS = 3.0


class KeysCommandError(Exception):
    """A `keys` command could not do what was asked."""


def _address_of_running(settings: Settings) -> str | None:
    """The address a running `serve` left for its embedded database; None if none runs."""
    uri_file = settings.data_dir / "secantusd.uri"
    if not uri_file.exists():
        return None
    if not EmbeddedDatabase(settings.data_dir).in_use():
        uri_file.unlink(missing_ok=True)  # left behind by a crash: nobody answers there
        return None
    return uri_file.read_text().strip()


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[None]:
    """MONGODB_URI, else the embedded database a running `serve` holds, else a fresh one."""
    embedded = None
    uri = settings.mongodb_uri
    where = "the database at MONGODB_URI"  # never the URI itself: it may hold a password
    if uri is None and (uri := _address_of_running(settings)) is not None:
        where = f"the embedded database of {settings.data_dir} at {uri} (from secantusd.uri)"
    if uri is None:
        embedded = EmbeddedDatabase(settings.data_dir)
        embedded.start()
        uri = embedded.uri
    client = connect(uri, timeout_seconds=TIMEOUT_SECONDS)
    try:
        await bind_all(client[settings.mongodb_database])
        yield
    except PyMongoError as exc:
        raise KeysCommandError(f"{where} does not answer ({type(exc).__name__})") from None
    finally:
        await client.close()
        if embedded is not None:
            embedded.stop()


async def _create(args: argparse.Namespace) -> None:
    if args.create_workspace:
        workspace = await workspace_named(args.workspace)
    else:
        # A typo must not quietly make a workspace nobody else's keys can see.
        found = await Workspace.find_one(Workspace.name == workspace_name(args.workspace))
        if found is None:
            raise KeysCommandError(
                f"no workspace named '{args.workspace}' (add --create-workspace to make it)"
            )
        workspace = found
    assert workspace.id is not None
    issued = await issue_key(workspace.id, args.name, Role(args.role))
    print(f"Created {issued.key.role} key '{issued.key.name}' in workspace '{workspace.name}'.")
    print("It is shown only this once:")
    print(issued.secret)


async def _list(args: argparse.Namespace) -> None:
    workspaces = {w.id: w.name for w in await Workspace.find_all().to_list()}
    query = ApiKey.find()
    if args.workspace is not None:
        wanted = workspace_name(args.workspace)
        chosen = [wid for wid, name in workspaces.items() if name == wanted]
        if not chosen:
            raise KeysCommandError(f"no workspace named '{args.workspace}'")
        query = ApiKey.find(ApiKey.workspace_id == chosen[0])
    print("id                        prefix       role       workspace  name  (last used, revoked)")
    for key in await query.sort("created_at").to_list():
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
        revoked = f", revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else ""
        workspace = workspaces.get(key.workspace_id, "?")
        print(
            f"{key.id}  pa_{key.prefix}  {key.role:<9}  {workspace}  {key.name}  ({used}{revoked})"
        )


async def _revoke(args: argparse.Namespace) -> None:
    wanted: str = args.key
    if wanted.startswith("pa_"):
        key = await ApiKey.find_one(ApiKey.prefix == wanted.removeprefix("pa_").split("_")[0])
    else:
        try:
            key = await ApiKey.get(PydanticObjectId(wanted))
        except InvalidId:
            key = None
    if key is None:
        raise KeysCommandError(f"no key with id or prefix '{wanted}'")
    if key.revoked_at is not None:
        raise KeysCommandError(
            f"key pa_{key.prefix} ('{key.name}') was already revoked on {key.revoked_at:%Y-%m-%d}"
        )
    # Only revoked_at: a whole-document save could undo a server's concurrent last_used_at.
    await ApiKey.get_pymongo_collection().update_one(
        {"_id": key.id}, {"$set": {"revoked_at": utcnow()}}
    )
    print(f"Revoked key pa_{key.prefix} ('{key.name}').")


def run(args: argparse.Namespace, settings: Settings) -> None:
    action = {"create": _create, "list": _list, "revoke": _revoke}[args.keys_command]

    async def main() -> None:
        async with _database(settings):
            await action(args)

    asyncio.run(main())
