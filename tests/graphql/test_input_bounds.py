"""Inputs at the edge of what columns and int() hold are answered as input, never as a 500."""

from __future__ import annotations

import base64

import pytest

from tests.api import Api, in_days

REFERRALS = """
query R($id: ID!, $after: String) {
  referralsById(id: $id, first: 5, after: $after) { totalCount }
}"""


def forged_cursor(digits: str) -> str:
    return base64.urlsafe_b64encode(f"referral:{digits}".encode()).decode().rstrip("=")


async def test_an_id_past_the_id_column_is_no_such_user(api: Api) -> None:
    assert await api.error_code(REFERRALS, {"id": "99999999999"}) == "NOT_FOUND"


async def test_an_id_of_thousands_of_digits_is_bad_input(api: Api) -> None:
    assert await api.error_code(REFERRALS, {"id": "9" * 5000}) == "BAD_USER_INPUT"


@pytest.mark.parametrize("digits", ["2147483648", "1000000000000", "9" * 5000])
async def test_a_cursor_past_any_id_is_bad_input(api: Api, digits: str) -> None:
    user = await api.register()
    variables = {"id": user["id"], "after": forged_cursor(digits)}
    assert await api.error_code(REFERRALS, variables) == "BAD_USER_INPUT"


@pytest.mark.parametrize("code", ["ßab1", "\u0131NTERNAL", "ﬀab1"])
async def test_a_code_that_upper_cases_to_ascii_is_bad_input(api: Api, code: str) -> None:
    _, token = await api.signed_up()
    body = await api.post_graphql(
        "mutation C($input: CreateCodeInput!) { createCode(input: $input) { code } }",
        {"input": {"code": code, "expiresAt": in_days(30)}},
        token=token,
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "code"}
