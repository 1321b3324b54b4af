"""The replaced FastAPI service's README, replayed through the shim: same paths, statuses, keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from app.main import create_app
from tests.api import Api, unique_email
from tests.conftest import make_settings, running
from tests.rest.helpers import COOKIE, cookie, login_cookie

PASSWORD = "a longer string"  # the README's "string" is below our minimum of 8 characters
USER_KEYS = {
    "id",
    "email",
    "is_active",
    "is_superuser",
    "is_verified",
    "referral_code",
    "referral_expiration",
    "referrer_id",
    "referrals",
    "referrer",
}


async def test_the_readme_session_works_unchanged(api: Api) -> None:
    email = unique_email()
    registered = await api.http.post(
        "/auth/register/",
        json={
            "email": email,
            "password": PASSWORD,
            "is_active": True,
            "is_superuser": False,
            "is_verified": False,
        },
    )
    assert registered.status_code == 200
    assert set(registered.json()) == USER_KEYS
    referrer = registered.json()

    login = await api.http.post(
        "/auth/login",
        content=f"grant_type=password&username={email}&password={PASSWORD}"
        "&scope=&client_id=&client_secret=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert login.status_code == 204
    assert login.content == b""
    jwt = login.cookies[COOKIE]
    api.http.cookies.clear()

    code_value = "GADJ" + unique_email()[5:11].upper()
    expiration = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    created = await api.http.post(
        "/referrals/create_code",
        json={"code": code_value, "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        headers=cookie(jwt),
    )
    assert created.status_code == 200
    assert set(created.json()) == {"code", "expiration"}
    assert created.json()["code"] == code_value
    assert datetime.fromisoformat(created.json()["expiration"]) == expiration

    found = await api.http.get(f"/referrals/code_by_email/{email}")
    assert found.status_code == 200
    assert found.json() == {"code": code_value}

    joined = await api.http.post(
        f"/auth/register/?referral_code={code_value}",
        json={"email": unique_email(), "password": PASSWORD},
    )
    assert joined.status_code == 200
    assert joined.json()["referrer_id"] == referrer["id"]

    listed = await api.http.get(f"/referrals/by_id/{referrer['id']}")
    assert listed.status_code == 200
    assert listed.json()["referrer"] == referrer["id"]
    assert listed.json()["referrals"] == [joined.json()["id"]]

    deleted = await api.http.delete("/referrals/delete_code", headers=cookie(jwt))
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert (await api.http.get(f"/referrals/code_by_email/{email}")).status_code == 404

    logout = await api.http.post("/auth/logout", headers=cookie(jwt))
    assert logout.status_code == 204
    assert re.match(
        rf'{COOKIE}=""; .*Max-Age=0; Path=/; SameSite=lax', logout.headers["set-cookie"]
    )
    again = await api.http.post(
        "/referrals/create_code", json={"expiration": expiration.isoformat()}, headers=cookie(jwt)
    )
    assert again.status_code == 401
    assert again.json() == {"detail": "The token is invalid, expired or revoked."}


async def test_register_answers_the_new_user_with_its_whole_email(api: Api) -> None:
    email = unique_email()
    response = await api.http.post(
        "/auth/register/", json={"email": email.upper(), "password": PASSWORD}
    )
    assert response.json() == {
        "id": response.json()["id"],
        "email": email,
        "is_active": True,
        "is_superuser": False,
        "is_verified": False,
        "referral_code": None,
        "referral_expiration": None,
        "referrer_id": None,
        "referrals": None,
        "referrer": None,
    }


async def test_register_ignores_a_payload_asking_for_superuser_verified_or_inactive(
    api: Api,
) -> None:
    response = await api.http.post(
        "/auth/register/",
        json={
            "email": unique_email(),
            "password": PASSWORD,
            "is_active": False,
            "is_superuser": True,
            "is_verified": True,
            "id": 999999,
        },
    )
    assert response.status_code == 200
    user = response.json()
    assert (user["is_active"], user["is_superuser"], user["is_verified"]) == (True, False, False)
    assert user["id"] != 999999
    await login_cookie(api, user["email"], PASSWORD)


async def test_register_without_the_trailing_slash_redirects_to_it(api: Api) -> None:
    response = await api.http.post(
        "/auth/register", json={"email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 307
    assert response.headers["location"].endswith("/auth/register/")


async def test_login_sets_an_http_only_lax_cookie_for_the_access_token_lifetime(api: Api) -> None:
    email = unique_email()
    await api.http.post("/auth/register/", json={"email": email, "password": PASSWORD})
    response = await api.http.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    value = response.cookies[COOKIE]
    assert set_cookie == f"{COOKIE}={value}; HttpOnly; Max-Age=900; Path=/; SameSite=lax"
    assert response.headers["cache-control"] == "no-store"


async def test_the_cookie_is_secure_and_renamed_when_configured(backend: dict[str, Any]) -> None:
    settings = make_settings(backend, auth_cookie_secure=True, auth_cookie_name="session")
    async with running(create_app(settings)) as app, Api.connect(app) as secure_api:
        email = unique_email()
        await secure_api.http.post("/auth/register/", json={"email": email, "password": PASSWORD})
        response = await secure_api.http.post(
            "/auth/login", data={"username": email, "password": PASSWORD}
        )
    assert response.headers["set-cookie"].startswith("session=")
    assert response.headers["set-cookie"].endswith("; Secure")
