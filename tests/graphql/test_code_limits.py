"""Usage limits of referral codes, their counts and who may see them, and share links."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlmodel import col, select, update

from app.models import User
from tests.api import PASSWORD, Api, GraphQLErrors, database, in_days, unique_email

CREATE_LIMITED = """
mutation CreateLimited($input: CreateCodeInput!) {
  createCode(input: $input) { id code shareUrl maxUses uses visits }
}"""
CODE_WITH_COUNTS = """
query CodeWithCounts($email: String!) {
  codeByEmail(email: $email) { code shareUrl maxUses uses visits }
}"""
MY_CODE = "query MyCode { me { referralCode { code maxUses uses visits } } }"


async def limited_code(api: Api, max_uses: int | None) -> tuple[dict[str, Any], str, str]:
    """A new owner, their token and a code admitting `max_uses` registrations."""
    owner, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(10), "maxUses": max_uses}}
    created = (await api.gql(CREATE_LIMITED, variables, token=token))["createCode"]
    return owner, token, created["code"]


async def make_superuser(api: Api, user_id: str) -> None:
    async with database(api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(user_id)).values(is_superuser=True)
        )
        await session.commit()


async def account_exists(api: Api, email: str) -> bool:
    async with database(api.app) as session:
        return (await session.exec(select(User.id).where(User.email == email))).first() is not None


async def registration_codes(api: Api, code: str, emails: list[str]) -> list[str | None]:
    """Register each email with the code at the same time: None for a success, else its code."""
    variables = [
        {"input": {"email": email, "password": PASSWORD, "referralCode": code}} for email in emails
    ]
    register = "mutation Join($input: RegisterInput!) { register(input: $input) { id } }"
    bodies = await asyncio.gather(*(api.post_graphql(register, each) for each in variables))
    return [
        body["errors"][0]["extensions"]["code"] if body.get("errors") else None for body in bodies
    ]


@pytest.mark.parametrize("max_uses", [0, -1, 1_000_001])
async def test_max_uses_out_of_bounds_is_bad_input(api: Api, max_uses: int) -> None:
    _, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(1), "maxUses": max_uses}}
    with pytest.raises(GraphQLErrors) as raised:
        await api.gql(CREATE_LIMITED, variables, token=token)
    (error,) = raised.value.errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "maxUses"


async def test_a_new_code_shows_its_owner_its_limit_and_zero_counts(api: Api) -> None:
    _, token = await api.signed_up()
    variables = {"input": {"code": None, "expiresAt": in_days(3), "maxUses": 1_000_000}}
    created = (await api.gql(CREATE_LIMITED, variables, token=token))["createCode"]
    assert (created["maxUses"], created["uses"], created["visits"]) == (1_000_000, 0, 0)
    assert created["shareUrl"] == f"http://127.0.0.1:8000/r/{created['code']}"


async def test_counts_and_limit_are_for_the_owner_and_superusers_only(api: Api) -> None:
    owner, owner_token, code = await limited_code(api, 5)
    await api.register(code=code)
    hidden = {"code": code, "maxUses": None, "uses": None, "visits": None}

    anonymous = (await api.gql(CODE_WITH_COUNTS, {"email": owner["email"]}))["codeByEmail"]
    assert {key: anonymous[key] for key in hidden} == hidden
    assert anonymous["shareUrl"].endswith(f"/r/{code}")  # the link itself is public

    _, other_token = await api.signed_up()
    other = await api.gql(CODE_WITH_COUNTS, {"email": owner["email"]}, token=other_token)
    assert {key: other["codeByEmail"][key] for key in hidden} == hidden

    seen = {"code": code, "maxUses": 5, "uses": 1, "visits": 0}
    mine = await api.gql(CODE_WITH_COUNTS, {"email": owner["email"]}, token=owner_token)
    assert {key: mine["codeByEmail"][key] for key in seen} == seen
    assert (await api.gql(MY_CODE, token=owner_token))["me"]["referralCode"] == seen

    admin, admin_token = await api.signed_up()
    await make_superuser(api, admin["id"])
    theirs = await api.gql(CODE_WITH_COUNTS, {"email": owner["email"]}, token=admin_token)
    assert {key: theirs["codeByEmail"][key] for key in seen} == seen


async def test_uses_count_every_registration_of_an_unlimited_code(api: Api) -> None:
    owner, token, code = await limited_code(api, None)
    for _ in range(3):
        await api.register(code=code)
    mine = await api.gql(CODE_WITH_COUNTS, {"email": owner["email"]}, token=token)
    assert (mine["codeByEmail"]["maxUses"], mine["codeByEmail"]["uses"]) == (None, 3)


async def test_a_used_up_code_refuses_the_next_registration_and_creates_nothing(api: Api) -> None:
    owner, _, code = await limited_code(api, 2)
    await api.register(code=code)
    await api.register(code=code)
    email = unique_email()
    assert await registration_codes(api, code, [email]) == ["REFERRAL_CODE_EXHAUSTED"]
    assert not await account_exists(api, email)
    assert (await api.register(email))["email"] == email  # the address is still free
    page = "query Count($id: ID!) { referralsById(id: $id) { totalCount } }"
    assert (await api.gql(page, {"id": owner["id"]}))["referralsById"]["totalCount"] == 2


async def test_of_parallel_registrations_exactly_the_uses_left_succeed(api: Api) -> None:
    owner, token, code = await limited_code(api, 4)
    await api.register(code=code)  # 3 uses left
    emails = [unique_email() for _ in range(10)]
    outcomes = await registration_codes(api, code, emails)
    assert outcomes.count(None) == 3
    assert sorted(filter(None, outcomes)) == ["REFERRAL_CODE_EXHAUSTED"] * 7
    for email, outcome in zip(emails, outcomes, strict=True):
        assert await account_exists(api, email) is (outcome is None), email
    mine = (await api.gql(MY_CODE, token=token))["me"]["referralCode"]
    assert mine is None  # used up: no longer active
    async with database(api.app) as session:
        referrer = await session.get(User, int(owner["id"]))
        assert referrer is not None
        assert referrer.referral_count == 4


async def test_a_used_up_code_vanishes_from_code_by_email_at_once(api: Api) -> None:
    owner, _, code = await limited_code(api, 1)
    assert (await api.code_by_email(owner["email"]))["code"] == code  # now cached
    seen_after_answer: list[dict[str, Any] | None] = []
    answered_at: list[float] = []

    async def look_up_meanwhile() -> None:
        while not answered_at or len(seen_after_answer) < 20:
            started = time.monotonic()
            found = await api.code_by_email(owner["email"])
            if answered_at and started > answered_at[0]:
                seen_after_answer.append(found)
            await asyncio.sleep(0)  # a cache hit in memory never yields on its own

    lookups = [asyncio.create_task(look_up_meanwhile()) for _ in range(4)]
    await api.register(code=code)
    answered_at.append(time.monotonic())
    await asyncio.gather(*lookups)
    assert seen_after_answer == [None] * len(seen_after_answer)
    assert await api.code_by_email(owner["email"]) is None


async def test_the_owner_of_a_used_up_code_may_create_a_new_one(api: Api) -> None:
    owner, token, code = await limited_code(api, 1)
    await api.register(code=code)
    created = await api.create_code(token)
    assert created["code"] != code
    assert (await api.code_by_email(owner["email"]))["code"] == created["code"]
    assert await registration_codes(api, code, [unique_email()]) == ["REFERRAL_CODE_EXHAUSTED"]


async def test_a_used_up_code_is_400_over_rest(api: Api) -> None:
    _, _, code = await limited_code(api, 1)
    await api.register(code=code)
    response = await api.http.post(
        "/auth/register/",
        params={"referral_code": code},
        json={"email": unique_email(), "password": PASSWORD},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This referral code has been used as many times as it allows."
    }
