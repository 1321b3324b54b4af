"""Subscription resolvers: what a WebSocket connection hears as it happens (app.graphql.live)."""

from __future__ import annotations

from collections.abc import AsyncGenerator  # noqa: TC003 - Strawberry reads the annotation

import strawberry

from app.domain.pages import encode_cursor
from app.graphql.context import LiveContext  # noqa: TC001 - Strawberry resolves Info[LiveContext]
from app.graphql.types import ReferralEdge, User, sees_whole


@strawberry.type(
    description="Live updates, over WebSocket at /graphql with the graphql-transport-ws "
    'protocol; the access token goes in `connection_init`\'s payload: {"Authorization": '
    '"Bearer <accessToken>"}. A connection ends (closed with 4403) when the token expires or '
    "within 60 s of its logout, and holds at most 10 subscriptions."
)
class Subscription:
    @strawberry.subscription(
        description="The signed-in user's new referrals, as they join: each an edge as in "
        "`referrals` (its cursor continues that list), its node the new account as the "
        "referrer may see it (email masked unless a superuser)."
    )
    async def referral_joined(
        self, info: strawberry.Info[LiveContext]
    ) -> AsyncGenerator[ReferralEdge, None]:
        scope = info.context.scope
        viewer = await scope.require_viewer()
        assert viewer.id is not None
        metrics = scope.runtime.metrics
        async with scope.services.feed.joined(referrer_id=viewer.id) as referrals:
            metrics.subscription_opened()
            try:
                async for referral in referrals:
                    # Each event is answered with fresh reads (its node's referrer, codes...).
                    scope.forget_reads()
                    private = sees_whole(viewer, referral.referee_id)
                    yield ReferralEdge(
                        cursor=encode_cursor(referral.referee_id),
                        node=User.joined(referral, private=private),
                    )
            finally:
                metrics.subscription_closed()
