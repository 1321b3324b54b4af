"""Sign-in, access tokens, refresh token rotation and logout over GraphQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import jwt
from sqlmodel import col, update

from app.models import User
from tests.api import LOGIN, PASSWORD, Api, database, unique_email

ME = "{ me { id email } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { accessToken refreshToken expiresIn user { id } }
}"""
LOGOUT = "mutation Logout($token: String) { logout(refreshToken: $token) }"


async def test_login_answers_tokens_and_the_whole_email(api: Api) -> None:
    user = await api.register()
    tokens = await api.login(user["email"].upper())
    assert tokens["tokenType"] == "bearer"
    assert tokens["expiresIn"] == 900
    assert tokens["user"] == {"id": user["id"], "email": user["email"]}
    me = await api.gql(ME, token=tokens["accessToken"])
    assert me["me"]["email"] == user["email"]


async def test_wrong_password_and_unknown_email_get_the_same_error(api: Api) -> None:
    user = await api.register()
    wrong_password = await api.post_graphql(
        LOGIN, {"input": {"email": user["email"], "password": "wrong password"}}
    )
    unknown_email = await api.post_graphql(
        LOGIN, {"input": {"email": unique_email(), "password": "wrong password"}}
    )
    assert wrong_password["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert wrong_password["errors"][0]["message"] == unknown_email["errors"][0]["message"]
    assert unknown_email["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_unknown_email_costs_a_password_hash_like_a_known_one(api: Api) -> None:
    user = await api.register()

    async def timed(email: str) -> float:
        start = time.perf_counter()
        await api.post_graphql(LOGIN, {"input": {"email": email, "password": "wrong password"}})
        return time.perf_counter() - start

    await timed(unique_email())  # the first unknown email also computes the equaliser hash
    known = min([await timed(user["email"]) for _ in range(3)])
    unknown = min([await timed(unique_email()) for _ in range(3)])
    assert unknown > known / 3, (known, unknown)


async def test_me_without_a_token_is_unauthenticated(api: Api) -> None:
    assert await api.error_code(ME) == "UNAUTHENTICATED"


async def test_me_with_a_forged_or_foreign_token_is_unauthenticated(api: Api) -> None:
    user = await api.register()
    now = datetime.now(UTC)
    claims = {
        "sub": user["id"],
        "iss": "referral-service",
        "aud": "referral-service:access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
    }
    forged = jwt.encode(claims, "another key of the same length and shape as ours", "HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    wrong_audience = api.app.state.runtime.tokens.encode(int(user["id"]))
    wrong_audience = jwt.encode(
        {**jwt.decode(wrong_audience, options={"verify_signature": False}), "aud": "other"},
        api.app.state.runtime.settings.signing_key,
        "HS256",
    )
    for token in (forged, unsigned, wrong_audience, "not.a.jwt"):
        assert await api.error_code(ME, token=token) == "UNAUTHENTICATED"


async def test_an_expired_access_token_is_unauthenticated(api: Api) -> None:
    user = await api.register()
    now = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        {
            "sub": user["id"],
            "iss": "referral-service",
            "aud": "referral-service:access",
            "iat": now,
            "exp": now + timedelta(minutes=15),
            "jti": "expired",
        },
        api.app.state.runtime.settings.signing_key,
        "HS256",
    )
    assert await api.error_code(ME, token=token) == "UNAUTHENTICATED"


async def test_an_inactive_account_is_forbidden(api: Api) -> None:
    user, token = await api.signed_up()
    async with database(api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(user["id"])).values(is_active=False)
        )
        await session.commit()
    assert await api.error_code(ME, token=token) == "FORBIDDEN"
    login = await api.post_graphql(LOGIN, {"input": {"email": user["email"], "password": PASSWORD}})
    assert login["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(api: Api) -> None:
    user = await api.register()
    first = await api.login(user["email"])
    second = (await api.gql(REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["user"] == {"id": user["id"]}
    assert (await api.gql(ME, token=second["accessToken"]))["me"]["id"] == user["id"]
    assert await api.error_code(REFRESH, {"token": first["refreshToken"]}) == "UNAUTHENTICATED"


async def test_a_reused_refresh_token_revokes_its_whole_family(api: Api) -> None:
    user = await api.register()
    first = await api.login(user["email"])
    second = (await api.gql(REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    assert await api.error_code(REFRESH, {"token": first["refreshToken"]}) == "UNAUTHENTICATED"
    assert await api.error_code(REFRESH, {"token": second["refreshToken"]}) == "UNAUTHENTICATED"


async def test_other_sessions_survive_a_reuse_in_one_family(api: Api) -> None:
    user = await api.register()
    stolen = await api.login(user["email"])
    other_device = await api.login(user["email"])
    await api.gql(REFRESH, {"token": stolen["refreshToken"]})
    await api.error_code(REFRESH, {"token": stolen["refreshToken"]})
    renewed = await api.gql(REFRESH, {"token": other_device["refreshToken"]})
    assert renewed["refreshToken"]["user"] == {"id": user["id"]}


async def test_parallel_refreshes_of_one_token_let_exactly_one_through(api: Api) -> None:
    user = await api.register()
    tokens = await api.login(user["email"])
    bodies = await asyncio.gather(
        *(api.post_graphql(REFRESH, {"token": tokens["refreshToken"]}) for _ in range(6))
    )
    winners = [body for body in bodies if not body.get("errors")]
    assert len(winners) == 1
    assert all(
        body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        for body in bodies
        if body.get("errors")
    )


async def test_an_unknown_refresh_token_is_unauthenticated(api: Api) -> None:
    assert await api.error_code(REFRESH, {"token": "made-up"}) == "UNAUTHENTICATED"


async def test_logout_revokes_the_access_token_and_the_refresh_token(api: Api) -> None:
    user = await api.register()
    tokens = await api.login(user["email"])
    other = await api.login(user["email"])
    done = await api.gql(LOGOUT, {"token": tokens["refreshToken"]}, token=tokens["accessToken"])
    assert done == {"logout": True}
    assert await api.error_code(ME, token=tokens["accessToken"]) == "UNAUTHENTICATED"
    assert await api.error_code(REFRESH, {"token": tokens["refreshToken"]}) == "UNAUTHENTICATED"
    assert (await api.gql(ME, token=other["accessToken"]))["me"]["id"] == user["id"]


async def test_logout_cannot_revoke_someone_elses_refresh_token(api: Api) -> None:
    victim = await api.login((await api.register())["email"])
    _, attacker_token = await api.signed_up()
    await api.gql(LOGOUT, {"token": victim["refreshToken"]}, token=attacker_token)
    renewed = await api.gql(REFRESH, {"token": victim["refreshToken"]})
    assert renewed["refreshToken"]["accessToken"]


async def test_logout_without_a_token_is_unauthenticated(api: Api) -> None:
    assert await api.error_code(LOGOUT) == "UNAUTHENTICATED"
