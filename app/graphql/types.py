"""The GraphQL object types of the contract, resolved from domain records."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING

import strawberry

from app.domain.accounts import mask_email
from app.domain.pages import encode_cursor
from app.domain.profiles import PROFILE_FIELDS
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.models import User as UserRecord  # noqa: TC001 - Strawberry resolves Private fields

if TYPE_CHECKING:
    from app.domain.codes import Code
    from app.domain.pages import ReferralPage
    from app.models import Profile as ProfileRecord
    from app.services.sessions import IssuedTokens


@strawberry.type
class ReferralCode:
    code: str
    expires_at: datetime
    created_at: datetime

    @classmethod
    def from_code(cls, code: Code) -> ReferralCode:
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
        data = {name: getattr(record, name) for name in PROFILE_FIELDS}
        return cls(**data, enriched_at=record.enriched_at)


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


@strawberry.type
class User:
    id: strawberry.ID
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

    @strawberry.field
    async def email(self, info: strawberry.Info[Context]) -> str:
        """Whole for the user themself and superusers; masked for everyone else."""
        record = await self._record(info)
        if await self._may_see_private(info):
            return record.email
        return mask_email(record.email)

    @strawberry.field
    async def created_at(self, info: strawberry.Info[Context]) -> datetime:
        return (await self._record(info)).created_at

    @strawberry.field
    async def is_verified(self, info: strawberry.Info[Context]) -> bool:
        return (await self._record(info)).is_verified

    @strawberry.field
    async def referrer(self, info: strawberry.Info[Context]) -> User | None:
        referrer_id = await info.context.scope.loaders.referrer_id.load(self.user_id)
        return User.by_id(referrer_id) if referrer_id is not None else None

    @strawberry.field
    async def referral_code(self, info: strawberry.Info[Context]) -> ReferralCode | None:
        """The user's active code, or null."""
        code = await info.context.scope.loaders.active_code.load(self.user_id)
        return ReferralCode.from_code(code) if code is not None else None

    @strawberry.field
    async def referrals(
        self, info: strawberry.Info[Context], first: int = 50, after: str | None = None
    ) -> ReferralConnection:
        """A page of this user's referrals, loaded through the batched loaders."""
        page = await info.context.scope.loaders.referral_page.load((self.user_id, first, after))
        if page is None:  # a referral row always points at an account
            raise LookupError(f"user {self.user_id} vanished")
        return ReferralConnection.from_page(page)

    @strawberry.field
    async def profile(self, info: strawberry.Info[Context]) -> Profile | None:
        """Enrichment data; only for the user themself and superusers."""
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
            user=User.of(issued.user, is_caller=True),
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
