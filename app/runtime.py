"""The shared clients and services of one running application, built once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cache import CacheStore, CodeCache
    from app.db import Database
    from app.metrics import Metrics
    from app.rate_limits import RateLimiter
    from app.security import TokenCodec
    from app.services import Services
    from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Runtime:
    """What the lifespan built: the transports reach services and clients through it."""

    settings: Settings
    database: Database
    cache: CacheStore
    codes: CodeCache
    tokens: TokenCodec
    limiter: RateLimiter
    metrics: Metrics
    services: Services
