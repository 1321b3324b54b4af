"""Query resolvers: parse, call one service, shape the answer."""

from __future__ import annotations

import strawberry

from app.domain.pages import parse_id
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import ReferralCode, ReferralConnection, User


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: strawberry.Info[Context]) -> User:
        """The signed-in user."""
        return User.of(await info.context.scope.require_viewer())

    @strawberry.field
    async def code_by_email(
        self, info: strawberry.Info[Context], email: str
    ) -> ReferralCode | None:
        """The active code of the user with this email; null when there is none."""
        scope = info.context.scope
        await scope.count_attempt("code_by_email")
        code = await scope.services.codes.active_by_email(scope.uow, email=email)
        return ReferralCode.from_code(code) if code is not None else None

    @strawberry.field
    async def referrals_by_id(
        self,
        info: strawberry.Info[Context],
        id: strawberry.ID,
        first: int = 50,
        after: str | None = None,
    ) -> ReferralConnection:
        """The referrals of a user, oldest first."""
        scope = info.context.scope
        page = await scope.services.referrals.page(
            scope.uow, user_id=parse_id(id), size=first, after=after
        )
        return ReferralConnection.from_page(page)
