"""Listing referrals, nested fields, and what one user may see of another."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event
from sqlmodel import col, update

from app.models import User
from tests.api import Api, database

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.ext.asyncio import AsyncEngine

REFERRALS = """
query Referrals($id: ID!, $first: Int!, $after: String) {
  referralsById(id: $id, first: $first, after: $after) {
    totalCount
    edges { cursor node { id email referrer { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
NESTED = """
query Nested($id: ID!) {
  referralsById(id: $id, first: 50) {
    edges { node {
      id email profile { fullName }
      referrer { id referralCode { code } }
      referralCode { code }
      referrals(first: 5) { totalCount edges { node { id } } }
    } }
  }
}"""


async def referrer_with(api: Api, count: int) -> tuple[dict, str, list[dict]]:
    owner, token = await api.signed_up()
    code = await api.create_code(token)
    referrals = [await api.register(code=code["code"]) for _ in range(count)]
    return owner, token, referrals


async def test_referrals_are_listed_oldest_first_a_page_at_a_time(api: Api) -> None:
    owner, _, referrals = await referrer_with(api, 5)
    seen: list[str] = []
    after = None
    for expected_next in (True, True, False):
        page = (await api.gql(REFERRALS, {"id": owner["id"], "first": 2, "after": after}))[
            "referralsById"
        ]
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasNextPage"] is expected_next
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == [referral["id"] for referral in referrals]


async def test_referrals_of_a_user_without_any_are_an_empty_page(api: Api) -> None:
    user = await api.register()
    page = (await api.gql(REFERRALS, {"id": user["id"], "first": 10}))["referralsById"]
    assert page == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_referral_nodes_show_masked_emails_and_their_referrer(api: Api) -> None:
    owner, _, referrals = await referrer_with(api, 1)
    page = (await api.gql(REFERRALS, {"id": owner["id"], "first": 10}))["referralsById"]
    node = page["edges"][0]["node"]
    local, domain = referrals[0]["email"].split("@")
    assert node["email"] == f"{local[0]}***@{domain}"
    assert node["referrer"] == {"id": owner["id"]}


async def test_referrals_by_id_of_no_such_user_is_not_found(api: Api) -> None:
    code = await api.error_code(REFERRALS, {"id": "999999999", "first": 5})
    assert code == "NOT_FOUND"


@pytest.mark.parametrize("bad_id", ["0", "-3", "abc", "1.5", " ", "99999999999999999999999"])
async def test_referrals_by_id_with_a_malformed_id_is_bad_input(api: Api, bad_id: str) -> None:
    assert await api.error_code(REFERRALS, {"id": bad_id, "first": 5}) == "BAD_USER_INPUT"


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_a_page_size_out_of_range_is_bad_input(api: Api, first: int) -> None:
    user = await api.register()
    assert await api.error_code(REFERRALS, {"id": user["id"], "first": first}) == "BAD_USER_INPUT"


@pytest.mark.parametrize("cursor", ["garbage", "cmVmZXJyYWw6eA", "dXNlcjox", "!!"])
async def test_a_cursor_we_did_not_issue_is_bad_input(api: Api, cursor: str) -> None:
    user = await api.register()
    variables = {"id": user["id"], "first": 5, "after": cursor}
    assert await api.error_code(REFERRALS, variables) == "BAD_USER_INPUT"


async def test_me_shows_the_own_profile_code_and_referrals(api: Api) -> None:
    owner, token, referrals = await referrer_with(api, 2)
    me = (
        await api.gql(
            "{ me { email profile { fullName } referralCode { code } referrals { totalCount } } }",
            token=token,
        )
    )["me"]
    assert me["email"] == owner["email"]
    assert me["referralCode"] is not None
    assert me["referrals"]["totalCount"] == len(referrals)
    assert me["profile"] is None


async def test_a_superuser_sees_whole_emails(api: Api) -> None:
    owner, _, referrals = await referrer_with(api, 3)
    admin, admin_token = await api.signed_up()
    async with database(api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(admin["id"])).values(is_superuser=True)
        )
        await session.commit()
    page = await api.gql(REFERRALS, {"id": owner["id"], "first": 5}, token=admin_token)
    emails = [edge["node"]["email"] for edge in page["referralsById"]["edges"]]
    assert emails == [referral["email"] for referral in referrals]


@contextmanager
def counting_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_nested_fields_cost_the_same_queries_for_2_or_12_referrals(api: Api) -> None:
    engine = api.app.state.runtime.database.engine
    costs = []
    for count in (2, 12):
        owner, _, _ = await referrer_with(api, count)
        with counting_queries(engine) as statements:
            data = await api.gql(NESTED, {"id": owner["id"]})
        assert len(data["referralsById"]["edges"]) == count
        costs.append(len(statements))
    assert costs[0] == costs[1], costs
    assert costs[0] <= 8, costs


async def test_a_page_of_ids_is_one_read(api: Api) -> None:
    """The count and the page come in one statement; nodes asked for their id alone are
    answered from the referral rows, not from accounts."""
    owner, _, referrals = await referrer_with(api, 3)
    query = "query($id: ID!) { referralsById(id: $id) { totalCount edges { node { id } } } }"
    with counting_queries(api.app.state.runtime.database.engine) as statements:
        data = await api.gql(query, {"id": owner["id"]})
    page = data["referralsById"]
    assert page["totalCount"] == 3
    assert [edge["node"]["id"] for edge in page["edges"]] == [r["id"] for r in referrals]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, statements
