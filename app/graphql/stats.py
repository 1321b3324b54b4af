"""GraphQL types of a user's referral statistics."""

from __future__ import annotations

from datetime import date  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.domain.stats import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]

if TYPE_CHECKING:
    from app.domain.stats import DayCount, StatsSummary

Days = Annotated[
    int,
    strawberry.argument(
        description=f"How many UTC days to list, {MIN_DAYS} to {MAX_DAYS}, ending today."
    ),
]


@strawberry.type(description="One UTC day of a user's referrals and share-link visits.")
class DailyReferrals:
    date: date = strawberry.field(description="The UTC day.")
    referrals: int = strawberry.field(description="Users who joined with the user's codes.")
    visits: int = strawberry.field(description="Visits of the user's share links counted.")

    @classmethod
    def of(cls, day: DayCount) -> DailyReferrals:
        return cls(date=day.day, referrals=day.referrals, visits=day.visits)


@strawberry.type(
    description="How a user's referral codes are doing. A referral counts on the UTC day it "
    "joined; reading the statistics costs the same whatever the number of referrals."
)
class ReferralStats:
    total_referrals: int = strawberry.field(description="Every referral the user has had.")
    referrals_last_7_days: int = strawberry.field(
        description="Referrals that joined in the last 7 x 24 hours."
    )
    referrals_last_30_days: int = strawberry.field(
        description="Referrals that joined in the last 30 x 24 hours."
    )
    visits_last_30_days: int = strawberry.field(
        description="Visits of any of the user's share links in the last 30 days. Visits are "
        "counted per UTC day, so these are the 30 UTC days ending today, the days that "
        "`daily(days: 30)` lists."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, user_id: int, summary: StatsSummary) -> ReferralStats:
        return cls(
            total_referrals=summary.total_referrals,
            referrals_last_7_days=summary.referrals_last_7_days,
            referrals_last_30_days=summary.referrals_last_30_days,
            visits_last_30_days=summary.visits_last_30_days,
            user_id=user_id,
        )

    @strawberry.field(
        description="Exactly `days` entries, one per UTC day, oldest first, ending today; days "
        "with nothing have zeros. BAD_USER_INPUT for `days` out of range."
    )
    async def daily(
        self, info: strawberry.Info[Context], days: Days = DEFAULT_DAYS
    ) -> list[DailyReferrals]:
        series = await info.context.scope.loaders.daily_stats.load((self.user_id, days))
        return [DailyReferrals.of(day) for day in series]
