"""Mutation resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

import strawberry

from app.errors import Unauthenticated
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import (
    AuthPayload,
    CreateCodeInput,
    LoginInput,
    ReferralCode,
    RegisterInput,
    User,
)
from app.services import accounts, codes, sessions


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register(self, info: strawberry.Info[Context], input: RegisterInput) -> User:
        """Create an account, as a referral when a code is given."""
        context = info.context
        await context.count_attempt("register")
        async with context.db() as session:
            registration = await accounts.register(
                session,
                context.runtime,
                email=input.email,
                password=input.password,
                referral_code=input.referral_code,
            )
        return User.of(registration.user, is_caller=True)

    @strawberry.mutation
    async def login(self, info: strawberry.Info[Context], input: LoginInput) -> AuthPayload:
        """Sign in with email and password."""
        context = info.context
        await context.count_attempt("login", account=input.email)
        async with context.db() as session:
            issued = await sessions.sign_in(
                session, context.runtime, email=input.email, password=input.password
            )
        return AuthPayload.from_issued(issued)

    @strawberry.mutation
    async def refresh_token(
        self, info: strawberry.Info[Context], refresh_token: str
    ) -> AuthPayload:
        """Trade a refresh token for new tokens; the old one stops working."""
        context = info.context
        await context.count_attempt("refresh_token")
        async with context.db() as session:
            issued = await sessions.refresh(session, context.runtime, refresh_token=refresh_token)
        return AuthPayload.from_issued(issued)

    @strawberry.mutation
    async def logout(
        self, info: strawberry.Info[Context], refresh_token: str | None = None
    ) -> bool:
        """Revoke the presented access token, and the refresh token's family if given."""
        context = info.context
        token = context.access_token
        if token is None:
            raise Unauthenticated
        async with context.db() as session:
            await sessions.sign_out(
                session, context.runtime, access_token=token, refresh_token=refresh_token
            )
        return True

    @strawberry.mutation
    async def create_code(
        self, info: strawberry.Info[Context], input: CreateCodeInput
    ) -> ReferralCode:
        """Create the signed-in user's active code."""
        context = info.context
        owner = await context.require_viewer()
        async with context.db() as session:
            code = await codes.create(
                session, context.runtime, owner=owner, expires_at=input.expires_at, code=input.code
            )
        return ReferralCode.from_cached(code)

    @strawberry.mutation
    async def delete_code(self, info: strawberry.Info[Context]) -> ReferralCode:
        """Delete the signed-in user's active code and return it."""
        context = info.context
        owner = await context.require_viewer()
        async with context.db() as session:
            code = await codes.delete(session, context.runtime, owner=owner)
        return ReferralCode.from_cached(code)
