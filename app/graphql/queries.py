"""Query resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.pages import parse_id
from app.graphql.arguments import After, PageSize  # noqa: TC001 - read by Strawberry
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.leaderboard import LeaderboardConnection, LeaderboardPeriod
from app.graphql.types import ReferralCode, ReferralConnection, User
from app.graphql.webhooks import WebhookEndpoint


@strawberry.type(description="What anyone may read; `me` needs a signed-in user.")
class Query:
    @strawberry.field(description="The signed-in user; UNAUTHENTICATED without a valid token.")
    async def me(self, info: strawberry.Info[Context]) -> User:
        return User.of(await info.context.scope.require_viewer(), private=True)

    @strawberry.field(
        description="The active code of the user with this email; null for an unknown email, "
        "no code, an expired or a deleted code alike."
    )
    async def code_by_email(
        self,
        info: strawberry.Info[Context],
        email: Annotated[str, strawberry.argument(description="The user's email, any case.")],
    ) -> ReferralCode | None:
        scope = info.context.scope
        await scope.count_attempt("code_by_email")
        code = await scope.services.codes.active_by_email(scope.uow, email=email)
        return ReferralCode.from_code(code) if code is not None else None

    @strawberry.field(
        description="The users who joined with a user's codes, oldest first; NOT_FOUND when "
        "there is no such user."
    )
    async def referrals_by_id(
        self,
        info: strawberry.Info[Context],
        id: Annotated[strawberry.ID, strawberry.argument(description="The user's id.")],
        first: PageSize = 50,
        after: After = None,
    ) -> ReferralConnection:
        scope = info.context.scope
        page = await scope.services.referrals.page(
            scope.uow, user_id=parse_id(id), size=first, after=after
        )
        return await ReferralConnection.of(page, info)

    @strawberry.field(
        description="Every webhook endpoint, oldest first: superusers only (FORBIDDEN for "
        "others, UNAUTHENTICATED without a token)."
    )
    async def webhook_endpoints(self, info: strawberry.Info[Context]) -> list[WebhookEndpoint]:
        scope = info.context.scope
        endpoints = await scope.services.webhooks.endpoints(
            scope.uow, viewer=await scope.require_viewer()
        )
        return [WebhookEndpoint.of(endpoint) for endpoint in endpoints]

    @strawberry.field(
        description="The users with most referrals in the period, most first, ties by user id; "
        "public, emails masked. It may lag behind new referrals by up to 60 seconds."
    )
    async def leaderboard(
        self,
        info: strawberry.Info[Context],
        period: Annotated[
            LeaderboardPeriod, strawberry.argument(description="Which referrals count.")
        ] = LeaderboardPeriod.ALL_TIME,
        first: Annotated[
            int, strawberry.argument(description="How many places to list: 1 to 100.")
        ] = 10,
        after: After = None,
    ) -> LeaderboardConnection:
        scope = info.context.scope
        page = await scope.services.leaderboard.page(
            scope.uow, period=period.period, size=first, after=after
        )
        return await LeaderboardConnection.of(page, info)
