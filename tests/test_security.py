"""Validly signed tokens with claims out of range are UNAUTHENTICATED, never an internal error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from app.domain.pages import MAX_ID

if TYPE_CHECKING:
    from tests.api import Api

ME = "{ me { id } }"
OUT_OF_RANGE = [
    {"sub": str(2**70)},
    {"sub": str(MAX_ID + 1)},
    {"sub": "0"},
    {"sub": "9" * 5000},
    {"sub": "1_0"},
    {"sub": "\u0661"},  # ARABIC-INDIC DIGIT ONE, which int() reads as 1
    {"exp": 1e20},
    {"exp": 10**30},
    {"exp": float("inf")},  # written as Infinity, which JSON decoders read back
]


def signed(api: Api, **claims: Any) -> str:
    """A token signed with the app's own key, with `claims` over valid ones for user 1."""
    codec = api.app.state.runtime.tokens
    now = int(time.time())
    payload = {
        "sub": "1",
        "iss": codec.issuer,
        "aud": codec.audience,
        "iat": now,
        "exp": now + 300,
        "jti": f"out-of-range-{now}",
        **claims,
    }
    return jwt.encode(payload, api.app.state.runtime.settings.signing_key, "HS256")


@pytest.mark.parametrize("claims", OUT_OF_RANGE, ids=str)
async def test_a_signed_token_with_out_of_range_claims_is_unauthenticated(
    api: Api, claims: dict[str, Any]
) -> None:
    await api.register()  # user 1 exists, so only the claim can be wrong
    token = signed(api, **claims)
    assert await api.error_code(ME, token=token) == "UNAUTHENTICATED"
    response = await api.http.post(
        "/referrals/create_code",
        json={"expiration": "2030-01-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_signed_token_within_range_still_signs_in(api: Api) -> None:
    user = await api.register()
    token = signed(api, sub=user["id"])
    assert await api.gql(ME, token=token) == {"me": {"id": user["id"]}}
