"""Listing a user's referrals, a page at a time in join order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import BadUserInput, UserNotFound
from app.models import MAX_ID
from app.repositories import referrals as referral_repo
from app.services.pagination import check_page_size, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True, slots=True)
class ReferralPage:
    referrer_id: int
    total_count: int
    referee_ids: list[int]
    has_next_page: bool

    @classmethod
    def of(
        cls, referrer_id: int, total_count: int, fetched: list[int], *, first: int
    ) -> ReferralPage:
        """The page from `first + 1` fetched ids: the extra one only tells that more follow."""
        return cls(
            referrer_id=referrer_id,
            total_count=total_count,
            referee_ids=fetched[:first],
            has_next_page=len(fetched) > first,
        )

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.referee_ids[-1]) if self.referee_ids else None

    @property
    def next_cursor(self) -> str | None:
        return self.end_cursor if self.has_next_page else None


def parse_id(raw: str | int) -> int:
    """A user id from a client: a positive whole number, else BAD_USER_INPUT."""
    text = str(raw).strip()
    # The length goes first: int() refuses strings of over 4300 digits with a ValueError.
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise BadUserInput("An id is a positive whole number.", field="id")
    return int(text)


async def list_page(
    session: AsyncSession,
    *,
    user_id: int,
    first: int,
    after: str | None,
    max_first: int,
    size_field: str = "first",
) -> ReferralPage:
    """One page of a user's referrals; NOT_FOUND when there is no such user.

    `size_field` names the page size in errors as the caller's transport calls it.
    """
    check_page_size(first, maximum=max_first, field=size_field)
    after_id = decode_cursor(after)
    found = (
        await referral_repo.count_and_page(
            session, referrer_id=user_id, after_id=after_id, limit=first + 1
        )
        if user_id <= MAX_ID
        else None
    )
    if found is None:
        raise UserNotFound
    total_count, referee_ids = found
    return ReferralPage.of(user_id, total_count, referee_ids, first=first)
