"""The GraphQL object types of the contract, resolved from domain records."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING, Any

import strawberry

from app.domain.accounts import mask_email
from app.domain.codes import Code, share_url
from app.domain.pages import encode_cursor
from app.domain.profiles import PROFILE_FIELDS
from app.graphql.arguments import After, PageSize  # noqa: TC001 - read by Strawberry
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.selections import nodes_need_more_than_ids
from app.graphql.stats import ReferralStats
from app.models import User as UserRecord  # noqa: TC001 - Strawberry resolves Private fields

if TYPE_CHECKING:
    from app.domain.pages import ReferralPage
    from app.models import Profile as ProfileRecord
    from app.services.codes import CodeCounts
    from app.services.live import JoinedReferral
    from app.services.sessions import IssuedTokens


@strawberry.type(
    description="A referral code: a newcomer who registers with it joins as its owner's referral."
)
class ReferralCode:
    id: strawberry.ID = strawberry.field(
        description="Stable and unique among all codes ever issued (a key for client caches)."
    )
    code: str = strawberry.field(
        description="4 to 24 letters and digits, upper case; never issued to anyone else."
    )
    expires_at: datetime = strawberry.field(description="When the code stops being active.")
    created_at: datetime = strawberry.field(description="When the code was created.")
    record: strawberry.Private[Code]

    @classmethod
    def from_code(cls, code: Code) -> ReferralCode:
        return cls(
            id=strawberry.ID(str(code.id)),
            code=code.code,
            expires_at=code.expires_at,
            created_at=code.created_at,
            record=code,
        )

    @strawberry.field(
        description='The link to share: PUBLIC_URL + "/r/" + code. It redirects to the '
        "sign-up page (LANDING_URL) with `ref=<code>` and counts the visit."
    )
    def share_url(self, info: strawberry.Info[Context]) -> str:
        return share_url(info.context.scope.runtime.settings.public_url, self.code)

    @strawberry.field(
        description="How many registrations the code admits (null: unlimited); only for its "
        "owner and superusers (null for everyone else)."
    )
    async def max_uses(self, info: strawberry.Info[Context]) -> int | None:
        return self.record.max_uses if await self._owner_sees(info) else None

    @strawberry.field(
        description="Registrations made with the code; only for its owner and superusers "
        "(null for everyone else)."
    )
    async def uses(self, info: strawberry.Info[Context]) -> int | None:
        counts = await self._counts(info)
        return counts.uses if counts is not None else None

    @strawberry.field(
        description="Visits of `shareUrl` counted (one per client address and hour; counted "
        "within a second); only for its owner and superusers (null for everyone else)."
    )
    async def visits(self, info: strawberry.Info[Context]) -> int | None:
        counts = await self._counts(info)
        return counts.visits if counts is not None else None

    async def _owner_sees(self, info: strawberry.Info[Context]) -> bool:
        return sees_whole(await info.context.scope.viewer(), self.record.owner_id)

    async def _counts(self, info: strawberry.Info[Context]) -> CodeCounts | None:
        """The code's counts read now (batched), if the viewer may see them."""
        if not await self._owner_sees(info):
            return None
        return await info.context.scope.loaders.code_counts.load(self.record.id)


@strawberry.type(description="What enrichment found about a person; any field may be null.")
class Profile:
    full_name: str | None = strawberry.field(description="The person's full name.")
    given_name: str | None = strawberry.field(description="The person's given name.")
    family_name: str | None = strawberry.field(description="The person's family name.")
    location: str | None = strawberry.field(description="Where the person is, as given.")
    company: str | None = strawberry.field(description="The company the person works for.")
    company_domain: str | None = strawberry.field(description="That company's web domain.")
    title: str | None = strawberry.field(description="The person's job title.")
    avatar_url: str | None = strawberry.field(description="A picture of the person.")
    enriched_at: datetime | None = strawberry.field(description="When the profile was found.")

    @classmethod
    def from_record(cls, record: ProfileRecord) -> Profile:
        data = {name: getattr(record, name) for name in PROFILE_FIELDS}
        return cls(**data, enriched_at=record.enriched_at)


@strawberry.type(description="Where a page stands in its list (Relay's cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item: pass it as `after` for the next page; "
        "null for an empty page."
    )


@strawberry.type(description="One referral in a page, with its position.")
class ReferralEdge:
    cursor: str = strawberry.field(description="This referral's position, for `after`.")
    node: User = strawberry.field(description="The user who joined.")


@strawberry.type(description="A page of a user's referrals, oldest first.")
class ReferralConnection:
    total_count: int = strawberry.field(description="How many referrals the user has in all.")
    edges: list[ReferralEdge] = strawberry.field(description="This page's referrals.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")

    @classmethod
    async def of(cls, page: ReferralPage, info: strawberry.Info[Context]) -> ReferralConnection:
        """The page's edges. Their nodes come with their accounts (one batched read) and what
        the viewer may see of them (asked once) when the operation wants more than their ids,
        so that each node's fields are plain reads; a page of ids alone reads no account."""
        if not nodes_need_more_than_ids(info):
            nodes = [User.id_only(referee_id) for referee_id in page.referee_ids]
        else:
            scope = info.context.scope
            records = await scope.loaders.user.load_many(page.referee_ids)
            viewer = await scope.viewer()
            nodes = [
                User.of(record, private=sees_whole(viewer, record.id))
                for record in map(_existing, records)
            ]
        edges = [ReferralEdge(cursor=encode_cursor(node.user_id), node=node) for node in nodes]
        return cls(
            total_count=page.total_count,
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(description="An account of the referral service.")
class User:
    """Built with the account at hand, so that its plain fields cost nothing to answer."""

    id: strawberry.ID = strawberry.field(description="The user's id, a positive whole number.")
    email: str = strawberry.field(
        description='Whole for the user themself and superusers; masked ("j***@example.com") '
        "for everyone else."
    )
    created_at: datetime = strawberry.field(description="When the account was created.")
    is_verified: bool = strawberry.field(
        description="Whether the account's email address has been verified."
    )
    user_id: strawberry.Private[int]
    # Whether the viewer may see the account whole: themself, or a superuser.
    private: strawberry.Private[bool]

    @classmethod
    def of(cls, record: UserRecord, *, private: bool) -> User:
        """A user as the viewer may see it (`private`: whole, as its owner or a superuser)."""
        user_id = _id(record)
        return cls(
            id=strawberry.ID(str(user_id)),
            email=record.email if private else mask_email(record.email),
            created_at=record.created_at,
            is_verified=record.is_verified,
            user_id=user_id,
            private=private,
        )

    @classmethod
    def joined(cls, referral: JoinedReferral, *, private: bool) -> User:
        """A referral's account as it joined (no read): a new account is never verified."""
        return cls(
            id=strawberry.ID(str(referral.referee_id)),
            email=referral.email if private else mask_email(referral.email),
            created_at=referral.created_at,
            is_verified=False,
            user_id=referral.referee_id,
            private=private,
        )

    @classmethod
    def id_only(cls, user_id: int) -> User:
        """A node of a page that asks for ids alone: no account read. Its other fields are
        left empty, which GraphQL would refuse (non-null) rather than answer wrong."""
        empty: Any = None
        return cls(
            id=strawberry.ID(str(user_id)),
            email=empty,
            created_at=empty,
            is_verified=empty,
            user_id=user_id,
            private=False,
        )

    @classmethod
    async def load(cls, user_id: int, info: strawberry.Info[Context]) -> User:
        """The user with this id as the request's viewer may see it (batched reads)."""
        scope = info.context.scope
        record = _existing(await scope.loaders.user.load(user_id))
        return cls.of(record, private=sees_whole(await scope.viewer(), user_id))

    @strawberry.field(description="The owner of the code the user joined with; null if none.")
    async def referrer(self, info: strawberry.Info[Context]) -> User | None:
        referrer_id = await info.context.scope.loaders.referrer_id.load(self.user_id)
        return await User.load(referrer_id, info) if referrer_id is not None else None

    @strawberry.field(description="The user's active code, or null when there is none.")
    async def referral_code(self, info: strawberry.Info[Context]) -> ReferralCode | None:
        code = await info.context.scope.loaders.active_code.load(self.user_id)
        return ReferralCode.from_code(code) if code is not None else None

    @strawberry.field(description="The users who joined with this user's codes, oldest first.")
    async def referrals(
        self, info: strawberry.Info[Context], first: PageSize = 50, after: After = None
    ) -> ReferralConnection:
        page = await info.context.scope.loaders.referral_page.load((self.user_id, first, after))
        if page is None:  # a referral row always points at an account
            raise LookupError(f"user {self.user_id} vanished")
        return await ReferralConnection.of(page, info)

    @strawberry.field(
        description="Enrichment data, null until enriched; only for the user themself and "
        "superusers (null for everyone else)."
    )
    async def profile(self, info: strawberry.Info[Context]) -> Profile | None:
        if not self.private:
            return None
        record = await info.context.scope.loaders.profile.load(self.user_id)
        return Profile.from_record(record) if record is not None else None

    @strawberry.field(
        description="How the user's referral codes are doing; only for the user themself and "
        "superusers (null for everyone else)."
    )
    async def referral_stats(self, info: strawberry.Info[Context]) -> ReferralStats | None:
        if not self.private:
            return None
        summary = await info.context.scope.loaders.stats_summary.load(self.user_id)
        return ReferralStats.of(self.user_id, summary) if summary is not None else None


def sees_whole(viewer: UserRecord | None, user_id: int | None) -> bool:
    """Whether the viewer may see this user's account whole: their own, or as a superuser."""
    return viewer is not None and (viewer.id == user_id or viewer.is_superuser)


def _id(user: UserRecord) -> int:
    assert user.id is not None
    return user.id


def _existing(record: UserRecord | None) -> UserRecord:
    if record is None:  # a referral row always points at an account
        raise LookupError("a referral's account vanished")
    return record


@strawberry.type(description="The tokens of a new sign-in session.")
class AuthPayload:
    access_token: str = strawberry.field(
        description="A short-lived JWT: send it as `Authorization: Bearer <accessToken>`."
    )
    refresh_token: str = strawberry.field(
        description="Opaque and single-use: trade it with `refreshToken` for new tokens."
    )
    token_type: str = strawberry.field(description='Always "bearer".')
    expires_in: int = strawberry.field(description="Seconds the access token lives.")
    user: User = strawberry.field(description="The signed-in user (email whole).")

    @classmethod
    def from_issued(cls, issued: IssuedTokens) -> AuthPayload:
        return cls(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            token_type=issued.token_type,
            expires_in=issued.expires_in,
            user=User.of(issued.user, private=True),
        )
