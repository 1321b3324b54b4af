"""DataLoaders, created per request, so a page of users costs a constant number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.repositories import profiles as profile_repo
from app.repositories import referrals as referral_repo
from app.repositories import users as user_repo
from app.services import codes as code_service

if TYPE_CHECKING:
    from app.cache import CachedCode
    from app.db import SessionScope
    from app.models import Profile, User

PageKey = tuple[int, int, int | None]  # (referrer id, page size + 1, after referee id)


class Loaders:
    def __init__(self, db: SessionScope) -> None:
        self._db = db
        self.user = DataLoader(self._load_users)
        self.active_code = DataLoader(self._load_active_codes)
        self.referrer_id = DataLoader(self._load_referrer_ids)
        self.profile = DataLoader(self._load_profiles)
        self.referral_page = DataLoader(self._load_referral_pages)

    async def _load_users(self, ids: list[int]) -> list[User | None]:
        async with self._db() as session:
            found = {user.id: user for user in await user_repo.list_by_ids(session, user_ids=ids)}
        return [found.get(user_id) for user_id in ids]

    async def _load_active_codes(self, owner_ids: list[int]) -> list[CachedCode | None]:
        async with self._db() as session:
            found = await code_service.active_by_owners(session, owner_ids=owner_ids)
        return [found.get(owner_id) for owner_id in owner_ids]

    async def _load_referrer_ids(self, referee_ids: list[int]) -> list[int | None]:
        async with self._db() as session:
            found = await referral_repo.referrer_ids_of(session, referee_ids=referee_ids)
        return [found.get(referee_id) for referee_id in referee_ids]

    async def _load_profiles(self, user_ids: list[int]) -> list[Profile | None]:
        async with self._db() as session:
            profiles = await profile_repo.list_profiles(session, user_ids=user_ids)
            found = {profile.user_id: profile for profile in profiles}
        return [found.get(user_id) for user_id in user_ids]

    async def _load_referral_pages(self, keys: list[PageKey]) -> list[list[int]]:
        """Group keys by page shape; each shape is one windowed query over all its referrers."""
        shapes: dict[tuple[int, int | None], list[int]] = {}
        for referrer_id, limit, after_id in keys:
            shapes.setdefault((limit, after_id), []).append(referrer_id)
        pages: dict[PageKey, list[int]] = {}
        async with self._db() as session:
            for (limit, after_id), referrer_ids in shapes.items():
                found = await referral_repo.list_referee_ids_for_many(
                    session, referrer_ids=referrer_ids, after_id=after_id, limit=limit
                )
                for referrer_id, referee_ids in found.items():
                    pages[(referrer_id, limit, after_id)] = referee_ids
        return [pages.get(key, []) for key in keys]
