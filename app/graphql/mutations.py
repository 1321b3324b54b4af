"""Mutation resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

import strawberry

from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import (
    AuthPayload,
    CreateCodeInput,
    LoginInput,
    ReferralCode,
    RegisterInput,
    User,
)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register(self, info: strawberry.Info[Context], input: RegisterInput) -> User:
        """Create an account, as a referral when a code is given."""
        scope = info.context.scope
        await scope.count_attempt("register")
        registration = await scope.services.accounts.register(
            scope.uow,
            email=input.email,
            password=input.password,
            referral_code=input.referral_code,
        )
        return User.of(registration.user, is_caller=True)

    @strawberry.mutation
    async def login(self, info: strawberry.Info[Context], input: LoginInput) -> AuthPayload:
        """Sign in with email and password."""
        scope = info.context.scope
        await scope.count_attempt("login", account=input.email)
        issued = await scope.services.sessions.sign_in(
            scope.uow, email=input.email, password=input.password
        )
        return AuthPayload.from_issued(issued)

    @strawberry.mutation
    async def refresh_token(
        self, info: strawberry.Info[Context], refresh_token: str
    ) -> AuthPayload:
        """Trade a refresh token for new tokens; the old one stops working."""
        scope = info.context.scope
        await scope.count_attempt("refresh_token")
        issued = await scope.services.sessions.refresh(scope.uow, refresh_token=refresh_token)
        return AuthPayload.from_issued(issued)

    @strawberry.mutation
    async def logout(
        self, info: strawberry.Info[Context], refresh_token: str | None = None
    ) -> bool:
        """Revoke the presented access token, and the refresh token's family if given."""
        scope = info.context.scope
        await scope.services.sessions.sign_out(
            scope.uow, access_token=scope.require_access_token(), refresh_token=refresh_token
        )
        return True

    @strawberry.mutation
    async def create_code(
        self, info: strawberry.Info[Context], input: CreateCodeInput
    ) -> ReferralCode:
        """Create the signed-in user's active code."""
        scope = info.context.scope
        code = await scope.services.codes.create(
            scope.uow,
            owner=await scope.require_viewer(),
            expires_at=input.expires_at,
            code=input.code,
        )
        return ReferralCode.from_code(code)

    @strawberry.mutation
    async def delete_code(self, info: strawberry.Info[Context]) -> ReferralCode:
        """Delete the signed-in user's active code and return it."""
        scope = info.context.scope
        code = await scope.services.codes.delete(scope.uow, owner=await scope.require_viewer())
        return ReferralCode.from_code(code)
