"""REST calls the tests share: register, sign in with a cookie or a token, arrange states."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import col, update

from app.models import User
from tests.api import PASSWORD, database, in_days, unique_email

if TYPE_CHECKING:
    from tests.api import Api

COOKIE = "fastapiusersauth"


async def register(
    api: Api, email: str | None = None, *, code: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    """A new user, as POST /auth/register/ answers it."""
    params = {"referral_code": code} if code is not None else {}
    response = await api.http.post(
        "/auth/register/",
        params=params,
        json={"email": email or unique_email(), "password": password},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def login_cookie(api: Api, email: str, password: str = PASSWORD) -> str:
    """The auth cookie's value after POST /auth/login (the client's jar is left empty)."""
    response = await api.http.post("/auth/login", data={"username": email, "password": password})
    assert response.status_code == 204, response.text
    api.http.cookies.clear()
    return response.cookies[COOKIE]


async def tokens(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """POST /auth/token with the password grant."""
    response = await api.http.post(
        "/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def signed_up(api: Api) -> tuple[dict[str, Any], dict[str, str]]:
    """A new user and the headers that sign requests in as them (a bearer token)."""
    user = await register(api)
    issued = await tokens(api, user["email"])
    return user, bearer(issued["access_token"])


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}"}


async def create_code(
    api: Api, headers: dict[str, str], *, code: str | None = None, days: float = 30
) -> dict[str, Any]:
    """POST /referrals/create_code, which must succeed."""
    body = {"code": code, "expiration": in_days(days)} if code else {"expiration": in_days(days)}
    response = await api.http.post("/referrals/create_code", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def deactivate(api: Api, user_id: int) -> None:
    async with database(api.app) as session:
        await session.exec(update(User).where(col(User.id) == user_id).values(is_active=False))
        await session.commit()
