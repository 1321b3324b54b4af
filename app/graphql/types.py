"""The GraphQL object types of the contract, resolved from domain records."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.models import User as UserRecord  # noqa: TC001 - Strawberry resolves Private fields
from app.services.pagination import check_page_size, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from app.cache import CachedCode
    from app.models import Profile as ProfileRecord
    from app.services.sessions import IssuedTokens

MAX_PAGE_SIZE = 100


def mask_email(email: str) -> str:
    """'jane@example.com' -> 'j***@example.com': enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@strawberry.type
class ReferralCode:
    code: str
    expires_at: datetime
    created_at: datetime

    @classmethod
    def from_cached(cls, code: CachedCode) -> ReferralCode:
        return cls(code=code.code, expires_at=code.expires_at, created_at=code.created_at)


@strawberry.type
class Profile:
    full_name: str | None
    given_name: str | None
    family_name: str | None
    location: str | None
    company: str | None
    company_domain: str | None
    title: str | None
    avatar_url: str | None
    enriched_at: datetime | None

    @classmethod
    def from_record(cls, record: ProfileRecord) -> Profile:
        return cls(
            full_name=record.full_name,
            given_name=record.given_name,
            family_name=record.family_name,
            location=record.location,
            company=record.company,
            company_domain=record.company_domain,
            title=record.title,
            avatar_url=record.avatar_url,
            enriched_at=record.enriched_at,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ReferralEdge:
    cursor: str
    node: User


@strawberry.type
class ReferralConnection:
    total_count: int
    edges: list[ReferralEdge]
    page_info: PageInfo

    @classmethod
    def build(
        cls, *, total_count: int, users: list[UserRecord], has_next_page: bool
    ) -> ReferralConnection:
        edges = [
            ReferralEdge(cursor=encode_cursor(_id(user)), node=User(record=user)) for user in users
        ]
        return cls(
            total_count=total_count,
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next_page, end_cursor=edges[-1].cursor if edges else None
            ),
        )


def _id(user: UserRecord) -> int:
    assert user.id is not None
    return user.id


@strawberry.type
class User:
    record: strawberry.Private[UserRecord]
    # True where the answer is the caller's own account (register, login) before any token exists.
    is_caller: strawberry.Private[bool] = False

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.record.id))

    @strawberry.field
    async def email(self, info: strawberry.Info[Context]) -> str:
        """Whole for the user themself and superusers; masked for everyone else."""
        if await self._may_see_private(info):
            return self.record.email
        return mask_email(self.record.email)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def is_verified(self) -> bool:
        return self.record.is_verified

    @strawberry.field
    async def referrer(self, info: strawberry.Info[Context]) -> User | None:
        referrer_id = await info.context.loaders.referrer_id.load(_id(self.record))
        if referrer_id is None:
            return None
        referrer = await info.context.loaders.user.load(referrer_id)
        return User(record=referrer) if referrer is not None else None

    @strawberry.field
    async def referral_code(self, info: strawberry.Info[Context]) -> ReferralCode | None:
        """The user's active code, or null."""
        code = await info.context.loaders.active_code.load(_id(self.record))
        return ReferralCode.from_cached(code) if code is not None else None

    @strawberry.field
    async def referrals(
        self, info: strawberry.Info[Context], first: int = 50, after: str | None = None
    ) -> ReferralConnection:
        return await referral_connection(info, self.record, first=first, after=after)

    @strawberry.field
    async def profile(self, info: strawberry.Info[Context]) -> Profile | None:
        """Enrichment data; only for the user themself and superusers."""
        if not await self._may_see_private(info):
            return None
        record = await info.context.loaders.profile.load(_id(self.record))
        return Profile.from_record(record) if record is not None else None

    async def _may_see_private(self, info: strawberry.Info[Context]) -> bool:
        if self.is_caller:
            return True
        viewer = await info.context.viewer()
        return viewer is not None and (viewer.id == self.record.id or viewer.is_superuser)


async def referral_connection(
    info: strawberry.Info[Context], referrer: UserRecord, *, first: int, after: str | None
) -> ReferralConnection:
    """A page of a referrer's referrals, loaded through the batched loaders."""
    check_page_size(first, maximum=MAX_PAGE_SIZE)
    after_id = decode_cursor(after)
    referee_ids = await info.context.loaders.referral_page.load(
        (_id(referrer), first + 1, after_id)
    )
    page_ids = referee_ids[:first]
    users = await info.context.loaders.user.load_many(page_ids)
    return ReferralConnection.build(
        total_count=referrer.referral_count,
        users=[user for user in users if user is not None],
        has_next_page=len(referee_ids) > first,
    )


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: User

    @classmethod
    def from_issued(cls, issued: IssuedTokens) -> AuthPayload:
        return cls(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            token_type=issued.token_type,
            expires_in=issued.expires_in,
            user=User(record=issued.user, is_caller=True),
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str
    referral_code: str | None = None


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class CreateCodeInput:
    code: str | None = None
    expires_at: datetime
