"""Registration over GraphQL: the rules on email, password and referral codes."""

from __future__ import annotations

import asyncio

import pytest

from app.cache.codes import email_key
from tests.api import REGISTER, Api, expire_code, unique_email


async def test_register_answers_with_the_whole_email_of_the_new_user(api: Api) -> None:
    email = unique_email()
    user = await api.register(email)
    assert user["email"] == email
    assert user["isVerified"] is False
    assert user["referrer"] is None
    assert int(user["id"]) > 0


async def test_register_stores_the_email_lower_cased(api: Api) -> None:
    email = unique_email()
    user = await api.register(email.upper())
    assert user["email"] == email


async def test_register_with_a_taken_email_in_other_case_is_a_conflict(api: Api) -> None:
    email = unique_email()
    await api.register(email)
    code = await api.error_code(
        REGISTER, {"input": {"email": email.upper(), "password": "another password"}}
    )
    assert code == "CONFLICT"


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "@example.com", "user@", "x" * 250 + "@example.com", ""]
)
async def test_register_with_a_malformed_email_is_bad_input(api: Api, email: str) -> None:
    code = await api.error_code(REGISTER, {"input": {"email": email, "password": "long enough"}})
    assert code == "BAD_USER_INPUT"


@pytest.mark.parametrize("password", ["short", "x" * 7, "x" * 129])
async def test_register_with_a_password_out_of_bounds_is_bad_input(api: Api, password: str) -> None:
    code = await api.error_code(
        REGISTER, {"input": {"email": unique_email(), "password": password}}
    )
    assert code == "BAD_USER_INPUT"


async def test_register_accepts_passwords_at_both_bounds(api: Api) -> None:
    await api.register(password="x" * 8)
    await api.register(password="y" * 128)


async def test_register_payload_cannot_grant_flags(api: Api) -> None:
    body = await api.post_graphql(
        REGISTER,
        {"input": {"email": unique_email(), "password": "long enough", "isSuperuser": True}},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body.get("data") is None


async def test_register_with_a_code_makes_the_owner_the_referrer(api: Api) -> None:
    owner, token = await api.signed_up()
    code = await api.create_code(token)
    newcomer = await api.register(code=code["code"].lower())
    assert newcomer["referrer"] == {"id": owner["id"]}


async def test_register_with_an_unknown_code_is_invalid(api: Api) -> None:
    code = await api.error_code(
        REGISTER,
        {"input": {"email": unique_email(), "password": "long enough", "referralCode": "NOSUCH99"}},
    )
    assert code == "REFERRAL_CODE_INVALID"


async def test_register_with_a_deleted_code_is_invalid(api: Api) -> None:
    _, token = await api.signed_up()
    created = await api.create_code(token)
    await api.gql("mutation { deleteCode { code } }", token=token)
    code = await register_error(api, referral_code=created["code"])
    assert code == "REFERRAL_CODE_INVALID"


async def test_register_with_an_expired_code_is_expired(api: Api) -> None:
    _, token = await api.signed_up()
    created = await api.create_code(token)
    await expire_code(api, created["code"])
    code = await register_error(api, referral_code=created["code"])
    assert code == "REFERRAL_CODE_EXPIRED"


async def test_register_with_a_malformed_code_is_bad_input(api: Api) -> None:
    code = await api.error_code(
        REGISTER,
        {"input": {"email": unique_email(), "password": "long enough", "referralCode": "a-b"}},
    )
    assert code == "BAD_USER_INPUT"


async def test_a_failed_registration_leaves_the_email_free(api: Api) -> None:
    email = unique_email()
    await api.error_code(
        REGISTER, {"input": {"email": email, "password": "long enough", "referralCode": "NOSUCH99"}}
    )
    user = await api.register(email)
    assert user["email"] == email


async def test_parallel_registrations_of_one_email_create_one_account(api: Api) -> None:
    email = unique_email()
    variables = {"input": {"email": email, "password": "long enough"}}
    bodies = await asyncio.gather(*(api.post_graphql(REGISTER, variables) for _ in range(8)))
    succeeded = [body for body in bodies if not body.get("errors")]
    codes = [body["errors"][0]["extensions"]["code"] for body in bodies if body.get("errors")]
    assert len(succeeded) == 1
    assert codes == ["CONFLICT"] * 7


async def register_error(api: Api, *, referral_code: str) -> str:
    """The error code a new registration with this referral code gets."""
    variables = {"email": unique_email(), "password": "long enough", "referralCode": referral_code}
    return await api.error_code(REGISTER, {"input": variables})


async def test_a_registration_leaves_nothing_in_the_cache(api: Api) -> None:
    """Sign-ups must not grow the cache store: a new account has no code to forget."""
    user = await api.register()
    store = api.app.state.runtime.cache
    assert await store.get(email_key(user["email"])) is None
