"""erasureReceipts and node(id) of a receipt: the workspace's erasures, newest first, to ADMINs
only; another workspace's receipts are never seen."""

from typing import Any

import pytest

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient
from tests.support.erasure import CONTACT, NODE_RECEIPT, persona_in, remember, sha256
from tests.support.memory import RECEIPTS, forget

CONTACTS = [f"+1555010{n}" for n in range(5)]


async def _receipts(api: GraphQLClient, contacts: list[str]) -> list[dict[str, Any]]:
    """One receipt per contact, in the order erased."""
    made = []
    for contact_id in contacts:
        payload = await forget(api, contact_id)
        assert payload["userErrors"] == []
        made.append(payload["receipt"])
    return made


async def _page(api: GraphQLClient, first: int, after: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = (await api.data(RECEIPTS, first=first, after=after))["erasureReceipts"]
    return page


def _forbidden(body: dict[str, Any]) -> None:
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error


async def test_receipts_are_listed_newest_first_a_page_at_a_time(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    elsewhere = await client_for(Role.ADMIN, workspace="globex")
    made = await _receipts(api, CONTACTS)
    await _receipts(elsewhere, [CONTACT, "+15559999"])

    first = await _page(api, 2)
    second = await _page(api, 2, first["pageInfo"]["endCursor"])
    last = await _page(api, 2, second["pageInfo"]["endCursor"])

    newest_first = list(reversed(made))
    pages = [first, second, last]
    assert [[edge["node"] for edge in page["edges"]] for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    assert [page["totalCount"] for page in pages] == [5, 5, 5]
    assert [page["pageInfo"]["endCursor"] for page in pages] == [
        page["edges"][-1]["cursor"] for page in pages
    ]
    everything = await _page(api, 20)
    assert [edge["node"] for edge in everything["edges"]] == newest_first
    assert everything["pageInfo"]["hasNextPage"] is False
    assert {node["contactIdSha256"] for node in newest_first} == {sha256(c) for c in CONTACTS}

    theirs = await _page(elsewhere, 20)
    assert theirs["totalCount"] == 2
    assert [edge["node"]["contactIdSha256"] for edge in theirs["edges"]] == [
        sha256("+15559999"),
        sha256(CONTACT),
    ]


async def test_a_workspace_without_erasures_lists_none(api: GraphQLClient) -> None:
    page = await _page(api, 20)
    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_a_receipt_is_a_node_of_its_own_workspace_only(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    sales = await persona_in(api, "Sales")
    await remember(api, sales, CONTACT, 2, first_name="Dana")
    (receipt,) = await _receipts(api, [CONTACT])
    elsewhere = await client_for(Role.ADMIN, workspace="globex")
    (theirs,) = await _receipts(elsewhere, [CONTACT])

    node = (await api.data(NODE_RECEIPT, id=receipt["id"]))["node"]
    foreign = (await api.data(NODE_RECEIPT, id=theirs["id"]))["node"]
    own_there = (await elsewhere.data(NODE_RECEIPT, id=theirs["id"]))["node"]

    assert node == {
        "__typename": "ErasureReceipt",
        "id": receipt["id"],
        "contactIdSha256": sha256(CONTACT),
        "erasedBy": api.principal.name,
    }
    assert foreign is None
    assert own_there is not None
    assert own_there["id"] == theirs["id"]
    assert await database["erasure_receipts"].count_documents({}) == 2


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER, Role.RUNTIME])
async def test_only_an_admin_reads_receipts(
    api: GraphQLClient, client_for: ClientFactory, role: Role
) -> None:
    (receipt,) = await _receipts(api, [CONTACT])
    caller = await client_for(role)

    _forbidden(await caller.execute(RECEIPTS, first=5))
    node = await caller.execute(NODE_RECEIPT, id=receipt["id"])
    if role is Role.RUNTIME:
        _forbidden(node)  # turned away at the door, the whole request
    else:
        _node_forbidden(node)
    assert (await _page(api, 5))["totalCount"] == 1


def _node_forbidden(body: dict[str, Any]) -> None:
    # node is nullable: the ladder's roles get null and a FORBIDDEN error at that field.
    assert body["data"] == {"node": None}, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert error["path"] == ["node"]
