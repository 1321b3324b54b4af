"""Referral codes and referral lists over REST: lookups, listing and pagination."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from tests.rest.helpers import bearer, create_code, register, signed_up, tokens

if TYPE_CHECKING:
    from tests.api import Api


async def referrer_with_referrals(api: Api, count: int) -> tuple[int, list[int]]:
    """A user whose code `count` newcomers joined with, and their ids in join order."""
    user, headers = await signed_up(api)
    code = await create_code(api, headers)
    joined = [(await register(api, code=code["code"]))["id"] for _ in range(count)]
    return user["id"], joined


async def test_by_id_lists_every_referral_oldest_first_by_default(api: Api) -> None:
    referrer, joined = await referrer_with_referrals(api, 3)
    response = await api.http.get(f"/referrals/by_id/{referrer}")
    assert response.json() == {"referrer": referrer, "referrals": joined, "next": None}


async def test_by_id_of_a_user_without_referrals_is_an_empty_list(api: Api) -> None:
    user = await register(api)
    response = await api.http.get(f"/referrals/by_id/{user['id']}")
    assert response.json() == {"referrer": user["id"], "referrals": [], "next": None}


async def test_limit_after_and_next_walk_the_list_a_page_at_a_time(api: Api) -> None:
    referrer, joined = await referrer_with_referrals(api, 5)
    seen: list[int] = []
    params: dict[str, str | int] = {"limit": 2}
    pages = 0
    while True:
        page = (await api.http.get(f"/referrals/by_id/{referrer}", params=params)).json()
        pages += 1
        seen += page["referrals"]
        if page["next"] is None:
            break
        params = {"limit": 2, "after": page["next"]}
    assert seen == joined
    assert pages == 3


async def test_a_page_that_ends_the_list_exactly_has_no_next(api: Api) -> None:
    referrer, joined = await referrer_with_referrals(api, 2)
    page = (await api.http.get(f"/referrals/by_id/{referrer}", params={"limit": 2})).json()
    assert page == {"referrer": referrer, "referrals": joined, "next": None}


@pytest.mark.parametrize("limit", [0, -1, 1001])
async def test_a_limit_outside_1_to_1000_is_422(api: Api, limit: int) -> None:
    response = await api.http.get("/referrals/by_id/1", params={"limit": limit})
    assert response.status_code == 422
    assert response.json() == {"detail": "`limit` must be between 1 and 1000."}


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"referral:99999999999").decode(),
        base64.urlsafe_b64encode(b"referral:" + b"9" * 5000).decode(),
    ],
)
async def test_a_cursor_we_did_not_issue_is_422(api: Api, after: str) -> None:
    user = await register(api)
    response = await api.http.get(f"/referrals/by_id/{user['id']}", params={"after": after})
    assert response.status_code == 422
    assert response.json() == {"detail": "The cursor is not valid."}


@pytest.mark.parametrize("user_id", ["abc", "0", "-3", "1.5", "9" * 5000])
async def test_an_id_that_is_not_a_positive_whole_number_is_422(api: Api, user_id: str) -> None:
    response = await api.http.get(f"/referrals/by_id/{user_id}")
    assert response.status_code == 422
    assert response.json() == {"detail": "An id is a positive whole number."}


async def test_code_by_email_ignores_the_case_of_the_email(api: Api) -> None:
    user, headers = await signed_up(api)
    created = await create_code(api, headers, code="casey123")
    assert created["code"] == "CASEY123"
    response = await api.http.get(f"/referrals/code_by_email/{user['email'].upper()}")
    assert response.json() == {"code": "CASEY123"}


async def test_code_by_email_finds_an_address_with_a_slash(api: Api) -> None:
    email = f"a/b.{uuid.uuid4().hex[:8]}@example.com"
    user = await register(api, email)
    headers = bearer((await tokens(api, user["email"]))["access_token"])
    created = await create_code(api, headers)
    response = await api.http.get(f"/referrals/code_by_email/{quote(email, safe='')}")
    assert response.json() == {"code": created["code"]}


async def test_create_code_without_a_code_generates_one(api: Api) -> None:
    _, headers = await signed_up(api)
    created = await create_code(api, headers)
    assert len(created["code"]) == 10


async def test_a_code_may_be_created_again_after_delete(api: Api) -> None:
    user, headers = await signed_up(api)
    await create_code(api, headers)
    assert (await api.http.delete("/referrals/delete_code", headers=headers)).status_code == 200
    again = await create_code(api, headers)
    found = await api.http.get(f"/referrals/code_by_email/{user['email']}")
    assert found.json() == {"code": again["code"]}


async def test_an_expiry_without_an_offset_is_utc(api: Api) -> None:
    _, headers = await signed_up(api)
    naive = (datetime.now(UTC) + timedelta(days=10)).replace(tzinfo=None, microsecond=0)
    response = await api.http.post(
        "/referrals/create_code", json={"expiration": naive.isoformat()}, headers=headers
    )
    assert response.json()["expiration"] == naive.isoformat() + "Z"
