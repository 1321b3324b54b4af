"""Every error of the contract's table, reached over REST: its status and a `{"detail"}` body."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from app.errors import RateLimited
from app.main import create_app
from app.services.codes import Codes
from tests.api import Api, expire_code, unique_email
from tests.conftest import make_settings, running
from tests.rest.helpers import (
    bearer,
    create_code,
    deactivate,
    in_days,
    register,
    signed_up,
    tokens,
)
from tests.standins.answers import verification

if TYPE_CHECKING:
    import httpx

    from tests.standins.server import HunterStandin


def detail(response: httpx.Response, status: int) -> Any:
    """The body's detail, once the status is the expected one."""
    assert response.status_code == status, response.text
    assert set(response.json()) == {"detail"}
    return response.json()["detail"]


async def test_no_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    response = await api.http.delete("/referrals/delete_code")
    assert detail(response, 401) == "Authentication required."
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_forged_token_is_401(api: Api) -> None:
    response = await api.http.post(
        "/referrals/create_code", json={"expiration": in_days(1)}, headers=bearer("not.a.jwt")
    )
    assert detail(response, 401) == "The token is invalid, expired or revoked."


async def test_a_wrong_password_is_401_on_login_and_token(api: Api) -> None:
    user = await register(api)
    form = {"username": user["email"], "password": "wrong password"}
    assert detail(await api.http.post("/auth/login", data=form), 401) == (
        "Incorrect email or password."
    )
    token = await api.http.post("/auth/token", data={"grant_type": "password", **form})
    assert detail(token, 401) == "Incorrect email or password."


async def test_an_inactive_account_is_403(api: Api) -> None:
    user, headers = await signed_up(api)
    await deactivate(api, user["id"])
    assert detail(await api.http.delete("/referrals/delete_code", headers=headers), 403)
    login = await api.http.post(
        "/auth/login", data={"username": user["email"], "password": "correct horse battery"}
    )
    assert detail(login, 403) == "This account is inactive."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "not-an-email", "password": "long enough"}, "Invalid email address"),
        ({"email": "ok@example.com", "password": "short"}, "The password must be 8 to 128"),
    ],
)
async def test_rule_violations_are_422_with_the_rule_message(
    api: Api, body: dict[str, str], message: str
) -> None:
    response = await api.http.post("/auth/register/", json=body)
    assert detail(response, 422).startswith(message)


async def test_a_bad_code_or_expiry_is_422(api: Api) -> None:
    _, headers = await signed_up(api)
    bad_code = {"code": "a-b", "expiration": in_days(1)}
    past = {"expiration": in_days(-1)}
    too_far = {"expiration": in_days(400)}
    before_year_1_in_utc = {"expiration": "0001-01-01T00:00:00+00:02"}
    after_year_9999_in_utc = {"expiration": "9999-12-31T23:59:59-01:00"}
    for body in (bad_code, past, too_far, before_year_1_in_utc, after_year_9999_in_utc):
        response = await api.http.post("/referrals/create_code", json=body, headers=headers)
        assert isinstance(detail(response, 422), str)


async def test_an_unknown_user_is_404(api: Api) -> None:
    assert detail(await api.http.get("/referrals/by_id/2147483000"), 404) == "No such user."


async def test_an_id_beyond_the_database_range_is_404_not_500(api: Api) -> None:
    assert detail(await api.http.get("/referrals/by_id/999999999999999999"), 404)


async def test_deleting_without_an_active_code_is_404(api: Api) -> None:
    _, headers = await signed_up(api)
    response = await api.http.delete("/referrals/delete_code", headers=headers)
    assert detail(response, 404) == "You have no active referral code."


async def test_code_by_email_without_an_active_code_is_404(api: Api) -> None:
    user = await register(api)
    for email in (user["email"], unique_email()):
        assert detail(await api.http.get(f"/referrals/code_by_email/{email}"), 404)


async def test_a_taken_email_is_409(api: Api) -> None:
    user = await register(api)
    response = await api.http.post(
        "/auth/register/", json={"email": user["email"].upper(), "password": "long enough"}
    )
    assert detail(response, 409) == "This email address is already registered."


async def test_a_second_active_code_or_a_taken_code_is_409(api: Api) -> None:
    _, headers = await signed_up(api)
    _, other_headers = await signed_up(api)
    created = await create_code(api, headers)
    second = await api.http.post(
        "/referrals/create_code", json={"expiration": in_days(1)}, headers=headers
    )
    assert detail(second, 409).startswith("You already have an active referral code")
    taken = await api.http.post(
        "/referrals/create_code",
        json={"code": created["code"].lower(), "expiration": in_days(1)},
        headers=other_headers,
    )
    assert detail(taken, 409) == "This referral code is already taken."


async def test_an_unknown_referral_code_is_400(api: Api) -> None:
    response = await api.http.post(
        "/auth/register/?referral_code=NOSUCHCODE1",
        json={"email": unique_email(), "password": "long enough"},
    )
    assert detail(response, 400) == "This referral code does not exist."


async def test_an_expired_referral_code_is_400(api: Api) -> None:
    _, headers = await signed_up(api)
    created = await create_code(api, headers)
    await expire_code(api, created["code"])
    response = await api.http.post(
        "/auth/register/",
        params={"referral_code": created["code"]},
        json={"email": unique_email(), "password": "long enough"},
    )
    assert detail(response, 400) == "This referral code has expired."


async def test_a_rejected_email_is_400(backend: dict[str, Any], hunter: HunterStandin) -> None:
    email = unique_email()
    hunter.verifier.script(email, verification("invalid"))
    settings = make_settings(backend, **hunter.settings())
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        response = await api.http.post(
            "/auth/register/", json={"email": email, "password": "long enough"}
        )
    assert detail(response, 400) == "This email address cannot receive mail."


async def test_rate_limited_is_429_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def limited(*args: object, **kwargs: object) -> None:
        raise RateLimited(retry_after=7)

    monkeypatch.setattr(Codes, "active_by_email", limited)
    response = await api.http.get(f"/referrals/code_by_email/{unique_email()}")
    assert detail(response, 429) == "Too many requests; try again later."
    assert response.headers["retry-after"] == "7"


async def test_an_unreachable_database_is_503(backend: dict[str, Any]) -> None:
    unreachable = (
        f"sqlite+aiosqlite:///{backend['data_dir']}/no/such/folder/referrals.db"
        if backend["name"] == "embedded"
        else "postgresql+asyncpg://postgres@127.0.0.1:9/referrals"
    )
    settings = make_settings(backend, database_url=unreachable, db_timeout=1.0)
    async with running(create_app(settings)) as app, Api.connect(app) as down:
        response = await down.http.get("/referrals/by_id/1")
    assert detail(response, 503).startswith("The service is temporarily unavailable")


async def test_an_unexpected_error_is_500_and_logged_without_request_data(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    email = unique_email()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"something about {email}")

    monkeypatch.setattr(Codes, "active_by_email", broken)
    with caplog.at_level(logging.ERROR, logger="app.rest.errors"):
        response = await api.http.get(f"/referrals/code_by_email/{email}")
    assert detail(response, 500) == "Internal Server Error"
    assert "RuntimeError in GET /referrals/code_by_email/{email}" in caplog.text
    assert email not in caplog.text


async def test_a_refresh_token_used_twice_is_401(api: Api) -> None:
    user = await register(api)
    issued = await tokens(api, user["email"])
    form = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    assert (await api.http.post("/auth/token", data=form)).status_code == 200
    assert detail(await api.http.post("/auth/token", data=form), 401)


async def test_a_503_says_when_to_retry(backend: dict[str, Any]) -> None:
    unreachable = (
        f"sqlite+aiosqlite:///{backend['data_dir']}/no/such/folder/referrals.db"
        if backend["name"] == "embedded"
        else "postgresql+asyncpg://postgres@127.0.0.1:9/referrals"
    )
    settings = make_settings(backend, database_url=unreachable, db_timeout=1.0)
    async with running(create_app(settings)) as app, Api.connect(app) as down:
        answers = [
            await down.http.get("/referrals/by_id/1"),
            await down.http.get(f"/referrals/code_by_email/{unique_email()}"),
            await down.http.post(
                "/auth/register/", json={"email": unique_email(), "password": "long enough"}
            ),
            await down.http.post(
                "/auth/token", data={"grant_type": "refresh_token", "refresh_token": "any"}
            ),
        ]
    for response in answers:
        assert detail(response, 503)
        assert 1 <= int(response.headers["retry-after"]) <= 30
