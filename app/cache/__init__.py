"""Caching: the store that degrades to misses (Redis or memory) and the exact code cache."""

from app.cache.codes import CachedLookup, CodeCache
from app.cache.store import CacheStore, CacheUnavailable

__all__ = ["CacheStore", "CacheUnavailable", "CachedLookup", "CodeCache"]
