"""Query resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

import strawberry

from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.limits import MAX_PAGE_SIZE
from app.graphql.types import ReferralCode, ReferralConnection, User
from app.services import codes, referrals
from app.services.referrals import parse_id


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: strawberry.Info[Context]) -> User:
        """The signed-in user."""
        return User.of(await info.context.require_viewer())

    @strawberry.field
    async def code_by_email(
        self, info: strawberry.Info[Context], email: str
    ) -> ReferralCode | None:
        """The active code of the user with this email; null when there is none."""
        context = info.context
        await context.count_attempt("code_by_email")
        code = await codes.active_by_email(context.db, context.runtime, email=email)
        return ReferralCode.from_cached(code) if code is not None else None

    @strawberry.field
    async def referrals_by_id(
        self,
        info: strawberry.Info[Context],
        id: strawberry.ID,
        first: int = 50,
        after: str | None = None,
    ) -> ReferralConnection:
        """The referrals of a user, oldest first."""
        user_id = parse_id(id)
        async with info.context.db() as session:
            page = await referrals.list_page(
                session, user_id=user_id, first=first, after=after, max_first=MAX_PAGE_SIZE
            )
        return ReferralConnection.from_page(page)
