"""Listing a user's referrals, a page at a time in join order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.pages import (
    MAX_ID,
    MAX_ID_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ReferralPage,
    check_page_size,
    decode_cursor,
)
from app.errors import UserNotFound
from app.repositories import referrals as referral_repo

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.uow import UnitOfWork


class Referrals:
    """Who referred whom: pages of a referrer's referrals, and each referee's referrer."""

    async def page(
        self, uow: UnitOfWork, *, user_id: int, size: int, after: str | None
    ) -> ReferralPage:
        """A page of up to 100 of a user's referrals; NOT_FOUND when there is no such user."""
        return await self._one_page(
            uow, user_id=user_id, size=size, after=after, maximum=MAX_PAGE_SIZE
        )

    async def id_page(
        self, uow: UnitOfWork, *, user_id: int, size: int, after: str | None
    ) -> ReferralPage:
        """A page of up to 1000 referral ids (ids alone cost little); NOT_FOUND as `page`."""
        return await self._one_page(
            uow, user_id=user_id, size=size, after=after, maximum=MAX_ID_PAGE_SIZE
        )

    async def pages(
        self, uow: UnitOfWork, *, user_ids: Iterable[int], size: int, after: str | None
    ) -> dict[int, ReferralPage]:
        """A page of up to 100 referrals for each of these users that exists, in one read."""
        check_page_size(size, maximum=MAX_PAGE_SIZE)
        return await self._pages(uow, user_ids=user_ids, size=size, after_id=decode_cursor(after))

    async def referrer_ids(self, uow: UnitOfWork, *, referee_ids: Iterable[int]) -> dict[int, int]:
        """Each of these users that joined with a code, mapped to the code owner's id."""
        async with uow.read() as session:
            return await referral_repo.referrer_ids_of(session, referee_ids=referee_ids)

    async def _one_page(
        self, uow: UnitOfWork, *, user_id: int, size: int, after: str | None, maximum: int
    ) -> ReferralPage:
        check_page_size(size, maximum=maximum)
        after_id = decode_cursor(after)
        found = await self._pages(uow, user_ids=[user_id], size=size, after_id=after_id)
        if user_id not in found:
            raise UserNotFound
        return found[user_id]

    @staticmethod
    async def _pages(
        uow: UnitOfWork, *, user_ids: Iterable[int], size: int, after_id: int | None
    ) -> dict[int, ReferralPage]:
        ids = [user_id for user_id in user_ids if user_id <= MAX_ID]  # no row has a larger id
        if not ids:
            return {}
        async with uow.read() as session:
            found = await referral_repo.count_and_pages(
                session, referrer_ids=ids, after_id=after_id, limit=size + 1
            )
        return {
            user_id: ReferralPage.of(user_id, total_count, referee_ids, size=size)
            for user_id, (total_count, referee_ids) in found.items()
        }
