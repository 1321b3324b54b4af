"""Automatic persisted queries (Apollo's protocol): a client sends a query's SHA-256 instead of
its text once the server knows it.

`extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`. With the query, the hash
must be its SHA-256 (else BAD_USER_INPUT) and the query is remembered in the cache store, so that
every instance knows it; without it, a known hash runs its query and an unknown one answers
PERSISTED_QUERY_NOT_FOUND, whereupon the client sends the query with its hash.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from app.errors import BadUserInput

if TYPE_CHECKING:
    from strawberry.http import GraphQLRequestData

    from app.cache import CacheStore

QUERY_TTL = 7 * 86_400  # a week since it was last sent with its text
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueryNotFound(Exception):
    """The hash is unknown: the client should send the query with it."""


class PersistedQueries:
    """Persisted query texts by SHA-256, in the cache store shared by every instance."""

    def __init__(self, store: CacheStore) -> None:
        self._store = store

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query text: given, or looked up by the hash it carries."""
        extensions = request.extensions or {}
        if "persistedQuery" not in extensions:
            return request
        digest = _hash_of(extensions["persistedQuery"])
        if request.query is not None:
            if hashlib.sha256(request.query.encode("utf-8", "surrogatepass")).hexdigest() != digest:
                raise BadUserInput("The persisted query's sha256Hash is not the query's SHA-256.")
            await self._store.set(_key(digest), request.query, ttl=QUERY_TTL)
            return request
        query = await self._store.get(_key(digest))
        if query is None:
            raise PersistedQueryNotFound
        request.query = query
        return request


def _hash_of(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadUserInput("Only version 1 of persisted queries is supported.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise BadUserInput("The persisted query's sha256Hash is 64 lower-case hex digits.")
    return digest


def _key(digest: str) -> str:
    return f"apq:{digest}"
