"""DataLoaders, created per request over the services, so that a page of users costs a
constant number of queries whatever it asks of each user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.errors import DomainError

if TYPE_CHECKING:
    from app.domain.codes import Code
    from app.domain.pages import ReferralPage
    from app.domain.stats import DayCount, StatsSummary
    from app.models import Profile, User
    from app.services import Services
    from app.services.codes import CodeCounts
    from app.uow import UnitOfWork

PageKey = tuple[int, int, str | None]  # (referrer id, page size, after cursor)
DailyKey = tuple[int, int]  # (user id, days)


class Loaders:
    def __init__(self, services: Services, uow: UnitOfWork) -> None:
        self._services = services
        self._uow = uow
        self.user = DataLoader(self._load_users)
        self.active_code = DataLoader(self._load_active_codes)
        self.code_counts = DataLoader(self._load_code_counts)
        self.referrer_id = DataLoader(self._load_referrer_ids)
        self.profile = DataLoader(self._load_profiles)
        self.referral_page = DataLoader(self._load_referral_pages)
        self.stats_summary = DataLoader(self._load_stats_summaries)
        self.daily_stats = DataLoader(self._load_daily_stats)

    async def _load_users(self, ids: list[int]) -> list[User | None]:
        found = await self._services.accounts.by_ids(self._uow, user_ids=ids)
        return [found.get(user_id) for user_id in ids]

    async def _load_active_codes(self, owner_ids: list[int]) -> list[Code | None]:
        found = await self._services.codes.active_by_owners(self._uow, owner_ids=owner_ids)
        return [found.get(owner_id) for owner_id in owner_ids]

    async def _load_code_counts(self, code_ids: list[int]) -> list[CodeCounts | None]:
        found = await self._services.codes.counts(self._uow, code_ids=code_ids)
        return [found.get(code_id) for code_id in code_ids]

    async def _load_referrer_ids(self, referee_ids: list[int]) -> list[int | None]:
        found = await self._services.referrals.referrer_ids(self._uow, referee_ids=referee_ids)
        return [found.get(referee_id) for referee_id in referee_ids]

    async def _load_profiles(self, user_ids: list[int]) -> list[Profile | None]:
        found = await self._services.accounts.profiles(self._uow, user_ids=user_ids)
        return [found.get(user_id) for user_id in user_ids]

    async def _load_referral_pages(
        self, keys: list[PageKey]
    ) -> list[ReferralPage | DomainError | None]:
        """Keys grouped by page shape: one read per shape. A shape whose size or cursor is
        wrong fails its own keys, not the others."""
        shapes: dict[tuple[int, str | None], list[int]] = {}
        for referrer_id, size, after in keys:
            shapes.setdefault((size, after), []).append(referrer_id)
        pages: dict[PageKey, ReferralPage | DomainError | None] = {}
        for (size, after), referrer_ids in shapes.items():
            try:
                found = await self._services.referrals.pages(
                    self._uow, user_ids=referrer_ids, size=size, after=after
                )
            except DomainError as error:
                pages.update({(referrer_id, size, after): error for referrer_id in referrer_ids})
            else:
                pages.update({(rid, size, after): found.get(rid) for rid in referrer_ids})
        return [pages[key] for key in keys]

    async def _load_stats_summaries(self, user_ids: list[int]) -> list[StatsSummary | None]:
        found = await self._services.stats.summaries(self._uow, user_ids=user_ids)
        return [found.get(user_id) for user_id in user_ids]

    async def _load_daily_stats(self, keys: list[DailyKey]) -> list[list[DayCount] | DomainError]:
        """Keys grouped by their number of days: one read each; a wrong number fails its own."""
        by_days: dict[int, list[int]] = {}
        for user_id, days in keys:
            by_days.setdefault(days, []).append(user_id)
        series: dict[DailyKey, list[DayCount] | DomainError] = {}
        for days, user_ids in by_days.items():
            try:
                found = await self._services.stats.daily(self._uow, user_ids=user_ids, days=days)
            except DomainError as error:
                series.update({(user_id, days): error for user_id in user_ids})
            else:
                series.update({(user_id, days): found[user_id] for user_id in user_ids})
        return [series[key] for key in keys]
