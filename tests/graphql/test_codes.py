"""Creating, deleting and looking up referral codes over GraphQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.api import (
    CODE_BY_EMAIL,
    CREATE_CODE,
    DELETE_CODE,
    Api,
    expire_code,
    in_days,
    unique_email,
)


async def test_create_code_needs_a_signed_in_user(api: Api) -> None:
    code = await api.error_code(CREATE_CODE, {"input": {"expiresAt": in_days(1)}})
    assert code == "UNAUTHENTICATED"


async def test_a_chosen_code_is_stored_upper_cased_with_its_expiry(api: Api) -> None:
    _, token = await api.signed_up()
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    created = await api.create_code(token, code="Mine2024x", expires_at=expires_at.isoformat())
    assert created["code"] == "MINE2024X"
    assert datetime.fromisoformat(created["expiresAt"]) == expires_at
    assert datetime.fromisoformat(created["createdAt"]) <= datetime.now(UTC)


async def test_a_generated_code_has_ten_unambiguous_characters(api: Api) -> None:
    _, token = await api.signed_up()
    created = await api.create_code(token)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", created["code"]), created["code"]


async def test_an_expiry_without_offset_is_taken_as_utc(api: Api) -> None:
    _, token = await api.signed_up()
    naive = (datetime.now(UTC) + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    created = await api.create_code(token, expires_at=naive.isoformat())
    assert datetime.fromisoformat(created["expiresAt"]) == naive.replace(tzinfo=UTC)
    assert created["expiresAt"].endswith("+00:00")


@pytest.mark.parametrize("days", [-1, 0, 366])
async def test_an_expiry_in_the_past_or_beyond_a_year_is_bad_input(api: Api, days: int) -> None:
    _, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(days)}}
    assert await api.error_code(CREATE_CODE, variables, token=token) == "BAD_USER_INPUT"


async def test_an_expiry_just_under_a_year_is_accepted(api: Api) -> None:
    _, token = await api.signed_up()
    await api.create_code(token, expires_at=in_days(364.9))


@pytest.mark.parametrize("value", ["abc", "x" * 25, "with space", "dash-code", "ÄÖÜÄÖ"])
async def test_a_code_of_bad_format_is_bad_input(api: Api, value: str) -> None:
    _, token = await api.signed_up()
    variables = {"input": {"code": value, "expiresAt": in_days(1)}}
    assert await api.error_code(CREATE_CODE, variables, token=token) == "BAD_USER_INPUT"


async def test_a_second_active_code_is_a_conflict(api: Api) -> None:
    _, token = await api.signed_up()
    await api.create_code(token)
    variables = {"input": {"expiresAt": in_days(1)}}
    assert await api.error_code(CREATE_CODE, variables, token=token) == "CONFLICT"


async def test_a_new_code_may_follow_a_deleted_one(api: Api) -> None:
    _, token = await api.signed_up()
    first = await api.create_code(token)
    deleted = await api.gql(DELETE_CODE, token=token)
    assert deleted["deleteCode"]["code"] == first["code"]
    second = await api.create_code(token)
    assert second["code"] != first["code"]


async def test_a_new_code_may_follow_an_expired_one(api: Api) -> None:
    user, token = await api.signed_up()
    first = await api.create_code(token)
    await expire_code(api, first["code"])
    assert await api.code_by_email(user["email"]) is None
    second = await api.create_code(token)
    assert (await api.code_by_email(user["email"]))["code"] == second["code"]


async def test_a_code_taken_by_someone_else_is_a_conflict(api: Api) -> None:
    _, first_token = await api.signed_up()
    _, second_token = await api.signed_up()
    value = f"TAKEN{unique_email()[5:11].upper()}"
    await api.create_code(first_token, code=value)
    variables = {"input": {"code": value.lower(), "expiresAt": in_days(1)}}
    assert await api.error_code(CREATE_CODE, variables, token=second_token) == "CONFLICT"


async def test_a_deleted_code_is_never_handed_out_again(api: Api) -> None:
    _, owner_token = await api.signed_up()
    _, other_token = await api.signed_up()
    value = f"ONCE{unique_email()[5:11].upper()}"
    await api.create_code(owner_token, code=value)
    await api.gql(DELETE_CODE, token=owner_token)
    for token in (owner_token, other_token):
        variables = {"input": {"code": value, "expiresAt": in_days(1)}}
        assert await api.error_code(CREATE_CODE, variables, token=token) == "CONFLICT"


async def test_delete_without_an_active_code_is_not_found(api: Api) -> None:
    _, token = await api.signed_up()
    assert await api.error_code(DELETE_CODE, token=token) == "NOT_FOUND"
    await api.create_code(token)
    await api.gql(DELETE_CODE, token=token)
    assert await api.error_code(DELETE_CODE, token=token) == "NOT_FOUND"


async def test_delete_needs_a_signed_in_user(api: Api) -> None:
    assert await api.error_code(DELETE_CODE) == "UNAUTHENTICATED"


async def test_code_by_email_finds_the_active_code_in_any_case(api: Api) -> None:
    user, token = await api.signed_up()
    created = await api.create_code(token)
    found = await api.code_by_email(user["email"].upper())
    assert found == {"code": created["code"], "expiresAt": created["expiresAt"]}


async def test_code_by_email_is_null_for_unknown_emails_and_users_without_code(api: Api) -> None:
    user = await api.register()
    assert await api.code_by_email(unique_email()) is None
    assert await api.code_by_email(user["email"]) is None


async def test_code_by_email_with_a_malformed_email_is_bad_input(api: Api) -> None:
    assert await api.error_code(CODE_BY_EMAIL, {"email": "nobody"}) == "BAD_USER_INPUT"


async def test_code_by_email_never_serves_a_deleted_code(api: Api) -> None:
    user, token = await api.signed_up()
    await api.create_code(token)
    assert await api.code_by_email(user["email"]) is not None  # now cached
    await api.gql(DELETE_CODE, token=token)
    assert await api.code_by_email(user["email"]) is None


async def test_code_by_email_never_serves_a_code_that_expired_while_cached(api: Api) -> None:
    user, token = await api.signed_up()
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    await api.create_code(token, expires_at=expires_at.isoformat())
    assert await api.code_by_email(user["email"]) is not None  # now cached
    await asyncio.sleep((expires_at - datetime.now(UTC)).total_seconds() + 0.05)
    assert await api.code_by_email(user["email"]) is None


async def test_code_by_email_sees_a_new_code_at_once(api: Api) -> None:
    user, token = await api.signed_up()
    assert await api.code_by_email(user["email"]) is None  # "no code" is now cached
    created = await api.create_code(token)
    assert (await api.code_by_email(user["email"]))["code"] == created["code"]


async def test_code_by_email_sees_an_account_registered_after_a_miss(api: Api) -> None:
    email = unique_email()
    assert await api.code_by_email(email) is None  # "unknown email" is now cached
    _, token = await api.signed_up(email)
    created = await api.create_code(token)
    assert (await api.code_by_email(email))["code"] == created["code"]


async def test_parallel_creates_by_one_user_leave_one_active_code(api: Api) -> None:
    user, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(5)}}
    bodies = await asyncio.gather(
        *(api.post_graphql(CREATE_CODE, variables, token=token) for _ in range(8))
    )
    created = [body["data"]["createCode"] for body in bodies if not body.get("errors")]
    codes = [body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")]
    assert len(created) == 1
    assert codes == ["CONFLICT"] * 7
    assert (await api.code_by_email(user["email"]))["code"] == created[0]["code"]


async def test_parallel_creates_of_one_value_by_many_users_give_it_to_one(api: Api) -> None:
    tokens = [(await api.signed_up())[1] for _ in range(6)]
    value = f"RACE{unique_email()[5:11].upper()}"
    variables = {"input": {"code": value, "expiresAt": in_days(5)}}
    bodies = await asyncio.gather(
        *(api.post_graphql(CREATE_CODE, variables, token=token) for token in tokens)
    )
    winners = [body for body in bodies if not body.get("errors")]
    codes = [body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")]
    assert len(winners) == 1
    assert codes == ["CONFLICT"] * 5
