"""The GraphQL object types of the contract, resolved from domain records."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING

import strawberry

from app.domain.accounts import mask_email
from app.domain.pages import encode_cursor
from app.domain.profiles import PROFILE_FIELDS
from app.graphql.arguments import After, PageSize  # noqa: TC001 - read by Strawberry
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.models import User as UserRecord  # noqa: TC001 - Strawberry resolves Private fields

if TYPE_CHECKING:
    from app.domain.codes import Code
    from app.domain.pages import ReferralPage
    from app.models import Profile as ProfileRecord
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

    @classmethod
    def from_code(cls, code: Code) -> ReferralCode:
        return cls(
            id=strawberry.ID(str(code.id)),
            code=code.code,
            expires_at=code.expires_at,
            created_at=code.created_at,
        )


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
    def from_page(cls, page: ReferralPage) -> ReferralConnection:
        """Edges whose nodes know only their id: a page asking for ids alone reads no account."""
        edges = [
            ReferralEdge(cursor=encode_cursor(referee_id), node=User.by_id(referee_id))
            for referee_id in page.referee_ids
        ]
        return cls(
            total_count=page.total_count,
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(description="An account of the referral service.")
class User:
    id: strawberry.ID = strawberry.field(description="The user's id, a positive whole number.")
    user_id: strawberry.Private[int]
    # Loaded on the first field that needs more than the id (through the request's DataLoader).
    record: strawberry.Private[UserRecord | None] = None
    # True where the answer is the caller's own account (register, login) before any token exists.
    is_caller: strawberry.Private[bool] = False

    @classmethod
    def of(cls, record: UserRecord, *, is_caller: bool = False) -> User:
        user_id = _id(record)
        return cls(
            id=strawberry.ID(str(user_id)), user_id=user_id, record=record, is_caller=is_caller
        )

    @classmethod
    def by_id(cls, user_id: int) -> User:
        return cls(id=strawberry.ID(str(user_id)), user_id=user_id)

    @strawberry.field(
        description='Whole for the user themself and superusers; masked ("j***@example.com") '
        "for everyone else."
    )
    async def email(self, info: strawberry.Info[Context]) -> str:
        record = await self._record(info)
        if await self._may_see_private(info):
            return record.email
        return mask_email(record.email)

    @strawberry.field(description="When the account was created.")
    async def created_at(self, info: strawberry.Info[Context]) -> datetime:
        return (await self._record(info)).created_at

    @strawberry.field(description="Whether the account's email address has been verified.")
    async def is_verified(self, info: strawberry.Info[Context]) -> bool:
        return (await self._record(info)).is_verified

    @strawberry.field(description="The owner of the code the user joined with; null if none.")
    async def referrer(self, info: strawberry.Info[Context]) -> User | None:
        referrer_id = await info.context.scope.loaders.referrer_id.load(self.user_id)
        return User.by_id(referrer_id) if referrer_id is not None else None

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
        return ReferralConnection.from_page(page)

    @strawberry.field(
        description="Enrichment data, null until enriched; only for the user themself and "
        "superusers (null for everyone else)."
    )
    async def profile(self, info: strawberry.Info[Context]) -> Profile | None:
        if not await self._may_see_private(info):
            return None
        record = await info.context.scope.loaders.profile.load(self.user_id)
        return Profile.from_record(record) if record is not None else None

    async def _record(self, info: strawberry.Info[Context]) -> UserRecord:
        if self.record is None:
            record = await info.context.scope.loaders.user.load(self.user_id)
            if record is None:  # a referral row always points at an account
                raise LookupError(f"user {self.user_id} vanished")
            self.record = record
        return self.record

    async def _may_see_private(self, info: strawberry.Info[Context]) -> bool:
        if self.is_caller:
            return True
        viewer = await info.context.scope.viewer()
        return viewer is not None and (viewer.id == self.user_id or viewer.is_superuser)


def _id(user: UserRecord) -> int:
    assert user.id is not None
    return user.id


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
            user=User.of(issued.user, is_caller=True),
        )
