"""Tokens with out-of-range claims are UNAUTHENTICATED; hashing takes any string it is given."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from hypothesis import given, settings

from app.domain.pages import MAX_ID
from app.security import PasswordHasher, hash_refresh_token, password_context
from tests.strategies import odd_text

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


@settings(max_examples=15, deadline=None)
@given(password=odd_text, other=odd_text)
async def test_any_string_hashes_and_verifies_as_itself_alone(password: str, other: str) -> None:
    hasher = PasswordHasher(threads=1)
    try:
        hashed = await hasher.hash(password)
        assert await hasher.verify(password, hashed)
        assert await hasher.verify(other, hashed) is (other == password)
    finally:
        hasher.close()


@given(token=odd_text)
def test_any_refresh_token_hashes_to_a_sha256_hex_digest(token: str) -> None:
    digest = hash_refresh_token(token)
    assert len(digest) == 64
    assert digest == hash_refresh_token(token)
    assert int(digest, 16) >= 0


async def test_valid_text_hashes_as_plain_utf_8_so_stored_hashes_still_verify() -> None:
    password = "pässwörd 🔑 with ümlauts"
    hasher = PasswordHasher(threads=1)
    try:
        assert password_context.verify(password, await hasher.hash(password))
    finally:
        hasher.close()
    assert hash_refresh_token(password) == hashlib.sha256(password.encode()).hexdigest()
