"""GraphQL types of the leaderboard."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from app.domain.leaderboard import DEPTH, MAX_LAG_SECONDS, Period
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import PageInfo, User, sees_whole

if TYPE_CHECKING:
    from app.domain.leaderboard import LeaderboardPage


@strawberry.enum(description="Which referrals a leaderboard counts.")
class LeaderboardPeriod(Enum):
    ALL_TIME = strawberry.enum_value(Period.ALL_TIME.value, description="Every referral ever.")
    LAST_30_DAYS = strawberry.enum_value(
        Period.LAST_30_DAYS.value, description="Referrals that joined in the last 30 x 24 hours."
    )
    LAST_7_DAYS = strawberry.enum_value(
        Period.LAST_7_DAYS.value, description="Referrals that joined in the last 7 x 24 hours."
    )

    @property
    def period(self) -> Period:
        return Period[self.name]


@strawberry.type(description="One user's place on the leaderboard.")
class LeaderboardEdge:
    cursor: str = strawberry.field(description="This place, for `after`.")
    rank: int = strawberry.field(description="The 1-based position on the leaderboard.")
    referrals: int = strawberry.field(description="The user's referrals in the period.")
    node: User = strawberry.field(description="The user (email masked but for themself).")


@strawberry.type(
    description=f"A page of the top {DEPTH:,} referrers of a period: most referrals first, "
    "ties by user id ascending; users with no referral in the period are not listed. It may "
    f"lag behind new referrals by up to {MAX_LAG_SECONDS:.0f} seconds."
)
class LeaderboardConnection:
    edges: list[LeaderboardEdge] = strawberry.field(description="This page's places.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")

    @classmethod
    async def of(
        cls, page: LeaderboardPage, info: strawberry.Info[Context]
    ) -> LeaderboardConnection:
        """The page's edges, their users read in one batch and the viewer asked once. A user
        gone since the ranking was computed is left out."""
        scope = info.context.scope
        records = await scope.loaders.user.load_many([s.user_id for s in page.standings])
        viewer = await scope.viewer() if page.standings else None
        edges = [
            LeaderboardEdge(
                cursor=standing.cursor,
                rank=standing.rank,
                referrals=standing.referrals,
                node=User.of(record, private=sees_whole(viewer, record.id)),
            )
            for standing, record in zip(page.standings, records, strict=True)
            if record is not None
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )
