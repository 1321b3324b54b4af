"""Mutation resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.pages import parse_id
from app.graphql.arguments import (  # noqa: TC001 - Strawberry reads annotations at runtime
    CreateCodeInput,
    LoginInput,
    RegisterInput,
)
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import AuthPayload, ReferralCode, User
from app.graphql.webhooks import (
    CreatedWebhookEndpoint,
    CreateWebhookEndpointInput,
)

RefreshToken = Annotated[
    str, strawberry.argument(description="The refresh token of the session, as issued last.")
]


@strawberry.type(description="What changes things; each mutation commits on its own.")
class Mutation:
    @strawberry.mutation(
        description="Create an account, as the referral of a code's owner when a code is given."
    )
    async def register(
        self,
        info: strawberry.Info[Context],
        input: Annotated[RegisterInput, strawberry.argument(description="The new account.")],
    ) -> User:
        scope = info.context.scope
        await scope.count_attempt("register")
        registration = await scope.services.accounts.register(
            scope.uow,
            email=input.email,
            password=input.password,
            referral_code=input.referral_code,
        )
        return User.of(registration.user, private=True)

    @strawberry.mutation(
        description="Sign in with email and password; wrong ones are UNAUTHENTICATED alike."
    )
    async def login(
        self,
        info: strawberry.Info[Context],
        input: Annotated[LoginInput, strawberry.argument(description="The credentials.")],
    ) -> AuthPayload:
        scope = info.context.scope
        await scope.count_attempt("login", account=input.email)
        issued = await scope.services.sessions.sign_in(
            scope.uow, email=input.email, password=input.password
        )
        return AuthPayload.from_issued(issued)

    @strawberry.mutation(
        description="Trade a refresh token for new tokens; the old one stops working, and a "
        "reused one revokes its whole session."
    )
    async def refresh_token(
        self, info: strawberry.Info[Context], refresh_token: RefreshToken
    ) -> AuthPayload:
        scope = info.context.scope
        await scope.count_attempt("refresh_token")
        issued = await scope.services.sessions.refresh(scope.uow, refresh_token=refresh_token)
        return AuthPayload.from_issued(issued)

    @strawberry.mutation(
        description="Revoke the presented access token at once, and the refresh token's "
        "session when one is given."
    )
    async def logout(
        self,
        info: strawberry.Info[Context],
        refresh_token: Annotated[
            str | None,
            strawberry.argument(description="The session's refresh token, to revoke it too."),
        ] = None,
    ) -> bool:
        scope = info.context.scope
        await scope.services.sessions.sign_out(
            scope.uow, access_token=scope.require_access_token(), refresh_token=refresh_token
        )
        return True

    @strawberry.mutation(
        description="Create the signed-in user's active code; CONFLICT while one is active."
    )
    async def create_code(
        self,
        info: strawberry.Info[Context],
        input: Annotated[CreateCodeInput, strawberry.argument(description="The new code.")],
    ) -> ReferralCode:
        scope = info.context.scope
        code = await scope.services.codes.create(
            scope.uow,
            owner=await scope.require_viewer(),
            expires_at=input.expires_at,
            code=input.code,
            max_uses=input.max_uses,
        )
        return ReferralCode.from_code(code)

    @strawberry.mutation(
        description="Delete the signed-in user's active code and return it; NOT_FOUND when "
        "there is none."
    )
    async def delete_code(self, info: strawberry.Info[Context]) -> ReferralCode:
        scope = info.context.scope
        code = await scope.services.codes.delete(scope.uow, owner=await scope.require_viewer())
        return ReferralCode.from_code(code)

    @strawberry.mutation(
        description="Add a webhook endpoint: superusers only. Its secret is in the answer, "
        "this once; BAD_USER_INPUT for an unacceptable URL or an unknown event type."
    )
    async def create_webhook_endpoint(
        self,
        info: strawberry.Info[Context],
        input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The new endpoint.")
        ],
    ) -> CreatedWebhookEndpoint:
        scope = info.context.scope
        created = await scope.services.webhooks.create(
            scope.uow,
            viewer=await scope.require_viewer(),
            url=input.url,
            event_types=input.event_types,
        )
        return CreatedWebhookEndpoint.of(created)

    @strawberry.mutation(
        description="Delete a webhook endpoint (its pending deliveries are given up) and "
        "answer true: superusers only; NOT_FOUND when there is no such endpoint."
    )
    async def delete_webhook_endpoint(
        self,
        info: strawberry.Info[Context],
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
    ) -> bool:
        scope = info.context.scope
        await scope.services.webhooks.delete(
            scope.uow, viewer=await scope.require_viewer(), endpoint_id=parse_id(id)
        )
        return True
