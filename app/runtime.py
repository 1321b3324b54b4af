"""The shared clients of one running application, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.cache import CacheStore, CodeCache
    from app.rate_limits import RateLimiter
    from app.security import TokenCodec
    from app.services.revocations import RevocationList
    from app.settings import Settings


class EmailCheckResult(Protocol):
    @property
    def outcome(self) -> str: ...

    @property
    def accepted(self) -> bool: ...


class EmailChecker(Protocol):
    """Verifies an address before registration (Hunter, when configured)."""

    async def check(self, email: str) -> EmailCheckResult: ...


class EnrichmentSubmitter(Protocol):
    """Queues a profile enrichment after registration (Clearbit or Hunter, when configured)."""

    def submit(self, *, user_id: int, email: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    read_session_factory: async_sessionmaker[AsyncSession]
    cache: CacheStore
    codes: CodeCache
    tokens: TokenCodec
    revocations: RevocationList
    limiter: RateLimiter
    email_checker: EmailChecker | None = None
    enrichment: EnrichmentSubmitter | None = None

    def new_session(self, *, read_only: bool) -> AsyncSession:
        """A request's session; a read-only one opens no transaction (see app.db)."""
        return self.read_session_factory() if read_only else self.session_factory()
