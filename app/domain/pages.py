"""Pages of referrals: page sizes, opaque keyset cursors, user ids as clients write them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from app.errors import BadUserInput

# Row ids are 32-bit INTEGER columns on PostgreSQL, where a larger value fails the query.
MAX_ID = 2**31 - 1
# A page of users (GraphQL's `first`) and a page of ids alone (the REST shim's `limit`, as the
# replaced service's clients ask for them).
MAX_PAGE_SIZE = 100
MAX_ID_PAGE_SIZE = 1000

_CURSOR_PREFIX = "referral:"


@dataclass(frozen=True, slots=True)
class ReferralPage:
    """One page of a referrer's referrals, oldest first."""

    referrer_id: int
    total_count: int
    referee_ids: list[int]
    has_next_page: bool

    @classmethod
    def of(
        cls, referrer_id: int, total_count: int, fetched: list[int], *, size: int
    ) -> ReferralPage:
        """The page from `size + 1` fetched ids: the extra one only tells that more follow."""
        return cls(
            referrer_id=referrer_id,
            total_count=total_count,
            referee_ids=fetched[:size],
            has_next_page=len(fetched) > size,
        )

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.referee_ids[-1]) if self.referee_ids else None

    @property
    def next_cursor(self) -> str | None:
        return self.end_cursor if self.has_next_page else None


def check_page_size(size: int, *, maximum: int) -> int:
    """The size, if it is 1..maximum; BAD_USER_INPUT naming the edge's own parameter otherwise."""
    if not 1 <= size <= maximum:
        raise BadUserInput(f"`{{field}}` must be between 1 and {maximum}.", field="page_size")
    return size


def encode_cursor(referee_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{referee_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The referee id a cursor points after; BAD_USER_INPUT for anything we did not issue."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadUserInput("The cursor is not valid.", field="after") from exc
    position = text.removeprefix(_CURSOR_PREFIX)
    issued = (
        text.startswith(_CURSOR_PREFIX)
        and position.isdigit()
        and len(position) <= len(str(MAX_ID))
        and int(position) <= MAX_ID
    )
    if not issued:
        raise BadUserInput("The cursor is not valid.", field="after")
    return int(position)


def parse_id(raw: str | int) -> int:
    """A user id from a client: a positive whole number, else BAD_USER_INPUT."""
    text = str(raw).strip()
    # The length goes first: int() refuses strings of over 4300 digits with a ValueError.
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise BadUserInput("An id is a positive whole number.", field="id")
    return int(text)
