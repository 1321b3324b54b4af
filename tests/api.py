"""A small test client that speaks the contract: GraphQL operations and REST calls."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlmodel import col, select, update

from app.models import ReferralCode, User
from app.rate_limits import RULES

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

PASSWORD = "correct horse battery"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { id email isVerified createdAt referrer { id } }
}"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken tokenType expiresIn user { id email } }
}"""
CREATE_CODE = """
mutation Create($input: CreateCodeInput!) { createCode(input: $input) { code expiresAt createdAt } }
"""
DELETE_CODE = "mutation { deleteCode { code expiresAt createdAt } }"
CODE_BY_EMAIL = "query Code($email: String!) { codeByEmail(email: $email) { code expiresAt } }"


def unique_email(domain: str = "example.com") -> str:
    return f"user-{uuid.uuid4().hex[:12]}@{domain}"


def unique_client() -> str:
    """A loopback address no other test uses, so that rate limits count for this test alone."""
    host = uuid.uuid4().int % (2**24 - 2) + 1
    return f"127.{host >> 16}.{(host >> 8) & 255}.{host & 255}"


def limit_of(action: str, scope: str) -> int:
    """How many attempts at `action` a window admits per `scope` (client, account...)."""
    (rule,) = [rule for rule in RULES[action] if rule.scope == scope]  # type: ignore[index]
    return rule.limit.amount


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


class GraphQLErrors(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors
        self.codes = [error.get("extensions", {}).get("code") for error in errors]


class Api:
    def __init__(self, client: httpx.AsyncClient, app: Starlette) -> None:
        self.http = client
        self.app = app

    @classmethod
    @asynccontextmanager
    async def connect(cls, app: Starlette, *, client: str = "127.0.0.1") -> AsyncIterator[Api]:
        """A client for the app, seen as coming from the address `client`."""
        transport = httpx.ASGITransport(app=app, client=(client, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield cls(client, app)

    async def post_graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The whole GraphQL response body."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a successful operation; raises GraphQLErrors with the codes otherwise."""
        body = await self.post_graphql(query, variables, token=token)
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        return body["data"]

    async def error_code(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> str:
        """The contract code of the single error the operation must answer with."""
        body = await self.post_graphql(query, variables, token=token)
        assert body.get("errors"), f"expected an error, got {body}"
        return body["errors"][0]["extensions"]["code"]

    async def register(
        self, email: str | None = None, *, password: str = PASSWORD, code: str | None = None
    ) -> dict[str, Any]:
        variables = {"input": {"email": email or unique_email(), "password": password}}
        if code is not None:
            variables["input"]["referralCode"] = code
        return (await self.gql(REGISTER, variables))["register"]

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        data = await self.gql(LOGIN, {"input": {"email": email, "password": password}})
        return data["login"]

    async def signed_up(self, email: str | None = None) -> tuple[dict[str, Any], str]:
        """A new user and an access token for them."""
        user = await self.register(email)
        tokens = await self.login(user["email"])
        return user, tokens["accessToken"]

    async def create_code(
        self, token: str, *, code: str | None = None, expires_at: str | None = None
    ) -> dict[str, Any]:
        variables = {"input": {"code": code, "expiresAt": expires_at or in_days(30)}}
        return (await self.gql(CREATE_CODE, variables, token=token))["createCode"]

    async def code_by_email(self, email: str) -> dict[str, Any] | None:
        return (await self.gql(CODE_BY_EMAIL, {"email": email}))["codeByEmail"]


@asynccontextmanager
async def database(app: Starlette) -> AsyncIterator[Any]:
    """A session on the app's own database, for arranging states no API call can reach."""
    async with app.state.runtime.database.writers() as session:
        yield session


async def expire_code(api: Api, code: str) -> None:
    """Move a code's expiry into the past and forget what the cache knew of it."""
    async with database(api.app) as session:
        await session.exec(
            update(ReferralCode)
            .where(col(ReferralCode.code) == code)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        owner = (
            await session.exec(
                select(User.email).join(ReferralCode).where(col(ReferralCode.code) == code)
            )
        ).one()
    await api.app.state.runtime.codes.invalidate(email=owner, code=code)
